//! `davdir import` and `davdir export` on the files of a running server:
//! a 1,000-event calendar in three time zones with overrides, duplicates
//! and invalid components; 1,000 contacts; re-runs that change nothing;
//! the export equal to the collection GET.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::common::*;

const ZONES: [(&str, &str); 3] = [
    ("Europe/Berlin", "+0100"),
    ("America/New_York", "-0500"),
    ("Asia/Tokyo", "+0900"),
];

fn davdir(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_davdir"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn vtimezone(tzid: &str, offset: &str) -> String {
    format!(
        "BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n\
         TZOFFSETFROM:{offset}\r\nTZOFFSETTO:{offset}\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )
}

/// 1,000 UIDs (every tenth a daily series with one override), the
/// zones defined once at the top; then two repeated components, one
/// without UID, one of an unknown kind and one with a broken line.
fn big_calendar() -> String {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:Old\r\n");
    for (tzid, off) in ZONES {
        s.push_str(&vtimezone(tzid, off));
    }
    for i in 0..1000 {
        let tz = ZONES[i % 3].0;
        let day = 1 + i % 28;
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:ev-{i}@example.org\r\nDTSTAMP:20260101T000000Z\r\n\
             DTSTART;TZID={tz}:202702{day:02}T090000\r\nDTEND;TZID={tz}:202702{day:02}T100000\r\n\
             SUMMARY:Event {i}\r\n"
        ));
        if i % 10 == 0 {
            s.push_str("RRULE:FREQ=DAILY;COUNT=5\r\n");
        }
        s.push_str("END:VEVENT\r\n");
        if i % 10 == 0 {
            s.push_str(&format!(
                "BEGIN:VEVENT\r\nUID:ev-{i}@example.org\r\nDTSTAMP:20260101T000000Z\r\n\
                 RECURRENCE-ID;TZID={tz}:202702{:02}T090000\r\n\
                 DTSTART;TZID={tz}:202702{:02}T110000\r\nSUMMARY:Moved {i}\r\nEND:VEVENT\r\n",
                day + 1,
                day + 1
            ));
        }
    }
    s.push_str("BEGIN:VEVENT\r\nUID:ev-5@example.org\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270301T090000Z\r\nSUMMARY:Again\r\nEND:VEVENT\r\n");
    s.push_str("BEGIN:VEVENT\r\nUID:ev-7@example.org\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270301T090000Z\r\nSUMMARY:Again\r\nEND:VEVENT\r\n");
    s.push_str("BEGIN:VEVENT\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270301T090000Z\r\nSUMMARY:No UID\r\nEND:VEVENT\r\n");
    s.push_str("BEGIN:VFOO\r\nUID:foo-1\r\nEND:VFOO\r\n");
    s.push_str("BEGIN:VEVENT\r\nUID:broken-1\r\nDTSTAMP:20260101T000000Z\r\nthis line has no colon\r\nEND:VEVENT\r\n");
    s.push_str("END:VCALENDAR\r\n");
    s
}

fn import(srv: &Server, file: &Path, collection: &str) -> Output {
    davdir(&[
        "import",
        file.to_str().unwrap(),
        "--user",
        "demo",
        "--collection",
        collection,
        "--data",
        srv.data.to_str().unwrap(),
    ])
}

fn sync_body(token: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
    )
}

#[test]
fn a_big_calendar_is_split_per_uid_and_a_rerun_changes_nothing() {
    let srv = Server::sample();
    let file = srv.data.parent().unwrap().join("old.ics");
    std::fs::write(&file, big_calendar()).unwrap();
    let out = import(&srv, &file, "imported");
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("demo/imported: 1000 created, 0 unchanged, 5 skipped (new calendar)"),
        "{text}"
    );
    let skipped: Vec<&str> = text.lines().filter(|l| l.starts_with("skipped ")).collect();
    assert_eq!(skipped.len(), 5, "{text}");
    assert_eq!(
        skipped
            .iter()
            .filter(|l| l.contains("duplicate UID ev-"))
            .count(),
        2
    );
    assert!(text.contains("skipped VEVENT at line"), "{text}");
    assert!(text.contains("no UID"));
    assert!(
        text.contains("skipped UID foo-1: invalid: unexpected component VFOO"),
        "{text}"
    );
    assert!(
        text.contains("skipped UID broken-1: invalid: line"),
        "{text}"
    );

    let dir = srv.data.join("demo/imported");
    assert_eq!(ics_names(&dir).len(), 1000);
    let series = std::fs::read_to_string(dir.join("ev-10@example.org.ics")).unwrap();
    assert_eq!(series.matches("BEGIN:VEVENT").count(), 2, "{series}");
    assert_eq!(series.matches("BEGIN:VTIMEZONE").count(), 1);
    assert!(series.contains("TZID:America/New_York") && !series.contains("METHOD"));
    let single = std::fs::read_to_string(dir.join("ev-11@example.org.ics")).unwrap();
    assert!(single.contains("TZID:Asia/Tokyo") && !single.contains("Europe/Berlin"));
    // The first of a repeated UID was kept.
    let five = std::fs::read_to_string(dir.join("ev-5@example.org.ics")).unwrap();
    assert!(five.contains("SUMMARY:Event 5") && !five.contains("Again"));

    // The running server serves every object (its watcher saw them) and
    // answers a time-range query in the imported zones.
    assert!(wait_until(20, || srv.members("/demo/imported/").len() == 1001));
    let token = srv
        .report("/demo/imported/", "0", &sync_body(""))
        .multistatus()
        .sync_token
        .expect("token");

    let again = import(&srv, &file, "imported");
    let text = stdout(&again);
    assert!(
        text.contains("demo/imported: 0 created, 1000 unchanged, 5 skipped"),
        "{text}"
    );
    // Control: a file written by hand after the re-run. The watcher handles
    // changes in order, so once it shows, a write by the re-run would too.
    std::fs::write(dir.join("control.ics"), event("control-1", "control")).unwrap();
    let changed = || {
        srv.report("/demo/imported/", "0", &sync_body(&token))
            .multistatus()
            .hrefs()
    };
    assert!(
        wait_until(30, || !changed().is_empty()),
        "the watcher never saw the control file"
    );
    assert_eq!(
        changed(),
        BTreeSet::from(["/demo/imported/control.ics".to_string()]),
        "a re-run changed objects"
    );
    std::fs::remove_file(dir.join("control.ics")).unwrap();

    // A changed object is never overwritten by an import.
    std::fs::write(
        dir.join("ev-1@example.org.ics"),
        event("ev-1@example.org", "Edited"),
    )
    .unwrap();
    let text = stdout(&import(&srv, &file, "imported"));
    assert!(
        text.contains("0 created, 999 unchanged, 6 skipped"),
        "{text}"
    );
    assert!(
        text.contains(
            "skipped UID ev-1@example.org: ev-1@example.org.ics already exists with other content"
        ),
        "{text}"
    );
    assert!(std::fs::read_to_string(dir.join("ev-1@example.org.ics"))
        .unwrap()
        .contains("Edited"));

    // Export: one VCALENDAR, each zone once, byte for byte what GET serves.
    let exported = srv.data.parent().unwrap().join("export.ics");
    let out = davdir(&[
        "export",
        "--user",
        "demo",
        "--collection",
        "imported",
        "--output",
        exported.to_str().unwrap(),
        "--data",
        srv.data.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ics = std::fs::read_to_string(&exported).unwrap();
    assert_eq!(ics.matches("BEGIN:VCALENDAR").count(), 1);
    assert_eq!(ics.matches("BEGIN:VTIMEZONE").count(), 3);
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1000 + 100);
    assert_eq!(srv.get("/demo/imported/").expect(200).text(), ics);
}

#[test]
fn contacts_are_split_and_kinds_must_match() {
    let srv = Server::sample();
    let mut vcf = String::new();
    for i in 0..1000 {
        vcf.push_str(&format!(
            "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:card-{i}\r\nFN:Person {i}\r\nEMAIL:p{i}@example.org\r\nEND:VCARD\r\n"
        ));
    }
    vcf.push_str("BEGIN:VCARD\r\nVERSION:2.1\r\nUID:old\r\nFN:Old\r\nEND:VCARD\r\n");
    let file = srv.data.parent().unwrap().join("people.vcf");
    std::fs::write(&file, &vcf).unwrap();

    let refused = import(&srv, &file, "personal");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr)
        .contains("addressbook data cannot go into this calendar"));
    assert!(!srv.data.join("demo/personal/card-1.vcf").exists());

    let out = import(&srv, &file, "people");
    let text = stdout(&out);
    assert!(
        text.contains("1000 created, 0 unchanged, 1 skipped (new addressbook)"),
        "{text}"
    );
    assert!(
        text.contains("skipped VCARD at line 6001: invalid: vCard version \"2.1\""),
        "{text}"
    );
    let names: BTreeSet<String> = srv.dir_names("demo/people");
    assert_eq!(names.iter().filter(|n| n.ends_with(".vcf")).count(), 1000);
    assert_eq!(
        std::fs::read(srv.data.join("demo/people/card-7.vcf")).unwrap(),
        b"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:card-7\r\nFN:Person 7\r\nEMAIL:p7@example.org\r\nEND:VCARD\r\n"
    );
    assert!(stdout(&import(&srv, &file, "people")).contains("0 created, 1000 unchanged, 1 skipped"));

    // A user without a home yet gets one, as at a first login.
    let out = davdir(&[
        "import",
        file.to_str().unwrap(),
        "--user",
        "carol",
        "--collection",
        "people",
        "--data",
        srv.data.to_str().unwrap(),
    ]);
    assert!(
        stdout(&out).contains("carol/people: 1000 created"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let ics = srv.data.parent().unwrap().join("one.ics");
    std::fs::write(&ics, event("e1", "x")).unwrap();
    let refused = import(&srv, &ics, "people");
    assert!(String::from_utf8_lossy(&refused.stderr)
        .contains("calendar data cannot go into this addressbook"));

    let out = davdir(&[
        "export",
        "--user",
        "demo",
        "--collection",
        "people",
        "--data",
        srv.data.to_str().unwrap(),
    ]);
    let exported = stdout(&out);
    assert_eq!(exported.matches("BEGIN:VCARD").count(), 1000);
    assert!(wait_until(20, || srv.get("/demo/people/").text() == exported));
}
