//! The page's sessions follow the account as `davdir user` changes it from
//! another process: a removal or a password reset ends the user's sessions
//! at once, whatever the browser still holds. The Account page's
//! calendar-user addresses are the ones the CLI and CalDAV see.

use std::io::Write;
use std::process::{Command, Stdio};

use super::browser::*;
use crate::common::*;

/// Runs `davdir ARGS` against this server's files; its stdout on success.
fn cli(srv: &Server, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_davdir"))
        .args(args)
        .arg("--data")
        .arg(&srv.data)
        .arg("--htpasswd")
        .arg(srv.htpasswd_path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run davdir");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "davdir {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Makes an app password from the page; its secret.
fn app_password(b: &Browser, label: &str) -> String {
    let page = b
        .submit("/.web/devices", &[("label", label)])
        .expect(200)
        .text();
    let at = page.find("id=\"new-secret\">").expect("secret shown") + "id=\"new-secret\">".len();
    page[at..at + page[at..].find('<').unwrap()]
        .trim()
        .to_string()
}

fn dav_status(srv: &Server, user: &str, password: &str) -> u16 {
    srv.request_as(Some((user, password)), "PROPFIND", &format!("/{user}/"))
        .header("Depth", "0")
        .fetch()
        .status
}

/// What a session, kept by an attacker, still gets: the page, a new
/// collection, a new app password. The answers are checked by the caller.
fn use_session(b: &Browser, token: &str, label: &str) -> (String, Resp, Resp) {
    let page = b.get("/.web/").expect(200).text();
    let made = b.post(
        "/.web/c",
        &[
            ("csrf", token),
            ("kind", "calendar"),
            ("displayname", label),
        ],
    );
    let device = b.post("/.web/devices", &[("csrf", token), ("label", label)]);
    (page, made, device)
}

#[test]
fn removing_a_user_ends_her_sessions_at_once() {
    let srv = Server::sample();
    cli(&srv, &["user", "add", "carol"], "pw-carol-1\n");
    let mut carol = Browser::new(&srv);
    carol.login("carol", "pw-carol-1").expect(303);
    let mut again = Browser::new(&srv);
    again.login("carol", "pw-carol-1").expect(303);
    let mut demo = Browser::new(&srv);
    demo.login("demo", "demo").expect(303);
    let token = carol.csrf();
    let other_token = again.csrf();

    cli(&srv, &["user", "remove", "carol"], "");
    for (b, t) in [(&carol, &token), (&again, &other_token)] {
        let (page, made, device) = use_session(b, t, "After Removal");
        assert!(is_login_page(&page), "the page after removal");
        made.expect(303);
        device.expect(303);
    }
    assert!(!srv.file("carol/after-removal").exists(), "no collection");
    let devices = cli(&srv, &["app-password", "list", "carol"], "");
    assert!(!devices.contains("After Removal"), "{devices}");
    // Another user's session goes on.
    assert!(!is_login_page(&demo.get("/.web/").text()));
}

#[test]
fn a_password_reset_ends_the_users_sessions_but_not_her_devices() {
    let srv = Server::sample();
    let mut b = Browser::new(&srv);
    b.login("demo", "demo").expect(303);
    let mut other = Browser::new(&srv);
    other.login("demo", "demo").expect(303);
    let mut alice = Browser::new(&srv);
    alice.login("alice", "alice").expect(303);
    let device = app_password(&b, "Phone");
    let token = b.csrf();

    cli(&srv, &["user", "passwd", "demo"], "reset-password\n");
    let (page, made, created) = use_session(&b, &token, "After Reset");
    assert!(is_login_page(&page), "the page after the reset");
    made.expect(303);
    created.expect(303);
    assert!(is_login_page(&other.get("/.web/").text()), "every session");
    assert!(!srv.file("demo/after-reset").exists(), "no collection");
    let devices = cli(&srv, &["app-password", "list", "demo"], "");
    assert!(!devices.contains("After Reset"), "{devices}");
    // App passwords are devices: they outlive the reset.
    assert_eq!(dav_status(&srv, "demo", &device), 207);
    assert!(
        !is_login_page(&alice.get("/.web/").text()),
        "alice's goes on"
    );
    b.login("demo", "demo").expect(401);
    b.login("demo", "reset-password").expect(303);
    assert!(!is_login_page(&b.get("/.web/").text()));
}

/// A flood of one user's logins ends only her own oldest sessions, never
/// another user's.
#[test]
fn one_users_logins_never_end_another_users_session() {
    let srv = Server::sample();
    let mut alice = Browser::new(&srv);
    alice.login("alice", "alice").expect(303);
    let mut first = Browser::new(&srv);
    first.login("demo", "demo").expect(303);
    let mut last = Browser::new(&srv);
    for _ in 0..64 {
        last.login("demo", "demo").expect(303);
    }
    assert!(
        is_login_page(&first.get("/.web/").text()),
        "her oldest ended"
    );
    assert!(!is_login_page(&last.get("/.web/").text()));
    assert!(!is_login_page(&alice.get("/.web/").text()), "alice's lives");
}

/// A server whose users have `<user>@example.org`, with alice given
/// `alice@home.net` by the admin.
fn with_domain() -> Server {
    let srv = Server::start(Options {
        config: Some("email_domain = \"example.org\"\n".into()),
        ..Options::default()
    });
    cli(&srv, &["user", "email", "alice", "alice@home.net"], "");
    srv
}

/// The `mailto:` entries of `calendar-user-address-set` of the user's
/// principal, over CalDAV (the principal URL is listed too).
fn address_set(srv: &Server, user: &str, password: &str) -> Vec<String> {
    let ms = srv
        .request_as(Some((user, password)), "PROPFIND", &format!("/{user}/"))
        .header("Depth", "0")
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(propfind_body(&[(CALDAV, "calendar-user-address-set")]))
        .fetch()
        .multistatus();
    ms.single()
        .ok(CALDAV, "calendar-user-address-set")
        .hrefs()
        .into_iter()
        .filter(|h| h.starts_with("mailto:"))
        .collect()
}

/// The addresses the admin sees for `user` (one a line).
fn cli_addresses(srv: &Server, user: &str) -> String {
    cli(srv, &["user", "email", user], "")
}

#[test]
fn a_user_adds_and_removes_his_addresses_on_the_account_page() {
    let srv = with_domain();
    let mut b = Browser::new(&srv);
    b.login("demo", "demo").expect(303);
    let page = b.get("/.web/account").expect(200).text();
    assert!(page.contains("demo@example.org"), "{page}");
    assert!(page.contains("given by the server"), "{page}");

    let page = b
        .submit("/.web/account/address", &[("address", "Demo@Home.net")])
        .expect(200)
        .text();
    assert!(page.contains("Demo@Home.net"), "{page}");
    b.submit("/.web/account/address", &[("address", "mailto:d@work.io")])
        .expect(200);
    let page = b.get("/.web/account").expect(200).text();
    assert!(page.contains("Demo@Home.net") && page.contains("d@work.io"));
    assert_eq!(
        address_set(&srv, "demo", "demo"),
        [
            "mailto:demo@example.org",
            "mailto:Demo@Home.net",
            "mailto:d@work.io"
        ]
    );
    // The CLI reads what the page wrote: one file, one writer.
    assert!(cli_addresses(&srv, "demo").contains("mailto:d@work.io"));

    let page = b
        .submit(
            "/.web/account/address/remove",
            &[("address", "demo@home.net")],
        )
        .expect(200)
        .text();
    assert!(!page.contains("Demo@Home.net"), "{page}");
    assert_eq!(
        address_set(&srv, "demo", "demo"),
        ["mailto:demo@example.org", "mailto:d@work.io"]
    );
    // Another user's addresses are untouched.
    assert!(cli_addresses(&srv, "alice").contains("alice@home.net"));
}

#[test]
fn the_page_refuses_bad_foreign_and_too_many_addresses_and_writes_nothing() {
    let srv = with_domain();
    let mut b = Browser::new(&srv);
    b.login("demo", "demo").expect(303);
    b.submit("/.web/account/address", &[("address", "mine@home.net")])
        .expect(200);
    let before = (cli_addresses(&srv, "demo"), cli_addresses(&srv, "alice"));
    let refused = |path: &str, address: &str, why: &str| {
        let r = b.submit(path, &[("address", address)]);
        assert_eq!(r.status, 400, "{address}: {}", r.text());
        assert!(r.text().contains(why), "{address}: {}", r.text());
        assert_eq!(
            (cli_addresses(&srv, "demo"), cli_addresses(&srv, "alice")),
            before,
            "{address}: nothing written"
        );
    };
    let add = "/.web/account/address";
    refused(add, "not an address", "characters an address may not");
    refused(add, "x@nodot", "name@domain.tld");
    refused(add, "urn:x:demo", "not a mailto: address");
    refused(add, "", "Address is required");
    refused(add, "ALICE@home.net", "another user");
    refused(add, "mailto:alice@example.org", "given by the server");
    refused(add, "nobody@example.org", "given by the server");
    let remove = "/.web/account/address/remove";
    refused(remove, "demo@example.org", "given by the server");
    refused(remove, "alice@home.net", "not one of your addresses");
    // The bound: the admin fills demo's list, the page adds no more.
    let many: Vec<String> = (0..32).map(|i| format!("a{i}@many.io")).collect();
    let mut args = vec!["user", "email", "demo"];
    args.extend(many.iter().map(String::as_str));
    cli(&srv, &args, "");
    let full = cli_addresses(&srv, "demo");
    let r = b.submit(add, &[("address", "one-more@many.io")]);
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("at most 32"), "{}", r.text());
    assert_eq!(cli_addresses(&srv, "demo"), full);
    assert!(!address_set(&srv, "demo", "demo").contains(&"mailto:one-more@many.io".to_string()));
}

#[test]
fn address_forms_without_the_csrf_token_change_nothing() {
    let srv = with_domain();
    let mut b = Browser::new(&srv);
    b.login("demo", "demo").expect(303);
    b.submit("/.web/account/address", &[("address", "kept@home.net")])
        .expect(200);
    let before = cli_addresses(&srv, "demo");
    for token in [None, Some("forged")] {
        let mut fields = vec![("address", "evil@attacker.io")];
        fields.extend(token.map(|t| ("csrf", t)));
        b.post("/.web/account/address", &fields).expect(403);
        let mut fields = vec![("address", "kept@home.net")];
        fields.extend(token.map(|t| ("csrf", t)));
        b.post("/.web/account/address/remove", &fields).expect(403);
    }
    assert_eq!(cli_addresses(&srv, "demo"), before);
    assert!(before.contains("kept@home.net") && !before.contains("evil"));
}
