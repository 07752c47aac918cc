//! Logging in and out, session expiry, and who sees the page at `/`.

use std::time::Duration;

use super::browser::*;
use crate::common::*;

#[test]
fn a_browser_at_the_root_is_sent_to_the_page_and_dav_clients_are_not() {
    let srv = Server::sample();
    let b = Browser::new(&srv);
    let r = b.get("/");
    r.expect(303);
    assert_eq!(r.header("location").as_deref(), Some("/.web/"));
    let login = b.get("/.web/");
    login.expect(200);
    assert!(is_login_page(&login.text()));
    assert!(login
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    // DAV on the same URL: a GET without HTML in Accept, and a PROPFIND.
    let dav = srv.request_as(None, "GET", "/").fetch();
    assert_eq!(dav.status, 401, "DAV asks for Basic credentials");
    srv.propfind("/", "0", None).expect(207);
}

#[test]
fn login_sets_a_strict_cookie_and_logout_ends_the_session_on_the_server() {
    let srv = Server::sample();
    let mut b = Browser::new(&srv);
    let r = b.login("demo", "demo");
    r.expect(303);
    assert_eq!(r.header("location").as_deref(), Some("/.web/"));
    let set = r.header("set-cookie").unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{attr} missing in {set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: no Secure ({set})");
    let id = b.cookie.clone().unwrap();
    assert!(id.len() >= "davdir_session=".len() + 22, "≥128 bits: {id}");
    let page = b.get("/.web/");
    page.expect(200);
    let text = page.text();
    assert!(!is_login_page(&text));
    assert!(text.contains("/demo/work/"), "lists the calendars: {text}");
    b.submit("/.web/logout", &[]).expect(303);
    // The old cookie, replayed as an attacker would: no longer a session.
    assert!(is_login_page(&b.get("/.web/").expect(200).text()));
    let token = token_in(&text).unwrap();
    let r = b.post(
        "/.web/c",
        &[
            ("csrf", &token),
            ("kind", "calendar"),
            ("displayname", "After logout"),
        ],
    );
    r.expect(303);
    assert!(!srv.file("demo/after-logout").exists());
}

#[test]
fn a_wrong_password_or_an_app_password_style_guess_is_refused() {
    let srv = Server::sample();
    let mut b = Browser::new(&srv);
    let r = b.login("demo", "wrong");
    r.expect(401);
    assert!(r.header("set-cookie").is_none());
    assert!(is_login_page(&r.text()));
    b.login("nobody", "demo").expect(401);
    b.login("alice", "alice").expect(303);
}

#[test]
fn sessions_expire() {
    let srv = Server::start(Options {
        config: Some("session_lifetime = 1\n".into()),
        ..Options::default()
    });
    let mut b = Browser::new(&srv);
    b.login("demo", "demo").expect(303);
    assert!(!is_login_page(&b.get("/.web/").text()));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(is_login_page(&b.get("/.web/").text()), "expired after 1 s");
}

#[test]
fn the_page_follows_the_base_path() {
    let srv = Server::start(Options {
        config: Some("base_path = \"/dav\"\n".into()),
        ..Options::default()
    });
    let mut b = Browser::new(&srv);
    let r = b.get("/dav/");
    r.expect(303);
    assert_eq!(r.header("location").as_deref(), Some("/dav/.web/"));
    let r = b.post(
        "/dav/.web/login",
        &[("username", "demo"), ("password", "demo")],
    );
    r.expect(303);
    assert_eq!(r.header("location").as_deref(), Some("/dav/.web/"));
    assert!(r.header("set-cookie").unwrap().contains("Path=/dav"));
    b.cookie = Some(
        r.header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .into(),
    );
    let page = b.get("/dav/.web/").expect(200).text();
    assert!(page.contains("/dav/.web/static/style.css"));
    assert!(page.contains("/dav/demo/work/"), "{page}");
}

/// The access log names the logged-in user of page requests as of DAV
/// ones, and never the session id.
#[test]
fn the_access_log_names_the_pages_user() {
    let srv = Server::sample();
    let mut b = Browser::new(&srv);
    b.login("demo", "wrong").expect(401);
    b.login("demo", "demo").expect(303);
    b.get("/.web/").expect(200);
    b.submit(
        "/.web/c",
        &[("kind", "calendar"), ("displayname", "Logged")],
    )
    .expect(303);
    let log = srv.log();
    let line = |start: &str| {
        log.lines()
            .find(|l| l.contains(start))
            .unwrap_or_else(|| panic!("no {start:?} in {log}"))
            .to_string()
    };
    assert!(line("POST /.web/login -> 401").ends_with("user=-"));
    assert!(line("POST /.web/login -> 303").ends_with("user=demo"));
    assert!(line("GET /.web/ -> 200").ends_with("user=demo"));
    assert!(line("POST /.web/c -> 303").ends_with("user=demo"));
    let id = b.cookie.unwrap();
    let id = id.split_once('=').unwrap().1;
    assert!(!log.contains(id), "the session id in the log");
}
