//! calendar-query answered from the index versus read and evaluated.
//!
//! A plain time-range query (`VCALENDAR > comp-filter > time-range`, whole
//! calendar-data) is answered from indexed facts for single, fixed-zone
//! objects; adding a condition every object meets (`prop-filter UID`) forces
//! every candidate through the parser. Over a mixed calendar and windows on
//! every edge, both must give byte-identical multistatus bodies.

use crate::common::{Options, Server};

const USER: &str = "u";

fn start() -> Server {
    let mut server = Server::start(Options {
        sample: false,
        auth: false,
        config: None,
    });
    server.creds = Some((USER.to_string(), "x".to_string()));
    for (name, toml) in [
        ("plain", ""),
        ("zoned", "timezone = \"America/New_York\"\n"),
    ] {
        let dir = server.data.join(USER).join(name);
        std::fs::create_dir_all(&dir).expect("mkdir calendar");
        if !toml.is_empty() {
            std::fs::write(dir.join(".calendar.toml"), toml).expect(".calendar.toml");
        }
    }
    server
}

fn object(uid: &str, body: &str) -> String {
    let mut out = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davdir//t//EN\r\n");
    for line in body.lines().map(str::trim).filter(|l| !l.is_empty()) {
        out.push_str(line);
        out.push_str("\r\n");
        if let Some(kind) = line.strip_prefix("BEGIN:") {
            if ["VEVENT", "VTODO", "VJOURNAL"].contains(&kind) {
                out.push_str(&format!("UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"));
            }
        }
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

/// Objects around the day 2026-03-02 (the windows below), one per case.
const OBJECTS: &[(&str, &str)] = &[
    ("inside", "BEGIN:VEVENT\nDTSTART:20260302T100000Z\nDTEND:20260302T110000Z\nEND:VEVENT"),
    ("ends-at-start", "BEGIN:VEVENT\nDTSTART:20260301T230000Z\nDTEND:20260302T000000Z\nEND:VEVENT"),
    ("starts-at-end", "BEGIN:VEVENT\nDTSTART:20260303T000000Z\nDTEND:20260303T010000Z\nEND:VEVENT"),
    ("zero-at-start", "BEGIN:VEVENT\nDTSTART:20260302T000000Z\nEND:VEVENT"),
    ("zero-at-end", "BEGIN:VEVENT\nDTSTART:20260303T000000Z\nDURATION:PT0S\nEND:VEVENT"),
    ("berlin", "BEGIN:VEVENT\nDTSTART;TZID=Europe/Berlin:20260302T010000\nDTEND;TZID=Europe/Berlin:20260302T020000\nEND:VEVENT"),
    ("alarmed", "BEGIN:VEVENT\nDTSTART:20260303T001000Z\nDTEND:20260303T011000Z\nBEGIN:VALARM\nTRIGGER:-PT15M\nACTION:DISPLAY\nDESCRIPTION:x\nEND:VALARM\nEND:VEVENT"),
    ("floating", "BEGIN:VEVENT\nDTSTART:20260302T220000\nDTEND:20260302T230000\nEND:VEVENT"),
    ("all-day", "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260303\nEND:VEVENT"),
    ("weekly", "BEGIN:VEVENT\nDTSTART:20260216T230000Z\nDTEND:20260217T000000Z\nRRULE:FREQ=WEEKLY;COUNT=4\nEXDATE:20260223T230000Z\nEND:VEVENT"),
    ("moved", "BEGIN:VEVENT\nDTSTART:20260301T100000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\nBEGIN:VEVENT\nRECURRENCE-ID:20260302T100000Z\nDTSTART:20260304T100000Z\nDURATION:PT1H\nEND:VEVENT"),
    ("todo-due", "BEGIN:VTODO\nDTSTART:20260301T120000Z\nDUE:20260302T000000Z\nEND:VTODO"),
    ("todo-start", "BEGIN:VTODO\nDTSTART:20260303T000000Z\nEND:VTODO"),
    ("todo-duration", "BEGIN:VTODO\nDTSTART:20260302T230000Z\nDURATION:PT1H\nEND:VTODO"),
    ("todo-undated", "BEGIN:VTODO\nDUE:20260302T120000Z\nEND:VTODO"),
    ("journal", "BEGIN:VJOURNAL\nDTSTART:20260302T000000Z\nEND:VJOURNAL"),
];

/// Windows whose edges sit on the objects' edges and a second beside them.
const WINDOWS: &[(&str, &str)] = &[
    ("20260302T000000Z", "20260303T000000Z"),
    ("20260301T235959Z", "20260303T000001Z"),
    ("20260302T000001Z", "20260302T235959Z"),
    ("20260302T110000Z", "20260303T001000Z"),
    ("20260302T100000Z", "20260302T100001Z"),
];

fn query(server: &Server, cal: &str, kind: &str, (s, e): (&str, &str), force: bool) -> String {
    let extra = if force {
        r#"<C:prop-filter name="UID"/>"#
    } else {
        ""
    };
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="{kind}">
<C:time-range start="{s}" end="{e}"/>{extra}</C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"#
    );
    let resp = server.report(&format!("/{USER}/{cal}/"), "1", &body);
    resp.expect(207);
    resp.text()
}

#[test]
fn index_answers_equal_parsed_answers() {
    let server = start();
    for cal in ["plain", "zoned"] {
        for (name, body) in OBJECTS {
            let resp = server.put_ics(&format!("/{USER}/{cal}/{name}.ics"), &object(name, body));
            assert_eq!(resp.status, 201, "{name}: {}", resp.text());
        }
    }
    let mut hits = 0;
    for cal in ["plain", "zoned"] {
        for kind in ["VEVENT", "VTODO", "VJOURNAL"] {
            for w in WINDOWS {
                let fast = query(&server, cal, kind, *w, false);
                let parsed = query(&server, cal, kind, *w, true);
                assert_eq!(fast, parsed, "{cal} {kind} {w:?}");
                hits += fast.matches("<D:href>").count();
            }
        }
    }
    // The windows do select something (so the comparison is not vacuous).
    assert!(hits > 40, "{hits}");
}

#[test]
fn hand_edit_behind_the_index_is_seen() {
    let server = start();
    let path = format!("/{USER}/plain/inside.ics");
    server
        .put_ics(&path, &object("inside", OBJECTS[0].1))
        .expect(201);
    let window = WINDOWS[0];
    assert!(query(&server, "plain", "VEVENT", window, false).contains("inside.ics"));
    // Moved out of the window by hand, same size, before any rescan.
    let moved = object("inside", &OBJECTS[0].1.replace("20260302", "20260309"));
    std::fs::write(server.data.join(USER).join("plain/inside.ics"), moved).unwrap();
    let fast = query(&server, "plain", "VEVENT", window, false);
    assert!(!fast.contains("inside.ics"), "{fast}");
}
