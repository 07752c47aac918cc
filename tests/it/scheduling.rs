//! RFC 6638 scheduling between the server's users (issue 27): alice
//! organizes, bob and carol attend, all users of one server with
//! `email_domain = "example.org"`; over HTTP against the real binary.

use std::process::Command;

use crate::common::*;

const DOMAIN_CONFIG: &str = "email_domain = \"example.org\"\n";

/// A server over data-sample with alice (password "alice"), bob and
/// carol (password "demo").
fn start() -> Server {
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

fn as_user(
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
    // A collection of that name cannot be made.
    let r = as_user(&srv, "bob", "MKCALENDAR", "/bob/.inbox/").fetch();
    assert_eq!(r.status, 403);
}
