//! Odd files in a calendar directory: over the size bound, FIFOs and sockets
//! named like objects, and dead-property files beyond the XML bounds; none may
//! block the server or `davdir check`, nor be served.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};

use super::*;

/// The server's peak resident memory in KiB (VmHWM), if /proc has it.
fn peak_rss_kib(srv: &Server) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", srv.pid()?)).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `davdir check` (with extra arguments) that must finish within 20 s.
fn check_within(data: &Path, args: &[&str]) -> (bool, String) {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_davdir"))
        .args(["check", "--data"])
        .arg(data)
        .args(args)
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("davdir check blocked");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

const QUERY_ALL: &str = r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>"#;

/// Every way an object of demo's personal calendar is read, each with the
/// status it must get; `absent` must appear in none of the answers.
fn read_everything(srv: &Server, fence: &Fence, absent: &str, label: &str) {
    let (own, own_bytes) = some_object(srv);
    let multiget = format!(
        r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><D:href>/demo/personal/{absent}</D:href><D:href>/demo/personal/{own}</D:href></C:calendar-multiget>"#
    );
    let probes: Vec<(&str, Resp, u16)> = vec![
        ("GET it", srv.get(&format!("/demo/personal/{absent}")), 404),
        (
            "HEAD it",
            srv.request("HEAD", &format!("/demo/personal/{absent}"))
                .fetch(),
            404,
        ),
        (
            "PROPFIND it",
            srv.propfind(&format!("/demo/personal/{absent}"), "0", None),
            404,
        ),
        (
            "PROPFIND calendar",
            srv.propfind("/demo/personal/", "1", None),
            207,
        ),
        (
            "GET other object",
            srv.get(&format!("/demo/personal/{own}")),
            200,
        ),
        (
            "calendar-query",
            srv.report("/demo/personal/", "1", QUERY_ALL),
            207,
        ),
        (
            "multiget naming it",
            srv.report("/demo/personal/", "1", &multiget),
            207,
        ),
        ("sync-collection", sync(srv, "/demo/personal/", ""), 207),
        ("webcal export", srv.get("/demo/personal/"), 200),
    ];
    for (what, r, status) in probes {
        let what = format!("{label}: {what}");
        fence.check(&what, Some(&r));
        assert_eq!(r.status, status, "{what}: {}", r.text());
        if what.ends_with("GET other object") {
            assert_eq!(r.body, own_bytes, "{what}");
        }
        if status != 404 && !what.ends_with("multiget naming it") {
            assert!(
                !r.text().contains(absent),
                "{what} lists {absent}:\n{}",
                r.text()
            );
        }
        if what.ends_with("multiget naming it") {
            let ms = r.multistatus();
            let missing = ms.get(&format!("/demo/personal/{absent}"));
            assert_eq!(missing.status, Some(404), "{what}: {missing:?}");
            ms.get(&format!("/demo/personal/{own}"))
                .ok(CALDAV, "calendar-data");
        }
    }
}

#[test]
fn a_file_over_the_size_bound_is_skipped_unread_and_reported_by_check() {
    let mut srv = Server::sample();
    let fence = srv.fence();
    // The same requests once before, so the peak below is theirs already.
    read_everything(&srv, &fence, "huge.ics", "before");
    let before = peak_rss_kib(&srv);

    // 12 MB (over the default 10 MiB bound), sparse: nothing is written.
    let huge = srv.file("demo/personal/huge.ics");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(12_000_000)
        .unwrap();
    watcher_caught_up(&srv, "huge");
    read_everything(&srv, &fence, "huge.ics", "running");
    if let (Some(before), Some(after)) = (before, peak_rss_kib(&srv)) {
        println!("peak RSS {before} KiB before the file, {after} KiB after");
        assert!(
            after < before + 6 * 1024,
            "peak RSS grew from {before} KiB to {after} KiB: the file was read"
        );
    } else {
        println!("peak RSS not measured: no /proc/PID/status here");
    }
    let logged = srv.log().matches("huge.ics: file is larger").count();
    assert_eq!(logged, 1, "logged once, not per request:\n{}", srv.log());

    let (ok, report) = check_within(&srv.data, &[]);
    assert!(!ok, "check must fail:\n{report}");
    assert!(
        report.contains("huge.ics: file is larger than max_resource_size (10485760 bytes)"),
        "{report}"
    );
    // Within a larger bound it is read, and its NUL bytes make it no object.
    let (ok, report) = check_within(&srv.data, &["--max-resource-size", "20000000"]);
    assert!(!ok, "{report}");
    assert!(
        report.contains("huge.ics:1: control character") && !report.contains("larger than"),
        "{report}"
    );

    // The startup scan skips it the same way.
    srv.restart();
    read_everything(&srv, &fence, "huge.ics", "restarted");
    let r = srv.delete("/demo/personal/huge.ics");
    fence.check("DELETE it", Some(&r));
    r.expect(404);
    // A PUT replaces it with a valid object (created: it was none).
    let r = srv.put_ics("/demo/personal/huge.ics", &event("replaces-huge", "r"));
    fence.check("PUT over it", Some(&r));
    r.expect(201);
    let r = srv.get("/demo/personal/huge.ics");
    fence.check("GET it replaced", Some(&r));
    r.expect(200);
}

/// Makes a FIFO at `path`.
fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o600) },
        0,
        "mkfifo {path:?}"
    );
}

#[test]
fn fifos_and_sockets_named_like_objects_neither_block_nor_are_served() {
    let mut srv = Server::sample();
    let fence = srv.fence();
    srv.stop();
    let personal = srv.file("demo/personal");
    // Present at start: the startup scan must not open (and block on) them.
    mkfifo(&personal.join("fifo-x.ics"));
    let _socket = std::os::unix::net::UnixListener::bind(personal.join("sock-9.ics")).unwrap();
    srv.start_again();
    read_everything(&srv, &fence, "fifo-x.ics", "FIFO at start");
    read_everything(&srv, &fence, "sock-9.ics", "socket at start");
    // Appearing while running: the watcher must not block on it either.
    mkfifo(&personal.join("fifo-y.ics"));
    watcher_caught_up(&srv, "fifo");
    read_everything(&srv, &fence, "fifo-y.ics", "FIFO while running");
    for name in ["fifo-x.ics", "fifo-y.ics", "sock-9.ics"] {
        let r = srv.delete(&format!("/demo/personal/{name}"));
        fence.check(&format!("DELETE {name}"), Some(&r));
        r.expect(404);
    }
    // Not objects, not problems: check passes them by without blocking.
    let (ok, report) = check_within(&srv.data, &[]);
    assert!(ok, "{report}");
    let r = srv.propfind("/demo/", "1", None);
    fence.check("PROPFIND home", Some(&r));
    r.expect(207);
}

#[test]
fn a_hand_edited_dead_property_beyond_the_xml_bounds_is_reported_and_logged_once() {
    let srv = Server::sample();
    let fence = srv.fence();
    let settings = srv.file("demo/personal/.calendar.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    // 100 levels: deeper than the 64 a request body may have.
    let deep = format!(
        "{}{}",
        "<deep xmlns=\"urn:x\">".repeat(100),
        "</deep>".repeat(100)
    );
    text.push_str(&format!(
        "\n[dead]\n\"{{urn:x}}deep\" = '{deep}'\n\"{{urn:x}}fine\" = '<fine xmlns=\"urn:x\">kept</fine>'\n"
    ));
    std::fs::write(&settings, &text).unwrap();
    let named = r#"<D:propfind xmlns:D="DAV:" xmlns:X="urn:x"><D:prop><X:deep/><X:fine/></D:prop></D:propfind>"#;
    for round in 0..3 {
        let r = srv.propfind("/demo/personal/", "0", None);
        fence.check(&format!("allprop PROPFIND {round}"), Some(&r));
        let text = r.expect(207).text();
        assert!(!text.contains("<deep"), "served:\n{text}");
        assert!(
            text.contains(">kept</fine>"),
            "the sound one is served:\n{text}"
        );
        let r = srv.propfind("/demo/personal/", "0", Some(named));
        fence.check(&format!("PROPFIND naming it {round}"), Some(&r));
        let ms = r.multistatus();
        let cal = ms.single();
        assert_eq!(cal.status_of("urn:x", "deep"), Some(404), "round {round}");
        assert_eq!(cal.ok("urn:x", "fine").text, "kept");
        let r = srv.propfind("/demo/", "1", None);
        fence.check(&format!("PROPFIND home {round}"), Some(&r));
        r.expect(207);
    }
    let skipped = |log: &str| log.matches("dead property {urn:x}deep skipped").count();
    assert_eq!(
        skipped(&srv.log()),
        1,
        "once per file version:\n{}",
        srv.log()
    );

    let (ok, report) = check_within(&srv.data, &[]);
    assert!(!ok, "check must fail:\n{report}");
    assert!(
        report.contains(".calendar.toml: dead property {urn:x}deep skipped"),
        "{report}"
    );
    assert!(!report.contains("{urn:x}fine"), "{report}");

    // A new version of the file (edited again) is logged again, once.
    std::fs::write(&settings, text.replace("kept", "edited")).unwrap();
    for round in 0..2 {
        let r = srv.propfind("/demo/personal/", "0", None);
        fence.check(&format!("PROPFIND after edit {round}"), Some(&r));
        assert!(r.expect(207).text().contains(">edited</fine>"));
    }
    assert_eq!(skipped(&srv.log()), 2, "{}", srv.log());
}

#[test]
fn property_files_found_on_disk_are_bounded_confined_and_never_block() {
    let srv = Server::sample();
    let fence = srv.fence();
    let work = srv.file("demo/work");
    let _ = std::fs::remove_file(work.join("displayname"));
    symlink(srv.outside().join("secret.ics"), work.join("displayname")).unwrap();
    let _ = std::fs::remove_file(work.join("color"));
    mkfifo(&work.join("color"));
    let _ = std::fs::remove_file(work.join("description"));
    std::fs::File::create(work.join("description"))
        .unwrap()
        .set_len(12_000_000)
        .unwrap();
    let named = r#"<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="http://apple.com/ns/ical/"><D:prop><D:displayname/><C:calendar-description/><A:calendar-color/></D:prop></D:propfind>"#;
    for round in 0..3 {
        let r = srv.propfind("/demo/work/", "0", Some(named));
        fence.check(&format!("PROPFIND skipped properties {round}"), Some(&r));
        let ms = r.multistatus();
        let cal = ms.single();
        for (ns, name) in [
            (DAV, "displayname"),
            (CALDAV, "calendar-description"),
            (ICAL, "calendar-color"),
        ] {
            assert_eq!(cal.status_of(ns, name), Some(404), "{name}: {cal:?}");
        }
        let r = srv.propfind("/demo/", "1", None);
        fence.check(&format!("PROPFIND home {round}"), Some(&r));
        r.expect(207);
        let r = srv.report("/demo/work/", "1", QUERY_ALL);
        fence.check(&format!("calendar-query {round}"), Some(&r));
        r.expect(207);
    }
    let log = srv.log();
    for needle in [
        "work/displayname: symbolic link leads outside",
        "work/description: file is larger than max_resource_size",
    ] {
        assert_eq!(log.matches(needle).count(), 1, "{needle} once:\n{log}");
    }
    let (ok, report) = check_within(&srv.data, &[]);
    assert!(!ok, "{report}");
    assert!(
        report.contains("work/displayname: symbolic link leads outside"),
        "{report}"
    );
    assert!(
        report.contains("work/description: file is larger"),
        "{report}"
    );
    // A client's new name replaces the link, never writes its target.
    let set = r#"<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>Work</D:displayname></D:prop></D:set></D:propertyupdate>"#;
    let r = srv.proppatch("/demo/work/", set);
    fence.check("PROPPATCH over the link", Some(&r));
    r.expect(207);
    let r = srv.propfind("/demo/work/", "0", Some(named));
    fence.check("PROPFIND after PROPPATCH", Some(&r));
    assert_eq!(r.multistatus().single().ok(DAV, "displayname").text, "Work");
}
