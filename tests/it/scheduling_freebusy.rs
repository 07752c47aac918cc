//! Free-busy requests POSTed to the outbox (RFC 6638 §5, issue 27): alice
//! asks when bob, carol and strangers are busy; bob's calendars hold time
//! of every kind (opaque, transparent, cancelled, tentative, recurring, and
//! a calendar marked schedule-transparent). Over HTTP against the binary.

use crate::common::*;
use crate::scheduling::{as_user, start};

/// A VFREEBUSY REQUEST from `organizer` to `attendees` over 2030-01-10.
fn fb_request(organizer: &str, attendees: &[&str]) -> String {
    let mut s = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\nBEGIN:VFREEBUSY\r\nUID:fb-1\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20300110T000000Z\r\nDTEND:20300111T000000Z\r\n",
    );
    s.push_str(&format!("ORGANIZER:{organizer}\r\n"));
    for a in attendees {
        s.push_str(&format!("ATTENDEE:{a}\r\n"));
    }
    s.push_str("END:VFREEBUSY\r\nEND:VCALENDAR\r\n");
    s
}

fn post(srv: &Server, user: &str, path: &str, body: &str) -> Resp {
    as_user(srv, user, "POST", path)
        .header("Content-Type", "text/calendar; charset=utf-8")
        .body(body.to_string())
        .fetch()
}

/// (recipient, request-status, calendar-data) of each response, in order.
fn responses(r: &Resp) -> Vec<(String, String, Option<String>)> {
    r.expect(200);
    let root = parse_xml(&r.text()).unwrap();
    assert!(root.is(CALDAV, "schedule-response"), "{}", r.text());
    root.children_named(CALDAV, "response")
        .map(|resp| {
            let recipient = resp.child(CALDAV, "recipient").unwrap().hrefs()[0].clone();
            let status = resp.child(CALDAV, "request-status").unwrap().text.clone();
            let data = resp.child(CALDAV, "calendar-data").map(|d| d.text.clone());
            (recipient, status, data)
        })
        .collect()
}

/// The FREEBUSY lines of a VFREEBUSY, unfolded.
fn busy_lines(ics: &str) -> Vec<String> {
    ics.replace("\r\n ", "")
        .lines()
        .filter(|l| l.starts_with("FREEBUSY"))
        .map(|l| l.trim_end().to_string())
        .collect()
}

fn timed(uid: &str, start: &str, end: &str, extra: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:{uid}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn put(srv: &Server, user: &str, path: &str, ics: &str) {
    as_user(srv, user, "PUT", path)
        .header("Content-Type", "text/calendar")
        .body(ics.to_string())
        .fetch()
        .expect(201);
}

fn set_transp(srv: &Server, path: &str, value: &str) -> Resp {
    let body = format!(
        r#"<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:schedule-calendar-transp><C:{value}/></C:schedule-calendar-transp></D:prop></D:set></D:propertyupdate>"#
    );
    as_user(srv, "bob", "PROPPATCH", path).body(body).fetch()
}

#[test]
fn outbox_answers_each_recipients_busy_time() {
    let srv = start();
    as_user(&srv, "bob", "MKCALENDAR", "/bob/work/")
        .fetch()
        .expect(201);
    as_user(&srv, "bob", "MKCALENDAR", "/bob/holidays/")
        .fetch()
        .expect(201);
    put(
        &srv,
        "bob",
        "/bob/work/busy.ics",
        &timed("busy", "20300110T100000Z", "20300110T110000Z", ""),
    );
    put(
        &srv,
        "bob",
        "/bob/work/free.ics",
        &timed(
            "free",
            "20300110T120000Z",
            "20300110T130000Z",
            "TRANSP:TRANSPARENT\r\n",
        ),
    );
    put(
        &srv,
        "bob",
        "/bob/work/gone.ics",
        &timed(
            "gone",
            "20300110T140000Z",
            "20300110T150000Z",
            "STATUS:CANCELLED\r\n",
        ),
    );
    put(
        &srv,
        "bob",
        "/bob/work/maybe.ics",
        &timed(
            "maybe",
            "20300110T160000Z",
            "20300110T170000Z",
            "STATUS:TENTATIVE\r\n",
        ),
    );
    // Daily from the day before: only its instance on the 10th counts.
    put(
        &srv,
        "bob",
        "/bob/work/daily.ics",
        &timed(
            "daily",
            "20300109T080000Z",
            "20300109T083000Z",
            "RRULE:FREQ=DAILY;COUNT=3\r\n",
        ),
    );
    put(
        &srv,
        "bob",
        "/bob/work/later.ics",
        &timed("later", "20300201T100000Z", "20300201T110000Z", ""),
    );
    put(
        &srv,
        "bob",
        "/bob/holidays/trip.ics",
        &timed("trip", "20300110T180000Z", "20300110T190000Z", ""),
    );
    // The holidays calendar leaves free-busy: stored with its settings.
    set_transp(&srv, "/bob/holidays/", "transparent").multistatus();
    let settings = String::from_utf8(srv.read("bob/holidays/.calendar.toml")).unwrap();
    assert!(
        settings.contains("schedule_transp = \"transparent\""),
        "{settings}"
    );
    let ms = as_user(&srv, "bob", "PROPFIND", "/bob/holidays/")
        .header("Depth", "0")
        .body(propfind_body(&[(CALDAV, "schedule-calendar-transp")]))
        .fetch()
        .multistatus();
    let transp = ms
        .single()
        .ok(CALDAV, "schedule-calendar-transp")
        .child_names();
    assert_eq!(transp, [format!("{{{CALDAV}}}transparent")]);
    // A value that is neither is refused.
    let ms = set_transp(&srv, "/bob/holidays/", "sometimes").multistatus();
    assert_eq!(
        ms.single().status_of(CALDAV, "schedule-calendar-transp"),
        Some(409)
    );

    let body = fb_request(
        "mailto:alice@example.org",
        &[
            "mailto:bob@example.org",
            "mailto:carol@example.org",
            "mailto:nobody@example.org",
            "mailto:someone@elsewhere.net",
        ],
    );
    let got = responses(&post(&srv, "alice", "/alice/.outbox/", &body));
    let recipients: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(
        recipients,
        [
            "mailto:bob@example.org",
            "mailto:carol@example.org",
            "mailto:nobody@example.org",
            "mailto:someone@elsewhere.net"
        ]
    );
    let (_, status, data) = &got[0];
    assert!(status.starts_with("2.0"), "{status}");
    let data = data.as_ref().unwrap();
    for line in [
        "METHOD:REPLY",
        "BEGIN:VFREEBUSY",
        "UID:fb-1",
        "ORGANIZER:mailto:alice@example.org",
        "ATTENDEE:mailto:bob@example.org",
        "DTSTART:20300110T000000Z",
        "DTEND:20300111T000000Z",
    ] {
        assert!(
            data.lines().any(|l| l.trim_end() == line),
            "{line} in\n{data}"
        );
    }
    assert_eq!(
        busy_lines(data),
        [
            "FREEBUSY:20300110T080000Z/20300110T083000Z,20300110T100000Z/20300110T110000Z",
            "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20300110T160000Z/20300110T170000Z",
        ]
    );
    // Carol has no events: free all day.
    assert!(got[1].1.starts_with("2.0"), "{:?}", got[1]);
    assert_eq!(busy_lines(got[1].2.as_ref().unwrap()), Vec::<String>::new());
    for stranger in &got[2..] {
        assert!(stranger.1.starts_with("3.7"), "{stranger:?}");
        assert!(stranger.2.is_none());
    }

    // Opaque again: the trip counts.
    set_transp(&srv, "/bob/holidays/", "opaque").multistatus();
    let body = fb_request("mailto:alice@example.org", &["mailto:bob@example.org"]);
    let got = responses(&post(&srv, "alice", "/alice/.outbox/", &body));
    assert_eq!(
        busy_lines(got[0].2.as_ref().unwrap())[0],
        "FREEBUSY:20300110T080000Z/20300110T083000Z,20300110T100000Z/20300110T110000Z,20300110T180000Z/20300110T190000Z"
    );
    // The principal URL names bob as well as his address does.
    let body = fb_request("/alice/", &["/bob/"]);
    let got = responses(&post(&srv, "alice", "/alice/.outbox/", &body));
    assert!(got[0].1.starts_with("2.0"), "{:?}", got[0]);
}

#[test]
fn outbox_refuses_others_spoofs_and_malformed_requests() {
    let srv = start();
    let good = fb_request("mailto:alice@example.org", &["mailto:bob@example.org"]);
    // Only the owner posts to his outbox.
    assert_eq!(post(&srv, "carol", "/alice/.outbox/", &good).status, 403);
    // The ORGANIZER must be one of the poster's addresses.
    let spoof = fb_request("mailto:bob@example.org", &["mailto:carol@example.org"]);
    let r = post(&srv, "alice", "/alice/.outbox/", &spoof);
    assert_eq!(r.status, 403);
    r.expect_condition(CALDAV, "organizer-allowed");
    assert!(r.text().contains("mailto:bob@example.org"), "{}", r.text());

    let r = post(&srv, "alice", "/alice/.outbox/", "hello");
    assert_eq!(r.status, 400);
    r.expect_condition(CALDAV, "valid-calendar-data");
    let bad = [
        good.replace("METHOD:REQUEST", "METHOD:PUBLISH"),
        good.replace("ATTENDEE:mailto:bob@example.org\r\n", ""),
        good.replace("ORGANIZER:mailto:alice@example.org\r\n", ""),
        good.replace("DTEND:20300111T000000Z", "DTEND:20300101T000000Z"),
        good.replace("DTSTART:20300110T000000Z\r\n", ""),
        good.replace("VFREEBUSY", "VEVENT"),
    ];
    for body in &bad {
        let r = post(&srv, "alice", "/alice/.outbox/", body);
        assert_eq!(r.status, 400, "{body}\n{}", r.text());
        r.expect_condition(CALDAV, "valid-scheduling-message");
    }
    let r = as_user(&srv, "alice", "POST", "/alice/.outbox/")
        .header("Content-Type", "application/xml")
        .body(good.clone())
        .fetch();
    assert_eq!(r.status, 415);
    // Bounded like a PUT: max-resource-size.
    let max = davdir::config::DEFAULT_MAX_RESOURCE_SIZE as usize;
    let huge = good.replace(
        "UID:fb-1\r\n",
        &format!("UID:fb-1\r\nCOMMENT:{}\r\n", "x".repeat(max)),
    );
    let r = post(&srv, "alice", "/alice/.outbox/", &huge);
    assert_eq!(r.status, 403);
    r.expect_condition(CALDAV, "max-resource-size");
    // And a good one is answered.
    assert!(responses(&post(&srv, "alice", "/alice/.outbox/", &good))[0]
        .1
        .starts_with("2.0"));
}
