//! Authentication (HTTP Basic against htpasswd: bcrypt and argon2), isolation
//! of users' homes, home creation on first login, discovery redirect, and the
//! server's refusal to start without an authentication choice.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

#[test]
fn no_credentials_is_401_with_basic_challenge() {
    let srv = Server::sample();
    for (method, path) in [
        ("PROPFIND", "/demo/"),
        ("GET", "/demo/work/focus-time.ics"),
        ("PUT", "/demo/work/x.ics"),
    ] {
        let r = srv.request_as(None, method, path).fetch();
        r.expect(401);
        let challenge = r.header("www-authenticate").expect("WWW-Authenticate");
        assert!(
            challenge.to_ascii_lowercase().starts_with("basic"),
            "{challenge}"
        );
    }
    assert!(!srv.file("demo/work/x.ics").exists());
}

#[test]
fn wrong_password_or_unknown_user_is_401() {
    let srv = Server::sample();
    for creds in [("demo", "wrong"), ("alice", "demo"), ("mallory", "demo")] {
        let r = srv
            .request_as(Some(creds), "PROPFIND", "/")
            .header("Depth", "0")
            .fetch();
        assert_eq!(r.status, 401, "{creds:?}");
        assert!(r.header("www-authenticate").is_some());
    }
    assert!(!srv.file("mallory").exists(), "an unknown user got a home");
}

#[test]
fn bcrypt_and_argon2_users_both_log_in() {
    let srv = Server::sample();
    // demo has a bcrypt hash, alice an argon2id one (data-sample/htpasswd).
    for (user, pass) in [("demo", "demo"), ("alice", "alice")] {
        let home = format!("/{user}/");
        let ms = srv
            .request_as(Some((user, pass)), "PROPFIND", &home)
            .header("Depth", "0")
            .body(propfind_body(&[(DAV, "current-user-principal")]))
            .fetch()
            .multistatus();
        assert_eq!(
            ms.single().ok(DAV, "current-user-principal").hrefs(),
            vec![home.clone()]
        );
    }
}

#[test]
fn other_users_resources_are_not_accessible() {
    let srv = Server::sample();
    let alice_file = "alice/home/choir-rehearsal.ics";
    let before = srv.read(alice_file);
    let refused = |r: &Resp, what: &str| {
        assert!(
            r.status == 403 || r.status == 404,
            "{what}: demo got {} on alice's data:\n{}",
            r.status,
            r.text()
        );
    };
    let r = srv.get("/alice/home/choir-rehearsal.ics");
    refused(&r, "GET");
    assert!(!r.text().contains("BEGIN:VCALENDAR"));
    refused(&srv.propfind("/alice/", "1", None), "PROPFIND home");
    refused(
        &srv.propfind("/alice/home/", "1", None),
        "PROPFIND calendar",
    );
    refused(
        &srv.put_ics("/alice/home/planted.ics", &event("planted", "x")),
        "PUT",
    );
    refused(&srv.delete("/alice/home/choir-rehearsal.ics"), "DELETE");
    refused(
        &srv.proppatch(
            "/alice/home/",
            r#"<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>pwned</D:displayname></D:prop></D:set></D:propertyupdate>"#,
        ),
        "PROPPATCH",
    );
    refused(&srv.mkcalendar("/alice/new/", None), "MKCALENDAR");
    assert_eq!(srv.read(alice_file), before);
    assert!(!srv.file("alice/home/planted.ics").exists());
    assert!(!srv.file("alice/new").exists());
    assert_ne!(
        std::fs::read_to_string(srv.file("alice/home/displayname"))
            .unwrap()
            .trim_end(),
        "pwned"
    );
}

#[test]
fn root_listing_shows_only_the_own_home() {
    let srv = Server::sample();
    let hrefs = srv.members("/");
    assert!(hrefs.contains("/demo/"), "{hrefs:?}");
    assert!(
        !hrefs.iter().any(|h| h.contains("alice")),
        "demo sees alice: {hrefs:?}"
    );
}

#[test]
fn multiget_does_not_leak_other_users_objects() {
    let srv = Server::sample();
    let body = r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/></D:prop><D:href>/alice/home/choir-rehearsal.ics</D:href><D:href>/demo/work/focus-time.ics</D:href></C:calendar-multiget>"#;
    let r = srv.report("/demo/work/", "1", body);
    let ms = r.multistatus();
    let alice = ms.get("/alice/home/choir-rehearsal.ics");
    assert!(
        alice
            .prop(CALDAV, "calendar-data")
            .is_none_or(|p| p.status != 200),
        "alice's data returned to demo: {alice:#?}"
    );
    assert!(
        !r.text().contains("choir-rehearsal@davdir.example"),
        "{}",
        r.text()
    );
    ms.get("/demo/work/focus-time.ics")
        .ok(CALDAV, "calendar-data");
}

#[test]
fn first_login_creates_the_home_and_a_default_calendar() {
    let srv = Server::sample();
    // carol shares demo's bcrypt hash, so her password is "demo".
    let text = std::fs::read_to_string(srv.htpasswd_path()).unwrap();
    let demo_hash = text
        .lines()
        .find_map(|l| l.strip_prefix("demo:"))
        .unwrap()
        .to_string();
    std::fs::write(srv.htpasswd_path(), format!("{text}carol:{demo_hash}\n")).unwrap();
    assert!(!srv.file("carol").exists());
    // The server re-reads a changed htpasswd within a few seconds.
    let ok = wait_until(15, || {
        srv.request_as(Some(("carol", "demo")), "PROPFIND", "/")
            .header("Depth", "0")
            .fetch()
            .status
            == 207
    });
    assert!(ok, "carol could not log in");
    assert!(srv.file("carol").is_dir(), "no home directory for carol");
    let cals: Vec<_> = std::fs::read_dir(srv.file("carol"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let mut cals = cals;
    cals.sort();
    assert_eq!(
        cals,
        ["calendar", "contacts"],
        "the first calendar and address book"
    );
    let ms = srv
        .request_as(Some(("carol", "demo")), "PROPFIND", "/carol/")
        .header("Depth", "1")
        .body(propfind_body(&[
            (DAV, "resourcetype"),
            (DAV, "displayname"),
        ]))
        .fetch()
        .multistatus();
    let cal = ms.get("/carol/calendar/");
    assert!(cal
        .ok(DAV, "resourcetype")
        .child(CALDAV, "calendar")
        .is_some());
    assert_eq!(cal.ok(DAV, "displayname").text, "Calendar");
    let book = ms.get("/carol/contacts/");
    assert!(book
        .ok(DAV, "resourcetype")
        .child("urn:ietf:params:xml:ns:carddav", "addressbook")
        .is_some());
    assert_eq!(book.ok(DAV, "displayname").text, "Contacts");
}

/// `first_calendar` and `first_addressbook` name what a new home starts
/// with; an empty name makes none.
#[test]
fn the_first_collections_are_configurable() {
    let srv = Server::start(Options {
        sample: false,
        auth: false,
        config: Some("first_calendar = \"Family\"\nfirst_addressbook = \"\"\n".into()),
    });
    srv.request_as(Some(("erin", "")), "PROPFIND", "/erin/")
        .header("Depth", "0")
        .fetch()
        .expect(207);
    assert_eq!(srv.dir_names("erin"), ["calendar"].map(String::from).into());
    assert_eq!(
        std::fs::read_to_string(srv.file("erin/calendar/displayname"))
            .unwrap()
            .trim(),
        "Family"
    );
}

#[test]
fn first_request_without_auth_creates_the_named_users_home() {
    let srv = Server::start(Options {
        sample: false,
        auth: false,
        config: None,
    });
    let r = srv
        .request_as(Some(("dave", "")), "PROPFIND", "/dave/")
        .header("Depth", "1")
        .body(propfind_body(&[(DAV, "resourcetype")]))
        .fetch();
    let ms = r.multistatus();
    assert!(srv.file("dave").is_dir());
    assert_eq!(
        ms.responses.len(),
        4,
        "home, the first calendar and address book, and the birthday calendar"
    );
}

#[test]
fn well_known_caldav_redirects() {
    let srv = Server::sample();
    for creds in [None, Some(("demo", "demo"))] {
        for method in ["GET", "PROPFIND"] {
            let r = srv.request_as(creds, method, "/.well-known/caldav").fetch();
            assert_eq!(r.status, 301, "{method} {creds:?}");
            let loc = r.header("location").expect("Location");
            assert!(loc.ends_with('/'), "{loc}");
        }
    }
}

/// Runs the binary to completion (bounded), returning (exit code, stderr).
fn run_to_exit(args: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let err = dir.path().join("stderr");
    let mut child = Command::new(env!("CARGO_BIN_EXE_davdir"))
        .args(args)
        .arg("--data")
        .arg(dir.path().join("data"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&err).unwrap()))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("davdir {args:?} kept running instead of refusing to start");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status.code(), std::fs::read_to_string(err).unwrap())
}

#[test]
fn refuses_to_start_without_an_auth_choice() {
    let (code, stderr) = run_to_exit(&["serve", "--listen", "127.0.0.1:0"]);
    assert_ne!(code, Some(0));
    assert!(code.is_some(), "killed by a signal");
    assert!(
        stderr.contains("--htpasswd") || stderr.contains("--no-auth"),
        "stderr does not explain: {stderr}"
    );
}

#[test]
fn refuses_no_auth_on_a_public_address() {
    let (code, stderr) = run_to_exit(&["serve", "--no-auth", "--listen", "0.0.0.0:0"]);
    assert_ne!(code, Some(0));
    assert!(code.is_some(), "killed by a signal");
    assert!(!stderr.trim().is_empty(), "no message on stderr");
    assert!(
        stderr.contains("0.0.0.0") || stderr.contains("loopback"),
        "{stderr}"
    );
}

/// Without logins, a page in the user's browser whose name resolves to
/// 127.0.0.1 (DNS rebinding) still sends its own name as Host: such a
/// request is refused with 421 and a reason, on DAV paths and the web
/// page alike; loopback names and `public_url`'s host are served.
#[test]
fn no_auth_serves_only_its_own_host_names() {
    let srv = Server::start(Options {
        auth: false,
        config: Some("public_url = \"https://cal.example.org\"\n".into()),
        ..Options::default()
    });
    let port = srv.base.rsplit(':').next().unwrap().to_string();
    let with_host = |method: &str, path: &str, host: &str| {
        srv.request_as(Some(("demo", "demo")), method, path)
            .header("Host", host)
            .header("Depth", "0")
            .fetch()
    };
    for host in [
        format!("evil.example:{port}"),
        "evil.example".to_string(),
        format!("127.0.0.1.evil.example:{port}"),
    ] {
        for (method, path) in [("PROPFIND", "/demo/"), ("GET", "/"), ("OPTIONS", "/")] {
            let r = with_host(method, path, &host);
            assert_eq!(r.status, 421, "{method} {path} Host {host}");
            assert!(r.text().contains("without logins"), "{}", r.text());
        }
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "LocalHost".to_string(),
        "cal.example.org".to_string(),
    ] {
        assert_eq!(with_host("PROPFIND", "/demo/", &host).status, 207, "{host}");
    }
}

/// With logins, the Host is not checked: a proxy may name the server as
/// it likes.
#[test]
fn with_logins_any_host_is_served() {
    let srv = Server::sample();
    let r = srv
        .request("PROPFIND", "/demo/")
        .header("Host", "cal.example.net")
        .header("Depth", "0")
        .fetch();
    assert_eq!(r.status, 207);
}
