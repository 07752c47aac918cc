//! GET, HEAD, PUT and DELETE of calendar object resources and calendars
//! (RFC 4791 §5.3.2 preconditions, docs/DESIGN.md: bytes stored as sent, ETag =
//! SHA-256 of the file).

use crate::common::*;

const OBJ: &str = "/demo/work/team-weekly-sync.ics";
const OBJ_FILE: &str = "demo/work/team-weekly-sync.ics";

#[test]
fn get_object_serves_the_file_bytes_with_etag_and_last_modified() {
    let srv = Server::sample();
    let file = srv.read(OBJ_FILE);
    let r = srv.get(OBJ);
    r.expect(200);
    assert_eq!(r.body, file, "body differs from the file");
    assert_eq!(r.header("etag"), Some(format!("\"{}\"", sha256_hex(&file))));
    let ct = r.header("content-type").unwrap().to_ascii_lowercase();
    assert_eq!(ct.replace(' ', ""), "text/calendar;charset=utf-8");
    let lm = r.header("last-modified").expect("Last-Modified");
    assert!(
        lm.ends_with(" GMT") && lm.len() == 29,
        "not an IMF-fixdate: {lm}"
    );
}

#[test]
fn head_object_matches_get_without_a_body() {
    let srv = Server::sample();
    let file = srv.read(OBJ_FILE);
    let get = srv.get(OBJ);
    let head = srv.request("HEAD", OBJ).fetch();
    head.expect(200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("etag"), get.header("etag"));
    assert_eq!(head.header("last-modified"), get.header("last-modified"));
    assert_eq!(head.header("content-type"), get.header("content-type"));
    // RFC 9110 §8.6: a Content-Length on HEAD must be the length GET would send.
    if let Some(len) = head.header("content-length") {
        assert_eq!(len, file.len().to_string(), "HEAD Content-Length");
    }
}

#[test]
fn head_calendar_matches_get_without_a_body() {
    let srv = Server::sample();
    let get = srv.get("/demo/work/");
    get.expect(200);
    let head = srv.request("HEAD", "/demo/work/").fetch();
    head.expect(200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("etag"), get.header("etag"));
    if let Some(len) = head.header("content-length") {
        assert_eq!(len, get.body.len().to_string(), "HEAD Content-Length");
    }
}

#[test]
fn get_missing_object_is_404() {
    let srv = Server::sample();
    srv.get("/demo/work/nope.ics").expect(404);
    srv.get("/demo/nope/x.ics").expect(404);
}

#[test]
fn get_of_a_large_calendar_streams_every_object_once() {
    let srv = Server::sample();
    let dir = srv.file("demo/big");
    std::fs::create_dir(&dir).unwrap();
    let n = 6000; // merged, more than the 512 KB body.rs holds before streaming: sent in chunks
    for i in 0..n {
        let body = event(&format!("big-{i:04}"), "Many").replace(
            "BEGIN:VEVENT",
            "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT",
        );
        std::fs::write(dir.join(format!("big-{i:04}.ics")), body).unwrap();
    }
    // Files written by hand reach the index through the watcher's batches:
    // wait (bounded) until all of them are in, then check the export.
    let count_in =
        |text: &str, needle: &str| text.lines().filter(|l| l.trim_end() == needle).count();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let (r, text) = loop {
        let r = srv.get("/demo/big/");
        r.expect(200);
        let text = r.text();
        if count_in(&text, "BEGIN:VEVENT") >= n || std::time::Instant::now() > deadline {
            break (r, text);
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(
        r.header("content-length").is_none(),
        "expected a streamed body"
    );
    let count = |needle: &str| count_in(&text, needle);
    assert_eq!(count("BEGIN:VCALENDAR"), 1);
    assert_eq!(count("BEGIN:VEVENT"), n);
    assert_eq!(count("BEGIN:VTIMEZONE"), 1);
    for i in [0, 1234, n - 1] {
        assert!(text.contains(&format!("UID:big-{i:04}\r\n")), "big-{i:04}");
    }
    assert!(text.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
}

#[test]
fn get_calendar_returns_one_vcalendar_with_every_object() {
    let srv = Server::sample();
    let r = srv.get("/demo/work/");
    r.expect(200);
    assert!(r
        .header("content-type")
        .unwrap()
        .to_ascii_lowercase()
        .starts_with("text/calendar"));
    let text = r.text();
    let count = |needle: &str| text.lines().filter(|l| l.trim_end() == needle).count();
    assert_eq!(count("BEGIN:VCALENDAR"), 1, "{text}");
    assert_eq!(count("END:VCALENDAR"), 1, "{text}");
    assert!(text.starts_with("BEGIN:VCALENDAR"));
    let mut components = 0;
    for name in ics_names(&srv.file("demo/work")) {
        let body = String::from_utf8(srv.read(&format!("demo/work/{name}"))).unwrap();
        let uid = uid_of(&body);
        assert!(text.contains(&format!("UID:{uid}")), "{uid} missing");
        components += body
            .lines()
            .filter(|l| {
                let l = l.trim_end();
                l == "BEGIN:VEVENT" || l == "BEGIN:VTODO" || l == "BEGIN:VJOURNAL"
            })
            .count();
    }
    let merged = count("BEGIN:VEVENT") + count("BEGIN:VTODO") + count("BEGIN:VJOURNAL");
    assert_eq!(merged, components, "components lost or duplicated");
    // Each time zone once.
    let tzids: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim_end().strip_prefix("TZID:"))
        .collect();
    let unique: std::collections::BTreeSet<&str> = tzids.iter().copied().collect();
    assert_eq!(tzids.len(), unique.len(), "VTIMEZONE repeated: {tzids:?}");
}

#[test]
fn put_new_is_201_overwrite_is_204_and_bytes_are_stored_as_sent() {
    let srv = Server::sample();
    // LF line endings, a folded line and odd spacing: nothing may be rewritten.
    let first = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//odd//client//EN\nBEGIN:VEVENT\nUID:stored-as-sent\nDTSTAMP:20261101T120000Z\nDTSTART:20270301T080000Z\nSUMMARY:A long summary that a client chose to fol\n d over two lines\nEND:VEVENT\nEND:VCALENDAR\n";
    let r = srv.put_ics("/demo/work/as-sent.ics", first);
    r.expect(201);
    assert_eq!(r.etag(), Some(sha256_hex(first.as_bytes())));
    assert_eq!(srv.read("demo/work/as-sent.ics"), first.as_bytes());

    let second = event("stored-as-sent", "Changed");
    let r = srv.put_ics("/demo/work/as-sent.ics", &second);
    r.expect(204);
    assert_eq!(r.etag(), Some(sha256_hex(second.as_bytes())));
    assert_eq!(srv.read("demo/work/as-sent.ics"), second.as_bytes());
    let get = srv.get("/demo/work/as-sent.ics");
    assert_eq!(get.body, second.as_bytes());
    assert_eq!(get.etag(), Some(sha256_hex(second.as_bytes())));
    srv.assert_no_temp_files("demo/work");
}

#[test]
fn put_without_content_type_is_accepted() {
    let srv = Server::sample();
    let ics = event("no-content-type", "x");
    srv.request("PUT", "/demo/work/nct.ics")
        .body(ics.clone())
        .fetch()
        .expect(201);
    assert_eq!(srv.read("demo/work/nct.ics"), ics.as_bytes());
}

#[test]
fn put_invalid_icalendar_is_403_valid_calendar_data() {
    let srv = Server::sample();
    let bodies = [
        "this is not iCalendar\r\n".to_string(),
        // Unterminated component.
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:broken\r\nDTSTART:20270101T000000Z\r\n"
            .to_string(),
    ];
    for body in bodies {
        let r = srv.put_ics("/demo/work/invalid.ics", &body);
        r.expect(403);
        r.expect_condition(CALDAV, "valid-calendar-data");
        assert!(!srv.file("demo/work/invalid.ics").exists());
    }
    srv.assert_no_temp_files("demo/work");
}

#[test]
fn put_two_uids_or_method_is_403_valid_calendar_object_resource() {
    let srv = Server::sample();
    let two_uids = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n\
        BEGIN:VEVENT\r\nUID:one\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:20270101T090000Z\r\nEND:VEVENT\r\n\
        BEGIN:VEVENT\r\nUID:two\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:20270102T090000Z\r\nEND:VEVENT\r\n\
        END:VCALENDAR\r\n";
    let with_method = event("has-method", "x").replacen(
        "VERSION:2.0\r\n",
        "VERSION:2.0\r\nMETHOD:REQUEST\r\n",
        1,
    );
    for body in [two_uids.to_string(), with_method] {
        let r = srv.put_ics("/demo/work/bad-object.ics", &body);
        r.expect(403);
        r.expect_condition(CALDAV, "valid-calendar-object-resource");
        assert!(!srv.file("demo/work/bad-object.ics").exists());
    }
}

#[test]
fn put_vtodo_into_vevent_only_calendar_is_403_supported_calendar_component() {
    let srv = Server::sample();
    // A calendar made by hand whose .calendar.toml allows only events.
    std::fs::create_dir(srv.file("demo/events")).unwrap();
    std::fs::write(
        srv.file("demo/events/.calendar.toml"),
        "components = [\"VEVENT\"]\n",
    )
    .unwrap();
    srv.put_ics("/demo/events/e.ics", &event("vevent-only-1", "ok"))
        .expect(201);
    let r = srv.put_ics("/demo/events/t.ics", &todo("vevent-only-2", "no"));
    r.expect(403);
    r.expect_condition(CALDAV, "supported-calendar-component");
    assert!(!srv.file("demo/events/t.ics").exists());
}

#[test]
fn put_same_uid_under_another_name_is_403_no_uid_conflict() {
    let srv = Server::sample();
    let existing = String::from_utf8(srv.read(OBJ_FILE)).unwrap();
    let uid = uid_of(&existing);
    let r = srv.put_ics("/demo/work/duplicate.ics", &event(&uid, "Same UID"));
    r.expect(403);
    let cond = r.expect_condition(CALDAV, "no-uid-conflict");
    assert_eq!(cond.hrefs(), vec![OBJ.to_string()]);
    assert!(!srv.file("demo/work/duplicate.ics").exists());
    // The same UID in another calendar is fine.
    srv.put_ics(
        "/demo/personal/duplicate.ics",
        &event(&uid, "Other calendar"),
    )
    .expect(201);
}

#[test]
fn put_with_wrong_content_type_is_415_supported_calendar_data() {
    let srv = Server::sample();
    let r = srv
        .request("PUT", "/demo/work/wrong-type.ics")
        .header("Content-Type", "application/json")
        .body(event("wrong-type", "x"))
        .fetch();
    r.expect(415);
    r.expect_condition(CALDAV, "supported-calendar-data");
    assert!(!srv.file("demo/work/wrong-type.ics").exists());
}

#[test]
fn put_larger_than_max_resource_size_is_refused() {
    let srv = Server::start(Options {
        config: Some("max_resource_size = 1000\n".into()),
        ..Options::default()
    });
    let ms = srv.props("/demo/work/", &[(CALDAV, "max-resource-size")]);
    assert_eq!(ms.single().ok(CALDAV, "max-resource-size").text, "1000");
    let small = event("small-enough", "fits");
    assert!(small.len() < 1000);
    srv.put_ics("/demo/work/small.ics", &small).expect(201);
    let big = event("too-big", &"x".repeat(1500));
    assert!(big.len() > 1000);
    let r = srv.put_ics("/demo/work/big.ics", &big);
    assert!(
        r.status == 403 || r.status == 413,
        "status {} for an oversized PUT",
        r.status
    );
    r.expect_condition(CALDAV, "max-resource-size");
    assert!(!srv.file("demo/work/big.ics").exists());
    srv.assert_no_temp_files("demo/work");
}

#[test]
fn put_into_missing_calendar_is_409() {
    let srv = Server::sample();
    let r = srv.put_ics("/demo/missing/x.ics", &event("no-parent", "x"));
    r.expect(409);
    assert!(!srv.file("demo/missing").exists());
}

#[test]
fn delete_object_removes_the_file() {
    let srv = Server::sample();
    srv.delete(OBJ).expect(204);
    assert!(!srv.file(OBJ_FILE).exists());
    srv.get(OBJ).expect(404);
    assert!(!srv.members("/demo/work/").contains(OBJ));
}

#[test]
fn delete_calendar_removes_the_directory() {
    let srv = Server::sample();
    srv.delete("/demo/personal/").expect(204);
    assert!(!srv.file("demo/personal").exists());
    srv.propfind("/demo/personal/", "0", None).expect(404);
    assert!(!srv.members("/demo/").contains("/demo/personal/"));
}

#[test]
fn delete_missing_is_404() {
    let srv = Server::sample();
    srv.delete("/demo/work/nope.ics").expect(404);
    srv.delete("/demo/nope/").expect(404);
}

#[test]
fn names_with_spaces_and_unicode_round_trip_percent_encoded() {
    let srv = Server::sample();
    let body = event("encoded-name", "x");
    srv.put_ics("/demo/work/Caf%C3%A9%20meeting.ics", &body)
        .expect(201);
    assert_eq!(srv.read("demo/work/Café meeting.ics"), body.as_bytes());
    let hrefs = srv.members("/demo/work/");
    assert!(
        hrefs.contains("/demo/work/Caf%C3%A9%20meeting.ics"),
        "{hrefs:?}"
    );
    assert_eq!(
        srv.get("/demo/work/Caf%C3%A9%20meeting.ics").body,
        body.as_bytes()
    );
}

/// A dot-file is never an object, and a name with the reserved `.noext`
/// mark is the file of another URL name (docs/DESIGN.md "Object names").
#[test]
fn put_to_a_hidden_or_reserved_name_is_refused() {
    let srv = Server::sample();
    for (path, file) in [
        ("/demo/work/.sneaky.ics", "demo/work/.sneaky.ics"),
        ("/demo/work/notes.noext.ics", "demo/work/notes.noext.ics"),
    ] {
        let r = srv.put_ics(path, &event("refused-name", "x"));
        assert!(
            (400..500).contains(&r.status),
            "{path}: {} {}",
            r.status,
            r.text()
        );
        assert!(!srv.file(file).exists(), "{file} written");
    }
}

#[test]
fn encoded_path_traversal_stays_inside_the_data_directory() {
    let srv = Server::sample();
    for path in [
        "/demo/work/..%2F..%2Fhtpasswd",
        "/demo/..%2F..%2Fhtpasswd",
        "/demo/%2E%2E/alice/home/choir-rehearsal.ics",
        "/demo/work%2F..%2F..%2Falice%2Fhome/choir-rehearsal.ics",
    ] {
        let r = srv.get(path);
        assert!(r.status >= 400, "GET {path}: {}", r.status);
        assert!(!r.text().contains("$2y$"), "{path} leaked htpasswd");
        assert!(!r.text().contains("BEGIN:VCALENDAR"), "{path} leaked data");
    }
    let r = srv.put_ics("/demo/work/..%2F..%2Fevil.ics", &event("evil", "x"));
    assert!(r.status >= 400, "PUT traversal: {}", r.status);
    assert!(!srv.file("evil.ics").exists() && !srv.file("demo/evil.ics").exists());
}

/// The UID check and the write happen under one lock: of concurrent PUTs of
/// one new UID under different names exactly one is stored.
#[test]
fn concurrent_puts_of_one_uid_store_exactly_one() {
    let srv = Server::sample();
    let body = event("raced-uid", "Race");
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (srv, body) = (&srv, body.as_str());
                s.spawn(move || {
                    srv.put_ics(&format!("/demo/work/race-{i}.ics"), body)
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 403),
        "{statuses:?}"
    );
    let stored = ics_names(&srv.file("demo/work"))
        .into_iter()
        .filter(|n| n.starts_with("race-"))
        .count();
    assert_eq!(stored, 1);
}

/// A zone with its two observances, as clients send it.
fn zone(tzid: &str, std_off: &str, dst_off: &str) -> String {
    format!(
        "BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\n\
         BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:{dst_off}\r\nTZOFFSETTO:{std_off}\r\n\
         RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n\
         BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:{std_off}\r\nTZOFFSETTO:{dst_off}\r\n\
         RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
    )
}

#[test]
fn get_calendar_with_two_zones_parses_and_has_every_uid_once() {
    let srv = Server::sample();
    // Built aside and renamed into place, so the calendar appears whole.
    let dir = srv.file("demo/.zones-building");
    std::fs::create_dir(&dir).unwrap();
    let zones = [
        ("Europe/Berlin", zone("Europe/Berlin", "+0100", "+0200")),
        (
            "America/New_York",
            zone("America/New_York", "-0500", "-0400"),
        ),
    ];
    let n = 500;
    for i in 0..n {
        let (tzid, vtimezone) = &zones[i % 2];
        // Some objects carry a long, folded DESCRIPTION and one a VALARM:
        // nested components and continuation lines pass through whole.
        let description =
            format!("DESCRIPTION:{}\r\n", "x".repeat(60)) + &format!(" folded tail {i}\r\n");
        let alarm = if i.is_multiple_of(7) {
            "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:soon\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\n"
        } else {
            ""
        };
        let body = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n{vtimezone}\
             BEGIN:VEVENT\r\nUID:zone-{i:03}\r\nDTSTAMP:20261101T120000Z\r\n\
             DTSTART;TZID={tzid}:20270115T090000\r\nSUMMARY:Zoned {i}\r\n{description}{alarm}\
             END:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        std::fs::write(dir.join(format!("zone-{i:03}.ics")), body).unwrap();
    }
    std::fs::rename(&dir, srv.file("demo/zones")).unwrap();
    let mut r = srv.get("/demo/zones/");
    wait_until(30, || {
        r = srv.get("/demo/zones/");
        r.status == 200
    });
    r.expect(200);
    let text = r.text();
    let unfolded = icalendar::parser::unfold(&text);
    let top = icalendar::parser::read_calendar(&unfolded).expect("a valid VCALENDAR");
    let begins = text.lines().filter(|l| *l == "BEGIN:VCALENDAR").count();
    assert_eq!(begins, 1, "one VCALENDAR");
    assert!(top.properties.iter().any(|p| p.name == "VERSION"));
    let mut tzids = Vec::new();
    let mut uids = std::collections::BTreeMap::new();
    for c in &top.components {
        let prop = |name: &str| {
            c.properties
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.val.to_string())
        };
        match c.name.as_str() {
            "VTIMEZONE" => {
                assert_eq!(c.components.len(), 2, "observances kept");
                tzids.push(prop("TZID").unwrap());
            }
            "VEVENT" => {
                let uid = prop("UID").unwrap();
                let i: usize = uid["zone-".len()..].parse().unwrap();
                assert!(prop("DESCRIPTION")
                    .unwrap()
                    .ends_with(&format!("folded tail {i}")));
                assert_eq!(
                    c.components.len(),
                    usize::from(i.is_multiple_of(7)),
                    "{uid}"
                );
                *uids.entry(uid).or_insert(0) += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    tzids.sort();
    assert_eq!(tzids, ["America/New_York", "Europe/Berlin"]);
    assert_eq!(uids.len(), n);
    assert!(uids.values().all(|&k| k == 1), "a UID repeated");
}
