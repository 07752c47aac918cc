//! Serving under a URL prefix behind a reverse proxy (`base_path`): every
//! href carries the prefix, and requests are understood with it (a proxy
//! that forwards the path as is, hrefs and Destinations from clients) or
//! without it (a proxy that strips it).

use crate::common::*;

fn behind_proxy() -> Server {
    Server::start(Options {
        config: Some("base_path = \"/caldav/\"\n".into()),
        ..Options::default()
    })
}

#[test]
fn hrefs_carry_the_base_path_whether_or_not_the_proxy_strips_it() {
    let srv = behind_proxy();
    for path in ["/caldav/demo/", "/demo/"] {
        let hrefs = srv.members(path);
        assert!(hrefs.contains("/caldav/demo/"), "{path}: {hrefs:?}");
        assert!(hrefs.contains("/caldav/demo/work/"), "{path}: {hrefs:?}");
        assert!(hrefs.iter().all(|h| h.starts_with("/caldav/")), "{hrefs:?}");
    }
    let objects = srv.members("/caldav/demo/work/");
    assert!(
        objects.contains("/caldav/demo/work/focus-time.ics"),
        "{objects:?}"
    );
    let ms = srv.props(
        "/",
        &[
            (DAV, "current-user-principal"),
            (DAV, "principal-collection-set"),
        ],
    );
    let root = &ms.responses[0];
    assert_eq!(root.href, "/caldav/");
    let principal = root.ok(DAV, "current-user-principal");
    assert_eq!(principal.child(DAV, "href").unwrap().text, "/caldav/demo/");
    let collections = root.ok(DAV, "principal-collection-set");
    assert_eq!(collections.child(DAV, "href").unwrap().text, "/caldav/");
    let home = srv.props("/caldav/demo/", &[(CALDAV, "calendar-home-set")]);
    let set = home.responses[0].ok(CALDAV, "calendar-home-set");
    assert_eq!(set.child(DAV, "href").unwrap().text, "/caldav/demo/");
}

#[test]
fn well_known_redirects_to_the_base_path() {
    let srv = behind_proxy();
    let r = srv.request("PROPFIND", "/.well-known/caldav").fetch();
    r.expect(301);
    assert_eq!(r.header("location").as_deref(), Some("/caldav/"));
}

#[test]
fn multiget_move_and_sync_use_prefixed_hrefs() {
    let srv = behind_proxy();
    let body = r#"<?xml version="1.0" encoding="utf-8"?><C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><D:href>/caldav/demo/work/focus-time.ics</D:href></C:calendar-multiget>"#;
    let ms = srv.report("/demo/work/", "1", body).multistatus();
    let found = ms
        .find("/caldav/demo/work/focus-time.ics")
        .expect("in multiget");
    assert!(!found.ok(DAV, "getetag").text.is_empty());

    let r = srv
        .request("MOVE", "/caldav/demo/work/focus-time.ics")
        .header("Destination", srv.url("/caldav/demo/personal/moved.ics"))
        .fetch();
    r.expect(201);
    assert_eq!(
        r.header("location").as_deref(),
        Some("/caldav/demo/personal/moved.ics")
    );
    assert!(srv.file("demo/personal/moved.ics").exists());

    let sync = r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#;
    let ms = srv
        .report("/caldav/demo/personal/", "0", sync)
        .multistatus();
    assert!(ms.find("/caldav/demo/personal/moved.ics").is_some());
    assert!(ms
        .hrefs()
        .iter()
        .all(|h| h.starts_with("/caldav/demo/personal/")));
}

#[test]
fn an_invalid_base_path_stops_the_server_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_davdir"))
        .args([
            "serve",
            "--no-auth",
            "--listen",
            "127.0.0.1:0",
            "--base-path",
            "caldav",
        ])
        .arg("--data")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("base path"));
}

/// Two servers with different prefixes side by side: each error body's href
/// (no-uid-conflict, built where the error is answered) carries its own.
#[test]
fn two_servers_render_their_own_base_in_error_hrefs() {
    let servers = ["/caldav", "/dav/v2"].map(|base| {
        let srv = Server::start(Options {
            config: Some(format!("base_path = \"{base}\"\n")),
            ..Options::default()
        });
        (base, srv)
    });
    for (base, srv) in &servers {
        srv.put_ics("/demo/work/first.ics", &event("shared-uid", "First"))
            .expect(201);
        let r = srv.put_ics("/demo/work/second.ics", &event("shared-uid", "Second"));
        r.expect(403);
        let cond = r.expect_condition(CALDAV, "no-uid-conflict");
        assert_eq!(cond.hrefs(), vec![format!("{base}/demo/work/first.ics")]);
    }
}
