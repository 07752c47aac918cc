//! The scheduling phase (issue 27: under 10 ms at 10k objects): the bench
//! user PUTs new events into his calendar, each inviting three other users
//! of the server, so every PUT also writes an iTIP REQUEST into each
//! attendee's inbox and a copy into his calendar before it is answered.
//! davdir is restarted with an `email_domain`, which gives every user the
//! address `<user>@<domain>`. davdir only: the peers do not schedule.

use super::*;

/// The domain of the users' calendar-user addresses during this phase.
const DOMAIN: &str = "bench.example";
/// The invited users (made users by their first request, as the bench runs
/// davdir without logins).
const ATTENDEES: [&str; 3] = ["att1", "att2", "att3"];

/// A new event of the organizer's inviting `ATTENDEES` (the organizer is
/// listed too, as clients do; the server sends him nothing).
fn invitation(round: usize) -> String {
    let day = 1 + round % 28;
    let mut attendees =
        format!("ATTENDEE;CN=Bench;PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:{USER}@{DOMAIN}\r\n");
    for a in ATTENDEES {
        attendees.push_str(&format!(
            "ATTENDEE;CN={a};PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{a}@{DOMAIN}\r\n"
        ));
    }
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davdir//bench//EN\r\n\
         BEGIN:VEVENT\r\nUID:sched-{round}@bench\r\nDTSTAMP:20260101T000000Z\r\n\
         DTSTART:202605{day:02}T090000Z\r\nDTEND:202605{day:02}T100000Z\r\n\
         SUMMARY:Meeting {round}\r\nORGANIZER;CN=Bench:mailto:{USER}@{DOMAIN}\r\n\
         {attendees}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// Restarts `server` with the domain, times the organizer's PUTs (each
/// checked to have delivered to all three) and stops it.
pub(crate) fn put_with_attendees(
    server: &mut Server,
    c: &Client,
    n: usize,
    plan: Plan,
) -> Res<Val> {
    let dir = server.log.parent().ok_or("log without a directory")?;
    let config = dir.join("schedule.toml");
    fs::write(&config, format!("email_domain = \"{DOMAIN}\"\n")).map_err(|e| e.to_string())?;
    let config = config.display().to_string();
    server.start_with(&["--config", &config], &[])?;
    wait_ready(server, c, n, Instant::now(), Duration::from_secs(600))?;
    for a in ATTENDEES {
        let home = format!("{}/{a}/", server.base);
        let r = send_as(c, a, "PROPFIND", &home, "0", PROPFIND_BODY)?;
        expect(&r, &[207], "an attendee's home")?;
    }
    let url = server.cal_url();
    let mut round = 0;
    let timed_puts = repeat(&plan, || {
        round += 1;
        let name = format!("sched-{round}.ics");
        let (t, r) = timed(|| {
            send(
                c,
                "PUT",
                &format!("{url}{name}"),
                None,
                Some(&invitation(round)),
                ICS,
            )
        })?;
        expect(&r, &[201], "PUT with attendees")?;
        // The organizer's copy says where each invitation went (1.2: delivered).
        let r = send(c, "GET", &format!("{url}{name}"), None, None, ICS)?;
        expect(&r, &[200], "GET of the organizer's copy")?;
        let delivered = r.body.matches("SCHEDULE-STATUS=1.2").count();
        if delivered != ATTENDEES.len() {
            return Err(format!(
                "{name}: {delivered} of {} invitations delivered:\n{}",
                ATTENDEES.len(),
                r.body
            ));
        }
        Ok((t, delivered))
    });
    let inbox_sizes: Vec<usize> = ATTENDEES
        .iter()
        .map(|a| {
            fs::read_dir(server.root.join(a).join(".inbox")).map_or(0, |d| d.flatten().count())
        })
        .collect();
    server.stop();
    let (s, _) = timed_puts?;
    if inbox_sizes.iter().any(|&k| k < round) {
        return Err(format!(
            "after {round} invitations the attendees' inboxes hold {inbox_sizes:?}"
        ));
    }
    Ok(Val::Ms(s))
}
