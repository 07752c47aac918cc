//! Hand edits of the data directory (docs/DESIGN.md): files copied into a calendar
//! directory are served, malformed ones skipped, hidden and non-`.ics` files
//! never listed, and a `mkdir` at calendar depth is a calendar.

use crate::common::*;

/// How long the file watcher may take to notice an edit.
const WATCH_SECS: u64 = 10;

fn listed(srv: &Server, cal: &str, href: &str) -> bool {
    srv.members(cal).contains(href)
}

#[test]
fn hand_written_file_is_listed_and_served() {
    let srv = Server::sample();
    let body = event("hand-written-1", "Written by hand");
    std::fs::write(srv.file("demo/work/by-hand.ics"), &body).unwrap();
    assert!(
        wait_until(WATCH_SECS, || listed(
            &srv,
            "/demo/work/",
            "/demo/work/by-hand.ics"
        )),
        "hand-written file not listed"
    );
    let r = srv.get("/demo/work/by-hand.ics");
    r.expect(200);
    assert_eq!(r.body, body.as_bytes());
    assert_eq!(r.etag(), Some(sha256_hex(body.as_bytes())));
}

#[test]
fn hand_written_file_is_seen_without_the_watcher() {
    let srv = Server::start(Options {
        config: Some("watch = false\n".into()),
        ..Options::default()
    });
    let before = srv.members("/demo/work/");
    let body = event("hand-written-2", "No watcher");
    std::fs::write(srv.file("demo/work/unwatched.ics"), &body).unwrap();
    let after = srv.members("/demo/work/");
    assert!(after.contains("/demo/work/unwatched.ics"), "{after:?}");
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(srv.get("/demo/work/unwatched.ics").body, body.as_bytes());
}

#[test]
fn malformed_file_is_skipped_and_the_others_still_listed() {
    let srv = Server::sample();
    let before = srv.members("/demo/work/");
    std::fs::write(
        srv.file("demo/work/broken.ics"),
        "BEGIN:VCALENDAR\r\nthis is not iCalendar\r\n",
    )
    .unwrap();
    std::fs::write(
        srv.file("demo/work/marker.ics"),
        event("marker-after-broken", "Marker"),
    )
    .unwrap();
    assert!(
        wait_until(WATCH_SECS, || listed(
            &srv,
            "/demo/work/",
            "/demo/work/marker.ics"
        )),
        "marker file not listed"
    );
    let after = srv.members("/demo/work/");
    assert!(!after.contains("/demo/work/broken.ics"), "{after:?}");
    for h in &before {
        assert!(
            after.contains(h),
            "{h} vanished after a malformed file appeared"
        );
    }
    assert_eq!(after.len(), before.len() + 1);
    srv.get("/demo/work/broken.ics").expect(404);
    // A sync listing skips it too.
    let sync = r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#;
    let ms = srv.report("/demo/work/", "0", sync).multistatus();
    assert!(!ms.hrefs().contains("/demo/work/broken.ics"));
}

#[test]
fn malformed_file_present_at_startup_is_skipped() {
    let mut srv = Server::sample();
    let before = srv.members("/demo/personal/");
    srv.stop();
    std::fs::write(
        srv.file("demo/personal/garbage.ics"),
        [0xff, 0xfe, 0x00, 0x41],
    )
    .unwrap();
    srv.start_again();
    assert_eq!(srv.members("/demo/personal/"), before);
    srv.get("/demo/personal/garbage.ics").expect(404);
}

#[test]
fn hidden_and_non_ics_files_are_never_listed() {
    let srv = Server::sample();
    let valid = event("hidden-but-valid", "x");
    let extra = [
        ".hidden.ics",
        ".editor-swap.ics.tmp",
        "notes.txt",
        "backup.ics~",
        "README",
    ];
    for name in extra {
        std::fs::write(srv.file(&format!("demo/work/{name}")), &valid).unwrap();
    }
    std::fs::write(
        srv.file("demo/work/marker2.ics"),
        event("marker-after-hidden", "Marker"),
    )
    .unwrap();
    assert!(
        wait_until(WATCH_SECS, || listed(
            &srv,
            "/demo/work/",
            "/demo/work/marker2.ics"
        )),
        "marker file not listed"
    );
    let hrefs = srv.members("/demo/work/");
    for h in &hrefs {
        if h == "/demo/work/" {
            continue;
        }
        let name = h.rsplit('/').next().unwrap();
        assert!(
            name.ends_with(".ics") && !name.starts_with('.'),
            "listed a non-object: {h}"
        );
    }
    for name in extra
        .iter()
        .chain(["displayname", "description", "color", ".calendar.toml"].iter())
    {
        let h = format!("/demo/work/{name}");
        assert!(!hrefs.contains(&h), "{h} listed");
        let r = srv.get(&h);
        assert_eq!(r.status, 404, "GET {h}: {}", r.status);
    }
}

#[test]
fn directory_made_by_hand_is_a_calendar() {
    let srv = Server::sample();
    std::fs::create_dir(srv.file("demo/by-hand")).unwrap();
    let body = event("in-hand-made-dir", "x");
    std::fs::write(srv.file("demo/by-hand/one.ics"), &body).unwrap();
    let ms = srv.props(
        "/demo/by-hand/",
        &[(DAV, "resourcetype"), (DAV, "displayname")],
    );
    assert!(ms
        .single()
        .ok(DAV, "resourcetype")
        .child(CALDAV, "calendar")
        .is_some());
    assert!(srv.members("/demo/").contains("/demo/by-hand/"));
    assert!(
        wait_until(WATCH_SECS, || listed(
            &srv,
            "/demo/by-hand/",
            "/demo/by-hand/one.ics"
        )),
        "object in a hand-made calendar not listed"
    );
    assert_eq!(srv.get("/demo/by-hand/one.ics").body, body.as_bytes());
}

#[test]
fn hand_deleted_file_disappears() {
    let srv = Server::sample();
    let h = "/demo/work/focus-time.ics";
    assert!(listed(&srv, "/demo/work/", h));
    std::fs::remove_file(srv.file("demo/work/focus-time.ics")).unwrap();
    assert!(
        wait_until(WATCH_SECS, || !listed(&srv, "/demo/work/", h)),
        "deleted file still listed"
    );
    srv.get(h).expect(404);
}
