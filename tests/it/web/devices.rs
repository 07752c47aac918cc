//! Devices and account over real HTTP: app passwords (DAV only, per
//! user), the Apple profile with the public URL, and password changes.

use super::browser::*;
use crate::common::*;

#[test]
fn app_passwords_work_for_dav_only_and_are_revoked_per_user() {
    let srv = Server::sample();
    let mut b = Browser::new(&srv);
    b.login("demo", "demo").expect(303);
    let page = b
        .submit("/.web/devices", &[("label", "Phone")])
        .expect(200)
        .text();
    let at = page.find("id=\"new-secret\">").expect("secret shown") + "id=\"new-secret\">".len();
    let secret = page[at..page[at..].find('<').unwrap() + at]
        .trim()
        .to_string();
    assert!(b.get("/.web/devices").text().contains("Phone"));
    assert!(
        !b.get("/.web/devices").text().contains(&secret),
        "shown once"
    );
    srv.request_as(Some(("demo", &secret)), "PROPFIND", "/demo/")
        .header("Depth", "0")
        .fetch()
        .expect(207);
    // Never a web login.
    Browser::new(&srv).login("demo", &secret).expect(401);
    let mut alice = Browser::new(&srv);
    alice.login("alice", "alice").expect(303);
    alice.submit("/.web/devices/Phone/revoke", &[]).expect(404);
    srv.request_as(Some(("demo", &secret)), "PROPFIND", "/demo/")
        .header("Depth", "0")
        .fetch()
        .expect(207);
    b.submit("/.web/devices/Phone/revoke", &[]).expect(303);
    srv.request_as(Some(("demo", &secret)), "PROPFIND", "/demo/")
        .header("Depth", "0")
        .fetch()
        .expect(401);
}

#[test]
fn the_apple_profile_uses_the_public_url() {
    let srv = Server::start(Options {
        config: Some("public_url = \"https://dav.example.org\"\nbase_path = \"/dav\"\n".into()),
        ..Options::default()
    });
    let mut b = Browser::new(&srv);
    let r = b.post(
        "/dav/.web/login",
        &[("username", "demo"), ("password", "demo")],
    );
    b.cookie = Some(
        r.header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .into(),
    );
    let page = b.get("/dav/.web/").expect(200).text();
    assert!(
        page.contains("https://dav.example.org/dav/demo/work/"),
        "{page}"
    );
    let token = token_in(&page).unwrap();
    let r = b.post("/dav/.web/devices/profile", &[("csrf", token.as_str())]);
    r.expect(200);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/x-apple-aspen-config")
    );
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    let v = plist::Value::from_reader_xml(r.body.as_slice()).unwrap();
    let content = v.as_dictionary().unwrap()["PayloadContent"]
        .as_array()
        .unwrap()
        .clone();
    let caldav = content[0].as_dictionary().unwrap();
    assert_eq!(
        caldav["CalDAVHostName"].as_string(),
        Some("dav.example.org")
    );
    assert_eq!(caldav["CalDAVPort"].as_signed_integer(), Some(443));
    assert_eq!(caldav["CalDAVUseSSL"].as_boolean(), Some(true));
    assert_eq!(
        caldav["CalDAVPrincipalURL"].as_string(),
        Some("https://dav.example.org/dav/demo/")
    );
    let password = caldav["CalDAVPassword"].as_string().unwrap();
    srv.request_as(Some(("demo", password)), "PROPFIND", "/dav/demo/")
        .header("Depth", "0")
        .fetch()
        .expect(207);
}

#[test]
fn changing_the_password_needs_the_current_one_and_logs_out_elsewhere() {
    let srv = Server::sample();
    let mut b = Browser::new(&srv);
    b.login("demo", "demo").expect(303);
    let mut other = Browser::new(&srv);
    other.login("demo", "demo").expect(303);
    let change = |current: &str, new: &str, repeat: &str| {
        b.submit(
            "/.web/account/password",
            &[("current", current), ("new", new), ("repeat", repeat)],
        )
    };
    change("wrong", "n3w-passw0rd", "n3w-passw0rd").expect(403);
    change("demo", "n3w-passw0rd", "different").expect(400);
    let short = change("demo", "seven77", "seven77");
    short.expect(400);
    assert!(short.text().contains("shorter than 8 characters"));
    change("demo", "n3w-passw0rd", "n3w-passw0rd").expect(200);
    assert!(
        is_login_page(&other.get("/.web/").text()),
        "other session ended"
    );
    assert!(!is_login_page(&b.get("/.web/").text()), "this one goes on");
    Browser::new(&srv).login("demo", "demo").expect(401);
    Browser::new(&srv).login("demo", "n3w-passw0rd").expect(303);
}
