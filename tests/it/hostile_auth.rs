//! Hostile probes against authentication: malformed and forged Basic
//! headers, unknown users, another user's home with valid credentials, user
//! names that try to leave the data directory in `--no-auth` mode, and a
//! password-guessing flood, which must be slowed (429 + Retry-After) without
//! slowing anyone else. Each probe asserts its exact status and the fence.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::common::*;
use base64::Engine;
use reqwest::blocking::Client;

/// A client whose connections come from another loopback address, so each
/// probe is its own "client address" for the server's backoff.
fn client_from(last_octet: u8) -> Client {
    Client::builder()
        .local_address(IpAddr::from([127, 0, 0, last_octet]))
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn basic(raw: &[u8]) -> Vec<u8> {
    let mut v = b"Basic ".to_vec();
    v.extend(
        base64::engine::general_purpose::STANDARD
            .encode(raw)
            .bytes(),
    );
    v
}

/// PROPFIND Depth 0 of `path` with a raw Authorization header (or none).
fn probe(srv: &Server, client: &Client, auth: Option<&[u8]>, path: &str) -> Resp {
    let mut rb = client
        .request(
            reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
            srv.url(path),
        )
        .header("Depth", "0");
    if let Some(a) = auth {
        rb = rb.header(
            reqwest::header::AUTHORIZATION,
            reqwest::header::HeaderValue::from_bytes(a).unwrap(),
        );
    }
    rb.fetch()
}

#[test]
fn malformed_or_wrong_credentials_are_401() {
    let srv = Server::sample();
    let fence = srv.fence();
    let long_pass = format!("demo:{}", "p".repeat(6000));
    let probes: Vec<(&str, Vec<u8>, u16)> = vec![
        ("not base64", b"Basic !!!not-base64!!!".to_vec(), 401),
        ("no colon", basic(b"demodemo"), 401),
        ("non-UTF-8 credentials", basic(b"demo:\xff\xfe"), 401),
        (
            "non-UTF-8 header bytes",
            b"Basic \xff\xfe\xfd".to_vec(),
            401,
        ),
        ("empty user", basic(b":demo"), 401),
        ("empty everything", basic(b":"), 401),
        ("scheme only", b"Basic".to_vec(), 401),
        ("wrong scheme", b"Bearer ZGVtbzpkZW1v".to_vec(), 401),
        ("digest scheme", b"Digest username=\"demo\"".to_vec(), 401),
        ("unknown user", basic(b"mallory:demo"), 401),
        ("wrong password", basic(b"demo:demo2"), 401),
        ("password with colon", basic(b"demo:de:mo"), 401),
        ("NUL in user", basic(b"demo\0:demo"), 401),
        ("traversal user", basic(b"../alice:alice"), 401),
        ("6 KB password", basic(long_pass.as_bytes()), 401),
        (
            "lower-case scheme, right password",
            b"basic ZGVtbzpkZW1v".to_vec(),
            207,
        ),
    ];
    for (i, (what, header, status)) in probes.iter().enumerate() {
        // Each from its own address: no probe is refused for another's failures.
        let client = client_from(10 + i as u8);
        let r = probe(&srv, &client, Some(header), "/demo/");
        assert_eq!(r.status, *status, "{what}: {}", r.text());
        if r.status == 401 {
            assert!(r.header("www-authenticate").is_some(), "{what}");
        }
        assert!(!r.text().contains("demo2"), "{what}: password echoed");
        fence.check(what, Some(&r));
    }
    assert!(!srv.file("mallory").exists() && !srv.file("..").join("alice").exists());
    // Failed logins are logged with user and address, never the password.
    let log = srv.log();
    assert!(
        log.contains("failed login for user \"mallory\" from 127.0.0."),
        "{log}"
    );
    assert!(!log.contains("demo2"), "password in the log");
}

#[test]
fn huge_authorization_header_is_refused() {
    let srv = Server::sample();
    let fence = srv.fence();
    let huge = basic(format!("demo:{}", "x".repeat(200_000)).as_bytes());
    let r = probe(&srv, &client_from(2), Some(&huge), "/demo/");
    assert_eq!(r.status, 431, "{}", r.text());
    fence.check("200 KB Authorization header", Some(&r));
    // The server is still there.
    srv.propfind("/demo/", "0", None).expect(207);
}

#[test]
fn another_users_home_with_valid_credentials_is_refused() {
    let srv = Server::sample();
    let fence = srv.fence();
    let probes = [
        (
            "PROPFIND alice's home",
            srv.propfind("/alice/", "1", None),
            403,
        ),
        (
            "GET alice's object",
            srv.get("/alice/home/choir-rehearsal.ics"),
            403,
        ),
        (
            "PUT into alice's calendar",
            srv.put_ics("/alice/home/x.ics", &event("x", "x")),
            403,
        ),
        // The client resolves the encoded dot segments: it asks for alice's file.
        (
            "encoded traversal to alice",
            srv.get("/demo/%2e%2e/alice/home/choir-rehearsal.ics"),
            403,
        ),
        (
            "double-encoded alice",
            srv.get("/%2561lice/home/choir-rehearsal.ics"),
            403,
        ),
    ];
    for (what, r, status) in probes {
        assert_eq!(r.status, status, "{what}: {}", r.text());
        fence.check(what, Some(&r));
    }
}

#[test]
fn a_guessing_flood_gets_429_and_others_are_still_served() {
    let srv = Server::sample();
    let fence = srv.fence();
    // alice logs in before the flood: her verified password needs no hashing.
    let alice = Some(("alice", "alice"));
    srv.request_as(alice, "PROPFIND", "/alice/")
        .header("Depth", "0")
        .fetch()
        .expect(207);

    // Guess until 7 wrong passwords were checked, waiting out each refusal:
    // the refusal after the 7th lasts 4 s, room for the checks below.
    let attacker = client_from(66);
    let wrong = basic(b"demo:guess");
    let mut checked = 0;
    let mut refused = 0;
    while checked < 7 {
        let r = probe(&srv, &attacker, Some(&wrong), "/demo/");
        fence.check("guess", Some(&r));
        match r.status {
            401 => checked += 1,
            429 => {
                assert!(checked >= 5, "refused after only {checked} failures");
                let retry: u64 = r
                    .header("retry-after")
                    .expect("Retry-After")
                    .parse()
                    .unwrap();
                assert!((1..=900).contains(&retry), "{retry}");
                refused += 1;
                std::thread::sleep(Duration::from_secs(retry));
            }
            other => panic!("guess got {other}: {}", r.text()),
        }
    }
    assert!(refused >= 2, "no 429 between the guesses");

    // Even the right password is not checked from that address now (a
    // guess cannot tell right from wrong), but the user is not locked out
    // elsewhere: the guesser refused only itself.
    let right = basic(b"demo:demo");
    let r = probe(&srv, &attacker, Some(&right), "/demo/");
    assert_eq!(r.status, 429, "right password from the flooding address");
    assert!(r.header("retry-after").is_some());
    fence.check("right password while throttled", Some(&r));
    let r = probe(&srv, &client_from(67), Some(&right), "/demo/");
    assert_eq!(
        r.status, 207,
        "right password for the guessed user elsewhere"
    );
    // Verified a moment ago from 67, it is still refused from the guesser.
    let r = probe(&srv, &attacker, Some(&right), "/demo/");
    assert_eq!(r.status, 429, "the cache of verified passwords");

    // A parallel flood of new names from the same address, while others work.
    let flooders: Vec<_> = (0..6)
        .map(|t| {
            let url = srv.url("/demo/");
            std::thread::spawn(move || {
                let c = client_from(66);
                let mut statuses = Vec::new();
                for i in 0..40 {
                    let r = c
                        .request(reqwest::Method::from_bytes(b"PROPFIND").unwrap(), &url)
                        .basic_auth(format!("user{t}x{i}"), Some("guess"))
                        .header("Depth", "0")
                        .send()
                        .unwrap();
                    statuses.push(r.status().as_u16());
                }
                statuses
            })
        })
        .collect();
    let started = Instant::now();
    for _ in 0..10 {
        srv.request_as(alice, "PROPFIND", "/alice/home/")
            .header("Depth", "1")
            .fetch()
            .expect(207);
    }
    // A first login (hashed) from another address goes through too.
    let fresh = client_from(90)
        .request(
            reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
            srv.url("/alice/"),
        )
        .basic_auth("alice", Some("alice"))
        .header("Depth", "0")
        .fetch();
    assert_eq!(fresh.status, 207, "first login from another address");
    let mut seen = Vec::new();
    for f in flooders {
        seen.extend(f.join().unwrap());
    }
    let hashed = seen.iter().filter(|s| **s == 401).count();
    assert!(
        seen.iter().all(|s| *s == 401 || *s == 429),
        "flood statuses {seen:?}"
    );
    // Blocks double (4 s, 8 s, …): only a few guesses are ever checked.
    assert!(
        hashed <= 3,
        "{hashed} of {} flood guesses were checked",
        seen.len()
    );
    fence.check("after the flood", None);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "others were held up"
    );
    let log = srv.log();
    assert!(log.contains("refusing logins"), "{log}");
}

#[test]
fn unknown_user_costs_as_much_as_a_wrong_password() {
    let srv = Server::sample();
    let hash = bcrypt::hash("demo", 10).unwrap();
    let quick = bcrypt::hash("probe", 4).unwrap();
    std::fs::write(srv.htpasswd_path(), format!("demo:{hash}\nprobe:{quick}\n")).unwrap();
    let reloaded = wait_until(15, || {
        srv.request_as(Some(("probe", "probe")), "PROPFIND", "/")
            .header("Depth", "0")
            .fetch()
            .status
            == 207
    });
    assert!(reloaded, "htpasswd not reloaded");
    let timed = |client: &Client, user: &str| {
        let t = Instant::now();
        let r = client
            .request(
                reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
                srv.url("/"),
            )
            .basic_auth(user, Some("not-it"))
            .header("Depth", "0")
            .fetch();
        assert_eq!(r.status, 401, "{user}");
        t.elapsed()
    };
    // Interleaved, each pair from its own address (two failures: none is
    // throttled), and compared by medians with a wide bound: an unknown
    // name answered without hashing would be tens of times faster than a
    // cost-10 bcrypt, so the bound keeps the point without timing noise.
    let (mut wrong, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..15 {
        let client = client_from(120 + i);
        wrong.push(timed(&client, "demo"));
        unknown.push(timed(&client, &format!("ghost{i}")));
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64()
    };
    let ratio = median(&mut unknown) / median(&mut wrong);
    assert!(
        (0.25..4.0).contains(&ratio),
        "unknown/wrong time ratio {ratio:.2} (unknown {unknown:?}, wrong {wrong:?})"
    );
}

#[test]
fn no_auth_user_names_must_be_home_names() {
    let srv = Server::start(Options {
        sample: true,
        auth: false,
        config: None,
    });
    let fence = srv.fence();
    // The cache directory appears whenever the server first saves its index.
    let homes = || -> BTreeSet<String> {
        let mut names = srv.dir_names("");
        names.remove(".davdir-cache");
        names
    };
    let before = homes();
    let long = "u".repeat(300);
    let bad = [
        "..",
        ".",
        "%2e%2e",
        "%2E%2e",
        "%252e%252e",
        ".hidden",
        "a/b",
        "..\\..",
        "a%2fb",
        "nul\u{0}x",
        "tab\tx",
        long.as_str(),
    ];
    for (i, user) in bad.iter().enumerate() {
        let r = probe(
            &srv,
            &client_from(100 + i as u8),
            Some(&basic(format!("{user}:x").as_bytes())),
            "/",
        );
        assert_eq!(r.status, 401, "user {user:?}: {}", r.text());
        fence.check(user, Some(&r));
    }
    assert_eq!(homes(), before, "a home was created");
    assert!(!srv.data.parent().unwrap().join("x").exists());
    // A proper name still works, and another user's home stays closed.
    let r = probe(&srv, &client_from(3), Some(&basic(b"dave:")), "/dave/");
    assert_eq!(r.status, 207);
    let r = probe(&srv, &client_from(3), Some(&basic(b"dave:")), "/alice/");
    assert_eq!(r.status, 403);
    fence.check("dave", Some(&r));
}

#[test]
fn forwarded_for_names_the_client_only_behind_a_trusted_proxy() {
    let srv = Server::start(Options {
        config: Some("trusted_proxies = [\"127.0.0.1\"]\n".into()),
        ..Options::default()
    });
    let fence = srv.fence();
    let guess = |client: &Client, user: &str, forwarded: &str| {
        let r = client
            .request(
                reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
                srv.url("/"),
            )
            .basic_auth(user, Some("guess"))
            .header("Depth", "0")
            .header("X-Forwarded-For", forwarded)
            .fetch();
        fence.check(user, Some(&r));
        r.status
    };
    // Through the trusted proxy: the forwarded client is throttled…
    let proxy = client_from(1);
    for i in 0..5 {
        assert_eq!(guess(&proxy, &format!("ghost{i}"), "203.0.113.7"), 401);
    }
    assert_eq!(guess(&proxy, "ghost-next", "203.0.113.7"), 429);
    // …a client forging an earlier hop does not escape…
    assert_eq!(
        guess(&proxy, "ghost-forged", "198.51.100.1, 203.0.113.7"),
        429
    );
    // …and another client behind the same proxy still logs in.
    let r = proxy
        .request(
            reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
            srv.url("/alice/"),
        )
        .basic_auth("alice", Some("alice"))
        .header("Depth", "0")
        .header("X-Forwarded-For", "203.0.113.8")
        .fetch();
    assert_eq!(r.status, 207);
    // From an untrusted peer the header is ignored: new claims each time do not help.
    let direct = client_from(71);
    for i in 0..5 {
        let claimed = format!("192.0.2.{i}");
        assert_eq!(guess(&direct, &format!("spoof{i}"), &claimed), 401);
    }
    assert_eq!(guess(&direct, "spoof-next", "192.0.2.99"), 429);
    let log = srv.log();
    assert!(log.contains("from 203.0.113.7"), "{log}");
    assert!(log.contains("from 127.0.0.71"), "{log}");
}
