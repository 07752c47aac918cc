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
