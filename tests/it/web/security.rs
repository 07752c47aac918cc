//! The page's defences: CSRF tokens, login rate limiting, isolation between
//! users, the Secure flag behind a trusted proxy, and security headers.

use super::browser::*;
use crate::common::*;

#[test]
fn a_post_without_the_csrf_token_is_refused() {
    let srv = Server::sample();
    let mut b = Browser::new(&srv);
    b.login("demo", "demo").expect(303);
    let fields = [
        ("kind", "calendar"),
        ("displayname", "Forged"),
        ("id", "forged"),
    ];
    b.post("/.web/c", &fields).expect(403);
    let mut wrong = vec![("csrf", "not-the-token")];
    wrong.extend_from_slice(&fields);
    b.post("/.web/c", &wrong).expect(403);
    // Another session's token is not this one's.
    let mut other = Browser::new(&srv);
    other.login("demo", "demo").expect(303);
    let theirs = other.csrf();
    let mut foreign = vec![("csrf", theirs.as_str())];
    foreign.extend_from_slice(&fields);
    b.post("/.web/c", &foreign).expect(403);
    b.submit("/.web/logout", &[("x", "y")]).expect(303);
    assert!(!srv.file("demo/forged").exists());
    // A login form posted from another site is refused too.
    let mut cross = Browser::new(&srv);
    cross.extra.push(("Origin", "https://evil.example".into()));
    cross.login("demo", "demo").expect(403);
    let mut fetch = Browser::new(&srv);
    fetch.extra.push(("Sec-Fetch-Site", "cross-site".into()));
    fetch.login("demo", "demo").expect(403);
    let mut same = Browser::new(&srv);
    let host = srv.base.trim_start_matches("http://").to_string();
    same.extra.push(("Origin", format!("http://{host}")));
    same.login("demo", "demo").expect(303);
}

#[test]
fn failed_logins_are_rate_limited_per_client() {
    let srv = Server::sample();
    let mut b = Browser::new(&srv);
    for i in 0..5 {
        b.login(&format!("guess{i}"), "wrong").expect(401);
    }
    // The client is blocked now, even with the right password.
    let r = b.login("demo", "demo");
    r.expect(429);
    assert!(r.header("retry-after").is_some());
    assert!(b.cookie.is_none());
}

#[test]
fn another_users_collections_are_not_found() {
    let srv = Server::sample();
    let mut alice = Browser::new(&srv);
    alice.login("alice", "alice").expect(303);
    alice
        .submit(
            "/.web/c",
            &[
                ("kind", "calendar"),
                ("displayname", "Secret plans"),
                ("id", "plans"),
            ],
        )
        .expect(303);
    assert!(srv.file("alice/plans").is_dir());
    let before = std::fs::read(srv.file("alice/plans/displayname")).unwrap();
    let mut demo = Browser::new(&srv);
    demo.login("demo", "demo").expect(303);
    let edit = [("displayname", "Mine now"), ("color", "#000000")];
    demo.submit("/.web/c/plans/edit", &edit).expect(404);
    demo.submit("/.web/c/..%2Falice%2Fplans/edit", &edit)
        .expect(404);
    demo.submit("/.web/c/.trash/edit", &edit).expect(404);
    assert_eq!(
        std::fs::read(srv.file("alice/plans/displayname")).unwrap(),
        before
    );
    let page = demo.get("/.web/").text();
    assert!(!page.contains("Secret plans"));
    assert!(!page.contains("/alice/"));
}

#[test]
fn the_cookie_is_secure_behind_a_trusted_tls_proxy_only() {
    let proxied = Server::start(Options {
        config: Some("trusted_proxies = [\"127.0.0.1\"]\n".into()),
        ..Options::default()
    });
    let mut b = Browser::new(&proxied);
    b.extra.push(("X-Forwarded-Proto", "https".into()));
    let set = b
        .login("demo", "demo")
        .expect(303)
        .header("set-cookie")
        .unwrap();
    assert!(set.contains("Secure"), "{set}");
    let page = b.get("/.web/").text();
    assert!(page.contains("https://"), "URLs follow the proxy's scheme");
    let mut plain = Browser::new(&proxied);
    let set = plain.login("demo", "demo").header("set-cookie").unwrap();
    assert!(!set.contains("Secure"), "{set}");
    // From a peer that is not a trusted proxy the header is a claim only.
    let direct = Server::sample();
    let mut b = Browser::new(&direct);
    b.extra.push(("X-Forwarded-Proto", "https".into()));
    let set = b.login("demo", "demo").header("set-cookie").unwrap();
    assert!(!set.contains("Secure"), "{set}");
}

#[test]
fn pages_carry_security_headers() {
    let srv = Server::sample();
    let mut b = Browser::new(&srv);
    b.login("demo", "demo").expect(303);
    let r = b.get("/.web/");
    let csp = r.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(r.header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    assert!(!r.text().contains("<script>"), "no inline script");
    let css = b.get("/.web/static/style.css");
    css.expect(200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    b.get("/.web/static/nope.css").expect(404);
    b.get("/.web/no/such/page").expect(404);
}
