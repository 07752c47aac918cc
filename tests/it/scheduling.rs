//! RFC 6638 scheduling between the server's users (issue 27): alice
//! organizes, bob and carol attend, all users of one server with
//! `email_domain = "example.org"`; over HTTP against the real binary.

use std::process::Command;

use crate::common::*;

const DOMAIN_CONFIG: &str = "email_domain = \"example.org\"\n";

/// A server over data-sample with alice (password "alice"), bob and
/// carol (password "demo").
pub(crate) fn start() -> Server {
    let srv = Server::start(Options {
        config: Some(DOMAIN_CONFIG.into()),
        ..Options::default()
    });
    let htpasswd = std::fs::read_to_string(srv.htpasswd_path()).unwrap();
    let demo = htpasswd.lines().find(|l| l.starts_with("demo:")).unwrap();
    let hash = demo.trim_start_matches("demo:");
    let more: String = ["alice", "bob", "carol"]
        .iter()
        .filter(|u| {
            !htpasswd.contains(&format!("\n{u}:")) && !htpasswd.starts_with(&format!("{u}:"))
        })
        .map(|u| format!("{u}:{hash}\n"))
        .collect();
    std::fs::write(srv.htpasswd_path(), format!("{htpasswd}{more}")).unwrap();
    srv
}

pub(crate) fn as_user(
    srv: &Server,
    user: &str,
    method: &str,
    path: &str,
) -> reqwest::blocking::RequestBuilder {
    let password = if user == "alice" { "alice" } else { "demo" };
    srv.request_as(Some((user, password)), method, path)
}

fn propfind_as(srv: &Server, user: &str, path: &str, depth: &str, props: &[(&str, &str)]) -> Resp {
    as_user(srv, user, "PROPFIND", path)
        .header("Depth", depth)
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(propfind_body(props))
        .fetch()
}

/// `davdir user ARGS... --data D --htpasswd H`, as an admin runs it beside the server.
fn davdir_user(srv: &Server, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_davdir"))
        .arg("user")
        .args(args)
        .arg("--data")
        .arg(&srv.data)
        .arg("--htpasswd")
        .arg(srv.htpasswd_path())
        .output()
        .unwrap()
}

fn address_set(srv: &Server, user: &str) -> Vec<String> {
    let path = format!("/{user}/");
    let ms = propfind_as(
        srv,
        user,
        &path,
        "0",
        &[(CALDAV, "calendar-user-address-set")],
    )
    .multistatus();
    ms.single().ok(CALDAV, "calendar-user-address-set").hrefs()
}

#[test]
fn addresses_come_from_the_domain_and_the_cli() {
    let srv = start();
    assert_eq!(
        address_set(&srv, "alice"),
        ["mailto:alice@example.org", "/alice/"]
    );
    let ms = propfind_as(
        &srv,
        "alice",
        "/alice/",
        "0",
        &[(CALDAV, "calendar-user-type")],
    )
    .multistatus();
    assert_eq!(
        ms.single().ok(CALDAV, "calendar-user-type").text.trim(),
        "INDIVIDUAL"
    );
    // Set beside the running server: seen at the next request.
    let out = davdir_user(
        &srv,
        &["email", "alice", "Alice@Home.NET", "mailto:a@work.example"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        address_set(&srv, "alice"),
        [
            "mailto:alice@example.org",
            "mailto:Alice@Home.NET",
            "mailto:a@work.example",
            "/alice/"
        ]
    );
    // Taken by alice: refused for bob, with the reason.
    let out = davdir_user(&srv, &["email", "bob", "alice@home.net"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already belongs to alice"));
    let out = davdir_user(&srv, &["email", "bob", "no address"]);
    assert_eq!(out.status.code(), Some(1));
    let out = davdir_user(&srv, &["email", "alice", "--clear"]);
    assert!(out.status.success());
    assert_eq!(
        address_set(&srv, "alice"),
        ["mailto:alice@example.org", "/alice/"]
    );
}

#[test]
fn principal_names_the_boxes_and_only_the_owner_reads_his_inbox() {
    let srv = start();
    let dav = srv.request("OPTIONS", "/").fetch().header("dav").unwrap();
    assert!(dav.contains("calendar-auto-schedule"), "{dav}");
    let ms = propfind_as(
        &srv,
        "bob",
        "/bob/",
        "0",
        &[
            (CALDAV, "schedule-inbox-URL"),
            (CALDAV, "schedule-outbox-URL"),
        ],
    )
    .multistatus();
    let me = ms.single();
    assert_eq!(
        me.ok(CALDAV, "schedule-inbox-URL").hrefs(),
        ["/bob/.inbox/"]
    );
    assert_eq!(
        me.ok(CALDAV, "schedule-outbox-URL").hrefs(),
        ["/bob/.outbox/"]
    );
    // The inbox is a schedule-inbox collection, even before anything came.
    let props = [
        (DAV, "resourcetype"),
        (CALDAV, "schedule-default-calendar-URL"),
    ];
    let ms = propfind_as(&srv, "bob", "/bob/.inbox/", "1", &props).multistatus();
    let inbox = ms.find("/bob/.inbox/").unwrap();
    let types = inbox.ok(DAV, "resourcetype").child_names();
    assert!(
        types.contains(&format!("{{{CALDAV}}}schedule-inbox")),
        "{types:?}"
    );
    assert!(types.contains(&format!("{{{DAV}}}collection")));
    let default = inbox.ok(CALDAV, "schedule-default-calendar-URL").hrefs();
    assert_eq!(default.len(), 1);
    assert!(default[0].starts_with("/bob/") && !default[0].contains(".inbox"));
    let ms = propfind_as(&srv, "bob", "/bob/.outbox/", "0", &[(DAV, "resourcetype")]).multistatus();
    let types = ms.single().ok(DAV, "resourcetype").child_names();
    assert!(
        types.contains(&format!("{{{CALDAV}}}schedule-outbox")),
        "{types:?}"
    );
    // The home's listing does not show the boxes as calendars.
    let ms = propfind_as(&srv, "bob", "/bob/", "1", &[(DAV, "resourcetype")]).multistatus();
    assert!(
        ms.hrefs().iter().all(|h| !h.contains(".inbox")),
        "{:?}",
        ms.hrefs()
    );
    // A message put there (by the server, or by hand) is served to bob alone.
    let dir = srv.file("bob/.inbox");
    std::fs::create_dir_all(&dir).unwrap();
    let msg = event("m1", "Invitation").replace("VERSION:2.0", "VERSION:2.0\r\nMETHOD:REQUEST");
    std::fs::write(dir.join("m1.ics"), &msg).unwrap();
    let ms = propfind_as(&srv, "bob", "/bob/.inbox/", "1", &[(DAV, "getetag")]).multistatus();
    assert!(ms.find("/bob/.inbox/m1.ics").is_some(), "{:?}", ms.hrefs());
    let got = as_user(&srv, "bob", "GET", "/bob/.inbox/m1.ics").fetch();
    got.expect(200);
    assert_eq!(got.text(), msg);
    let query = r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>"#;
    let ms = as_user(&srv, "bob", "REPORT", "/bob/.inbox/")
        .header("Depth", "1")
        .body(query)
        .fetch()
        .multistatus();
    let data = ms
        .find("/bob/.inbox/m1.ics")
        .unwrap()
        .ok(CALDAV, "calendar-data")
        .text
        .clone();
    assert!(data.contains("METHOD:REQUEST"));
    // Anyone else: refused, and nothing changes.
    for (method, path) in [
        ("PROPFIND", "/bob/.inbox/"),
        ("GET", "/bob/.inbox/m1.ics"),
        ("DELETE", "/bob/.inbox/m1.ics"),
        ("POST", "/bob/.outbox/"),
    ] {
        let r = as_user(&srv, "carol", method, path)
            .header("Depth", "0")
            .fetch();
        assert_eq!(r.status, 403, "carol {method} {path}");
    }
    assert!(dir.join("m1.ics").exists());
    // The server alone writes there.
    let r = as_user(&srv, "bob", "PUT", "/bob/.inbox/x.ics")
        .header("Content-Type", "text/calendar")
        .body(event("x", "x"))
        .fetch();
    assert_eq!(r.status, 403);
    r.expect_condition(DAV, "need-privileges");
    as_user(&srv, "bob", "DELETE", "/bob/.inbox/m1.ics")
        .fetch()
        .expect(204);
    assert!(!dir.join("m1.ics").exists());
    as_user(&srv, "bob", "GET", "/bob/.inbox/m1.ics")
        .fetch()
        .expect(404);
    // A POST to his outbox is a free-busy request (not a push
    // registration): one that is no iCalendar is refused as such.
    let r = as_user(&srv, "bob", "POST", "/bob/.outbox/")
        .header("Content-Type", "text/calendar")
        .body("x")
        .fetch();
    assert_eq!(r.status, 400);
    assert!(r.text().contains("valid-calendar-data"), "{}", r.text());
    // A collection of that name cannot be made.
    let r = as_user(&srv, "bob", "MKCALENDAR", "/bob/.inbox/").fetch();
    assert_eq!(r.status, 403);
}

/// The messages in a user's inbox, as files.
fn inbox(srv: &Server, user: &str) -> Vec<String> {
    let dir = srv.file(&format!("{user}/.inbox"));
    let mut out: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(&dir)
        .map(|d| {
            d.map(|e| {
                let e = e.unwrap();
                let at = e.metadata().unwrap().modified().unwrap();
                (at, std::fs::read_to_string(e.path()).unwrap())
            })
            .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.into_iter().map(|(_, t)| t).collect()
}

/// The path (below the data directory) and text of the user's object of
/// this UID, in whichever of his calendars it is.
fn copy_of(srv: &Server, user: &str, uid: &str) -> Option<(String, String)> {
    let home = srv.file(user);
    for cal in std::fs::read_dir(&home).ok()? {
        let cal = cal.unwrap();
        let cname = cal.file_name().to_string_lossy().into_owned();
        if cname.starts_with('.') || !cal.path().is_dir() {
            continue;
        }
        for f in std::fs::read_dir(cal.path()).unwrap() {
            let f = f.unwrap();
            let text = std::fs::read_to_string(f.path()).unwrap_or_default();
            if text.contains(&format!("UID:{uid}\r\n")) {
                let name = f.file_name().to_string_lossy().into_owned();
                return Some((format!("{user}/{cname}/{name}"), text));
            }
        }
    }
    None
}

/// The ATTENDEE line of `who` (unfolded).
fn attendee_line(text: &str, who: &str) -> String {
    let unfolded = text.replace("\r\n ", "");
    unfolded
        .lines()
        .find(|l| {
            l.starts_with("ATTENDEE")
                && l.to_lowercase()
                    .ends_with(&format!(":mailto:{who}@example.org"))
        })
        .unwrap_or_else(|| panic!("no ATTENDEE {who} in\n{text}"))
        .to_string()
}

fn meeting(uid: &str, summary: &str, organizer: &str, attendees: &[&str]) -> String {
    let mut a: String = attendees
        .iter()
        .map(|x| {
            if x.contains('@') {
                format!("ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:{x}\r\n")
            } else {
                format!(
                    "ATTENDEE;CN={x};PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{x}@example.org\r\n"
                )
            }
        })
        .collect();
    a.insert_str(
        0,
        &format!("ATTENDEE;PARTSTAT=ACCEPTED:mailto:{organizer}@example.org\r\n"),
    );
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nSUMMARY:{summary}\r\nORGANIZER;CN={organizer}:mailto:{organizer}@example.org\r\n{a}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn put_as(srv: &Server, user: &str, path: &str, ics: &str) -> Resp {
    as_user(srv, user, "PUT", path)
        .header("Content-Type", "text/calendar; charset=utf-8")
        .body(ics.to_string())
        .fetch()
}

#[test]
fn invitations_replies_updates_and_cancels_between_three_users() {
    let srv = start();
    // Bob and carol have logged in before (their homes exist).
    propfind_as(&srv, "bob", "/bob/", "0", &[(DAV, "displayname")]).expect(207);
    let body = meeting(
        "m1",
        "Plan",
        "alice",
        &["bob", "carol", "dave", "x@elsewhere.net"],
    );
    put_as(&srv, "alice", "/alice/home/m1.ics", &body).expect(201);

    // Each local attendee: a REQUEST in his inbox, his copy in his calendar.
    for who in ["bob", "carol"] {
        let msgs = inbox(&srv, who);
        assert_eq!(msgs.len(), 1, "{who}: {msgs:?}");
        assert!(msgs[0].contains("METHOD:REQUEST") && msgs[0].contains("SUMMARY:Plan"));
        let (path, copy) = copy_of(&srv, who, "m1").unwrap_or_else(|| panic!("{who} has no copy"));
        assert!(path.ends_with("/m1.ics"), "{path}");
        assert!(attendee_line(&copy, who).contains("PARTSTAT=NEEDS-ACTION"));
        assert!(!copy.contains("METHOD"));
    }
    // The organizer's copy says what became of each.
    let stored = String::from_utf8(srv.read("alice/home/m1.ics")).unwrap();
    assert!(
        attendee_line(&stored, "bob").contains("SCHEDULE-STATUS=1.2"),
        "{stored}"
    );
    assert!(attendee_line(&stored, "carol").contains("SCHEDULE-STATUS=1.2"));
    assert!(attendee_line(&stored, "dave").contains("SCHEDULE-STATUS=3.7"));
    let unfolded = stored.replace("\r\n ", "");
    assert!(
        unfolded.contains("SCHEDULE-STATUS=5.1:mailto:x@elsewhere.net"),
        "{stored}"
    );
    assert!(
        !attendee_line(&stored, "alice").contains("SCHEDULE-STATUS"),
        "no message to herself"
    );
    assert!(inbox(&srv, "alice").is_empty());

    // Bob accepts in his copy: a REPLY updates alice's copy.
    let (bob_path, bob_copy) = copy_of(&srv, "bob", "m1").unwrap();
    let bob_url = format!("/{bob_path}");
    let accepted = bob_copy.replace(
        &attendee_line(&bob_copy, "bob"),
        &attendee_line(&bob_copy, "bob").replace("NEEDS-ACTION", "ACCEPTED"),
    );
    put_as(&srv, "bob", &bob_url, &accepted).expect(204);
    let stored = String::from_utf8(srv.read("alice/home/m1.ics")).unwrap();
    let line = attendee_line(&stored, "bob");
    assert!(
        line.contains("PARTSTAT=ACCEPTED") && line.contains("SCHEDULE-STATUS=2.0"),
        "{line}"
    );
    assert!(attendee_line(&stored, "carol").contains("PARTSTAT=NEEDS-ACTION"));
    let replies = inbox(&srv, "alice");
    assert_eq!(replies.len(), 1);
    assert!(replies[0].contains("METHOD:REPLY") && replies[0].contains("mailto:bob@example.org"));
    assert!(
        !replies[0].contains("carol"),
        "a reply names its attendee alone"
    );
    // Saving again without a change of his answer sends nothing more.
    put_as(&srv, "bob", &bob_url, &accepted).expect(204);
    assert_eq!(inbox(&srv, "alice").len(), 1);

    // Alice moves the meeting: bob's copy follows, keeping his answer.
    let moved = stored.replace("SUMMARY:Plan", "SUMMARY:Plan B");
    put_as(&srv, "alice", "/alice/home/m1.ics", &moved).expect(204);
    let (_, bob_copy) = copy_of(&srv, "bob", "m1").unwrap();
    assert!(bob_copy.contains("SUMMARY:Plan B"));
    assert!(
        attendee_line(&bob_copy, "bob").contains("PARTSTAT=ACCEPTED"),
        "{bob_copy}"
    );
    assert_eq!(inbox(&srv, "bob").len(), 2);
    // An organizer's save that changes nothing significant sends nothing.
    let stored = String::from_utf8(srv.read("alice/home/m1.ics")).unwrap();
    put_as(&srv, "alice", "/alice/home/m1.ics", &stored).expect(204);
    assert_eq!(inbox(&srv, "bob").len(), 2);

    // Carol deletes her copy: she declines.
    let (carol_path, _) = copy_of(&srv, "carol", "m1").unwrap();
    as_user(&srv, "carol", "DELETE", &format!("/{carol_path}"))
        .fetch()
        .expect(204);
    let stored = String::from_utf8(srv.read("alice/home/m1.ics")).unwrap();
    assert!(
        attendee_line(&stored, "carol").contains("PARTSTAT=DECLINED"),
        "{stored}"
    );
    assert_eq!(inbox(&srv, "alice").len(), 2);

    // Alice deletes the meeting: cancelled for bob.
    as_user(&srv, "alice", "DELETE", "/alice/home/m1.ics")
        .fetch()
        .expect(204);
    let (_, bob_copy) = copy_of(&srv, "bob", "m1").unwrap();
    assert!(bob_copy.contains("STATUS:CANCELLED"), "{bob_copy}");
    let msgs = inbox(&srv, "bob");
    assert_eq!(msgs.len(), 3);
    assert!(msgs[2].contains("METHOD:CANCEL"));
}

#[test]
fn spoofed_organizers_are_refused_and_client_agents_left_alone() {
    let srv = start();
    // Carol writes an event as if bob organized it: bob has no such event.
    let spoof = meeting("s1", "Fake", "bob", &["carol", "alice"]);
    propfind_as(&srv, "carol", "/carol/", "0", &[(DAV, "displayname")]).expect(207);
    as_user(&srv, "carol", "MKCALENDAR", "/carol/mine/")
        .fetch()
        .expect(201);
    let r = put_as(&srv, "carol", "/carol/mine/spoof.ics", &spoof);
    assert_eq!(r.status, 403, "{}", r.text());
    r.expect_condition(CALDAV, "valid-organizer");
    // Not even an attendee of it.
    let spoof2 = meeting("s2", "Fake", "bob", &["alice"]);
    let r = put_as(&srv, "carol", "/carol/mine/spoof2.ics", &spoof2);
    r.expect_condition(CALDAV, "valid-organizer");
    assert!(inbox(&srv, "alice").is_empty() && inbox(&srv, "bob").is_empty());
    assert!(!srv.file("carol/mine/spoof.ics").exists());
    // SCHEDULE-AGENT=CLIENT: the client schedules; the server sends nothing.
    let own = meeting("c1", "Client", "alice", &["bob"])
        .replace("ATTENDEE;CN=bob;", "ATTENDEE;SCHEDULE-AGENT=CLIENT;CN=bob;");
    put_as(&srv, "alice", "/alice/home/c1.ics", &own).expect(201);
    assert!(inbox(&srv, "bob").is_empty());
    assert_eq!(
        srv.read("alice/home/c1.ics"),
        own.as_bytes(),
        "stored as sent"
    );
    // A hand edit (the watcher's path) sends nothing either.
    let hand = meeting("h1", "Hand", "alice", &["bob"]);
    std::fs::write(srv.file("alice/home/h1.ics"), &hand).unwrap();
    assert!(wait_until(10, || {
        as_user(&srv, "alice", "GET", "/alice/home/h1.ics")
            .fetch()
            .status
            == 200
    }));
    assert!(inbox(&srv, "bob").is_empty());
}

#[test]
fn schedule_tag_survives_replies_and_guards_puts() {
    let srv = start();
    propfind_as(&srv, "bob", "/bob/", "0", &[(DAV, "displayname")]).expect(207);
    let body = meeting("t1", "Tagged", "alice", &["bob"]);
    let r = put_as(&srv, "alice", "/alice/home/t1.ics", &body);
    r.expect(201);
    let put_tag = r.header("schedule-tag").expect("Schedule-Tag on PUT");
    let got = as_user(&srv, "alice", "GET", "/alice/home/t1.ics").fetch();
    assert_eq!(
        got.header("schedule-tag").as_deref(),
        Some(put_tag.as_str())
    );
    let prop = propfind_as(
        &srv,
        "alice",
        "/alice/home/t1.ics",
        "0",
        &[(CALDAV, "schedule-tag")],
    )
    .multistatus();
    assert_eq!(
        prop.single().ok(CALDAV, "schedule-tag").text.trim(),
        put_tag
    );
    // A plain event has none.
    put_as(
        &srv,
        "alice",
        "/alice/home/plain.ics",
        &event("p1", "Plain"),
    )
    .expect(201);
    let plain = as_user(&srv, "alice", "GET", "/alice/home/plain.ics").fetch();
    assert_eq!(plain.header("schedule-tag"), None);

    // Bob accepts: alice's copy changes, her Schedule-Tag does not.
    let etag_before = got.etag();
    let stale = got.text();
    let (bob_path, bob_copy) = copy_of(&srv, "bob", "t1").unwrap();
    let bob_url = format!("/{bob_path}");
    let bob_tag = as_user(&srv, "bob", "GET", &bob_url)
        .fetch()
        .header("schedule-tag")
        .unwrap();
    let line = attendee_line(&bob_copy, "bob");
    let accepted = bob_copy.replace(&line, &line.replace("NEEDS-ACTION", "ACCEPTED"));
    as_user(&srv, "bob", "PUT", &bob_url)
        .header("Content-Type", "text/calendar")
        .header("If-Schedule-Tag-Match", bob_tag.as_str())
        .body(accepted.clone())
        .fetch()
        .expect(204);
    let got = as_user(&srv, "alice", "GET", "/alice/home/t1.ics").fetch();
    assert_ne!(got.etag(), etag_before, "the reply changed her copy");
    assert_eq!(
        got.header("schedule-tag").as_deref(),
        Some(put_tag.as_str())
    );
    assert!(attendee_line(&got.text(), "bob").contains("ACCEPTED"));

    // Her client's PUT of the version it read before the reply, on that
    // tag, still goes through (only a reply came in between) and keeps
    // bob's answer; a second one on that tag is refused.
    let moved = stale.replace("SUMMARY:Tagged", "SUMMARY:Moved");
    assert!(attendee_line(&moved, "bob").contains("NEEDS-ACTION"));
    let r = as_user(&srv, "alice", "PUT", "/alice/home/t1.ics")
        .header("Content-Type", "text/calendar")
        .header("If-Schedule-Tag-Match", put_tag.as_str())
        .body(moved.clone())
        .fetch();
    r.expect(204);
    let new_tag = r.header("schedule-tag").unwrap();
    assert_ne!(new_tag, put_tag);
    let stored = String::from_utf8(srv.read("alice/home/t1.ics")).unwrap();
    assert!(stored.contains("SUMMARY:Moved"));
    let line = attendee_line(&stored, "bob");
    assert!(
        line.contains("PARTSTAT=ACCEPTED"),
        "the reply is kept: {line}"
    );
    let r = as_user(&srv, "alice", "PUT", "/alice/home/t1.ics")
        .header("Content-Type", "text/calendar")
        .header("If-Schedule-Tag-Match", put_tag.as_str())
        .body(moved.replace("Moved", "Again"))
        .fetch();
    assert_eq!(r.status, 412);
    // The organizer's update gave bob's copy a new tag: his stale PUT fails.
    let r = as_user(&srv, "bob", "PUT", &bob_url)
        .header("Content-Type", "text/calendar")
        .header("If-Schedule-Tag-Match", bob_tag.as_str())
        .body(accepted)
        .fetch();
    assert_eq!(r.status, 412);
    let (_, bob_copy) = copy_of(&srv, "bob", "t1").unwrap();
    assert!(bob_copy.contains("SUMMARY:Moved"));
}

#[test]
fn a_sharee_writing_the_owners_meeting_schedules_as_the_owner() {
    let srv = start();
    let settings = srv.file("alice/home/.calendar.toml");
    let old = std::fs::read_to_string(&settings).unwrap_or_default();
    std::fs::write(
        &settings,
        format!("{old}\n[share]\ncarol = \"read-write\"\n"),
    )
    .unwrap();
    propfind_as(&srv, "bob", "/bob/", "0", &[(DAV, "displayname")]).expect(207);
    let body = meeting("v1", "Via view", "alice", &["bob"]);
    assert!(wait_until(10, || {
        propfind_as(
            &srv,
            "carol",
            "/carol/alice--home/",
            "0",
            &[(DAV, "displayname")],
        )
        .status
            == 207
    }));
    let r = put_as(&srv, "carol", "/carol/alice--home/v1.ics", &body);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(inbox(&srv, "bob").len(), 1);
    let stored = String::from_utf8(srv.read("alice/home/v1.ics")).unwrap();
    assert!(attendee_line(&stored, "bob").contains("SCHEDULE-STATUS=1.2"));
}

#[test]
fn a_user_invited_by_two_of_his_addresses_gets_one_invitation() {
    let srv = start();
    let out = davdir_user(&srv, &["email", "bob", "bob@home.net"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    propfind_as(&srv, "bob", "/bob/", "0", &[(DAV, "displayname")]).expect(207);
    let body = meeting("d1", "Twice", "alice", &["bob", "bob@home.net"]);
    put_as(&srv, "alice", "/alice/home/d1.ics", &body).expect(201);
    assert_eq!(inbox(&srv, "bob").len(), 1);
    let stored = String::from_utf8(srv.read("alice/home/d1.ics")).unwrap();
    assert!(
        stored.contains("SCHEDULE-STATUS=1.2:mailto:bob@home.net"),
        "{stored}"
    );
    // One of his addresses leaves the event: he is still invited.
    let unfolded = stored.replace("\r\n ", "");
    let fewer = unfolded.replace(&format!("{}\r\n", attendee_line(&stored, "bob")), "");
    assert!(!fewer.contains("bob@example.org"));
    put_as(&srv, "alice", "/alice/home/d1.ics", &fewer).expect(204);
    let (_, copy) = copy_of(&srv, "bob", "d1").unwrap();
    assert!(!copy.contains("CANCELLED"), "{copy}");
    assert!(inbox(&srv, "bob")
        .iter()
        .all(|m| !m.contains("METHOD:CANCEL")));
    // Taken off entirely: cancelled for him.
    let now = String::from_utf8(srv.read("alice/home/d1.ics"))
        .unwrap()
        .replace("\r\n ", "");
    let line = now
        .lines()
        .find(|l| l.ends_with("mailto:bob@home.net"))
        .unwrap()
        .to_string();
    let none = now.replace(&format!("{line}\r\n"), "");
    assert!(!none.contains("bob@home.net"), "{none}");
    put_as(&srv, "alice", "/alice/home/d1.ics", &none).expect(204);
    let (_, copy) = copy_of(&srv, "bob", "d1").unwrap();
    assert!(copy.contains("STATUS:CANCELLED"));
    assert!(inbox(&srv, "bob").last().unwrap().contains("METHOD:CANCEL"));
}

/// A delivery the server knows it would refuse is not reported delivered:
/// bob's inbox is full (5.1, not delivered), carol's event of that UID is
/// her own (3.8, no authority); neither is touched.
#[test]
fn a_full_inbox_still_invites_and_a_foreign_uid_is_refused() {
    let srv = start();
    for who in ["bob", "carol"] {
        propfind_as(&srv, who, &format!("/{who}/"), "0", &[(DAV, "displayname")]).expect(207);
    }
    let full = srv.file("bob/.inbox");
    std::fs::create_dir_all(&full).unwrap();
    for i in 0..1000 {
        std::fs::write(
            full.join(format!("m{i}.ics")),
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
    }
    let hers = meeting("r1", "Hers", "carol", &[]);
    put_as(&srv, "carol", "/carol/calendar/r1.ics", &hers).expect(201);
    let body = meeting("r1", "Clash", "alice", &["bob", "carol"]);
    put_as(&srv, "alice", "/alice/home/r1.ics", &body).expect(201);
    let stored = String::from_utf8(srv.read("alice/home/r1.ics")).unwrap();
    // A full inbox stores no new message, but the invitation still
    // reaches his calendar.
    assert!(
        attendee_line(&stored, "bob").contains("SCHEDULE-STATUS=1.2"),
        "{stored}"
    );
    assert!(
        attendee_line(&stored, "carol").contains("SCHEDULE-STATUS=3.8"),
        "{stored}"
    );
    assert_eq!(std::fs::read_dir(&full).unwrap().count(), 1000);
    let (_, copy) = copy_of(&srv, "bob", "r1").unwrap();
    assert!(copy.contains("SUMMARY:Clash"), "{copy}");
    let (_, copy) = copy_of(&srv, "carol", "r1").unwrap();
    assert!(copy.contains("SUMMARY:Hers"), "{copy}");
    assert!(inbox(&srv, "carol").is_empty());
}

/// Calendars advertise `max-attendees-per-instance` (RFC 4791 §5.2.9), and
/// it is the bound an organizer's PUT is held to: that many is stored, one
/// more is refused.
#[test]
fn calendars_advertise_the_attendee_bound_they_enforce() {
    let srv = start();
    let ms = propfind_as(
        &srv,
        "alice",
        "/alice/home/",
        "0",
        &[(CALDAV, "max-attendees-per-instance")],
    )
    .multistatus();
    let max: usize = ms
        .single()
        .ok(CALDAV, "max-attendees-per-instance")
        .text
        .trim()
        .parse()
        .unwrap();
    // meeting() lists the organizer too.
    let others: Vec<String> = (0..max).map(|i| format!("x{i}")).collect();
    let refs: Vec<&str> = others.iter().map(String::as_str).collect();
    let r = put_as(
        &srv,
        "alice",
        "/alice/home/over.ics",
        &meeting("over", "Over", "alice", &refs),
    );
    assert_eq!(r.status, 403, "{}", r.text());
    r.expect_condition(CALDAV, "max-attendees-per-instance");
    let at = meeting("at", "At", "alice", &refs[1..]);
    put_as(&srv, "alice", "/alice/home/at.ics", &at).expect(201);
}

/// The answer of the attendee whose ATTENDEE line this is.
fn partstat(text: &str, who: &str) -> String {
    let line = attendee_line(text, who);
    let p = line.split(';').find_map(|p| p.strip_prefix("PARTSTAT="));
    p.unwrap_or("").split(':').next().unwrap().to_string()
}

/// A user's answer, changed in his copy by a PUT of his.
fn answer(srv: &Server, user: &str, uid: &str, partstat: &str) {
    let (path, copy) = copy_of(srv, user, uid).unwrap();
    let line = attendee_line(&copy, user);
    let answered = copy.replace(&line, &line.replace("NEEDS-ACTION", partstat));
    put_as(srv, user, &format!("/{path}"), &answered).expect(204);
}

#[test]
fn a_reply_shows_in_the_other_attendees_copies() {
    let srv = start();
    for who in ["bob", "carol"] {
        propfind_as(&srv, who, &format!("/{who}/"), "0", &[(DAV, "displayname")]).expect(207);
    }
    let body = meeting("f1", "Fan", "alice", &["bob", "carol"]);
    put_as(&srv, "alice", "/alice/home/f1.ics", &body).expect(201);
    let carol_inbox = inbox(&srv, "carol").len();

    answer(&srv, "bob", "f1", "ACCEPTED");
    let (_, carol_copy) = copy_of(&srv, "carol", "f1").unwrap();
    assert_eq!(partstat(&carol_copy, "bob"), "ACCEPTED", "{carol_copy}");
    assert_eq!(partstat(&carol_copy, "carol"), "NEEDS-ACTION");
    assert!(
        !carol_copy.contains("SCHEDULE-STATUS"),
        "an attendee's copy has no delivery statuses: {carol_copy}"
    );
    assert_eq!(inbox(&srv, "carol").len(), carol_inbox, "no message for it");

    answer(&srv, "carol", "f1", "DECLINED");
    let (_, bob_copy) = copy_of(&srv, "bob", "f1").unwrap();
    assert_eq!(partstat(&bob_copy, "carol"), "DECLINED", "{bob_copy}");
    assert_eq!(partstat(&bob_copy, "bob"), "ACCEPTED");
    let stored = String::from_utf8(srv.read("alice/home/f1.ics")).unwrap();
    assert_eq!(partstat(&stored, "bob"), "ACCEPTED");
    assert_eq!(partstat(&stored, "carol"), "DECLINED");
}

/// RFC 6638 §3.1: a sharee who moves or deletes the owner's meeting
/// through his view schedules as the owner, the calendar's organizer.
#[test]
fn a_sharee_moving_and_deleting_the_owners_meeting_updates_and_cancels() {
    let srv = start();
    let settings = srv.file("alice/home/.calendar.toml");
    let old = std::fs::read_to_string(&settings).unwrap_or_default();
    std::fs::write(&settings, format!("{old}\n[share]\nbob = \"read-write\"\n")).unwrap();
    propfind_as(&srv, "carol", "/carol/", "0", &[(DAV, "displayname")]).expect(207);
    let body = meeting("v2", "Sync", "alice", &["carol"]);
    put_as(&srv, "alice", "/alice/home/v2.ics", &body).expect(201);
    assert_eq!(inbox(&srv, "carol").len(), 1);
    let view = "/bob/alice--home/v2.ics";
    assert!(wait_until(10, || as_user(&srv, "bob", "GET", view)
        .fetch()
        .status
        == 200));

    // Bob moves it an hour later through his view.
    let stored = String::from_utf8(srv.read("alice/home/v2.ics")).unwrap();
    let moved = stored
        .replace("DTSTART:20260310T100000Z", "DTSTART:20260310T110000Z")
        .replace("DTEND:20260310T110000Z", "DTEND:20260310T120000Z");
    let r = put_as(&srv, "bob", view, &moved);
    assert_eq!(r.status, 204, "{}", r.text());
    let (_, carol_copy) = copy_of(&srv, "carol", "v2").unwrap();
    assert!(
        carol_copy.contains("DTSTART:20260310T110000Z"),
        "{carol_copy}"
    );
    let msgs = inbox(&srv, "carol");
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(msgs[1].contains("METHOD:REQUEST"));
    assert!(msgs[1].contains(":mailto:alice@example.org"), "{}", msgs[1]);
    assert!(!msgs[1].contains("bob"), "from alice, not bob: {}", msgs[1]);

    // Bob deletes it through his view: cancelled for carol.
    as_user(&srv, "bob", "DELETE", view).fetch().expect(204);
    let (_, carol_copy) = copy_of(&srv, "carol", "v2").unwrap();
    assert!(carol_copy.contains("STATUS:CANCELLED"), "{carol_copy}");
    let msgs = inbox(&srv, "carol");
    assert_eq!(msgs.len(), 3);
    assert!(msgs[2].contains("METHOD:CANCEL"));
}
