//! Login backoff against a hostile guesser: guessing stays slow, yet no
//! one without credentials can lock a user out from elsewhere (the DAV
//! login, app passwords and the web login all tried from other addresses),
//! and the page's password change is slowed like a login. Client
//! addresses are simulated with `X-Forwarded-For` from a trusted proxy
//! (127.0.0.1).

use std::time::Duration;

use super::browser::*;
use crate::common::*;

fn behind_proxy() -> Server {
    Server::start(Options {
        config: Some("trusted_proxies = [\"127.0.0.1\"]\n".into()),
        ..Options::default()
    })
}

/// A PROPFIND of the user's home as if from `from`: its status and, for a
/// 429, its Retry-After in seconds.
fn dav(srv: &Server, user: &str, pass: &str, from: &str) -> (u16, Option<u64>) {
    let r = srv
        .request_as(Some((user, pass)), "PROPFIND", &format!("/{user}/"))
        .header("Depth", "0")
        .header("X-Forwarded-For", from)
        .fetch();
    answer(&r)
}

/// A status and, for a 429, its Retry-After in seconds.
fn answer(r: &Resp) -> (u16, Option<u64>) {
    let retry = r.header("retry-after").and_then(|v| v.parse().ok());
    assert_eq!(
        r.status == 429,
        retry.is_some(),
        "Retry-After with 429 only"
    );
    (r.status, retry)
}

/// Makes `attempt` (a wrong password each time) until a refusal lasts at
/// least `secs`, waiting out the shorter ones (so the checks that follow
/// do not race a refusal's end); returns how many passwords were checked.
fn guess_until_refused(secs: u64, mut attempt: impl FnMut() -> (u16, Option<u64>)) -> u32 {
    let mut checked = 0;
    for _ in 0..40 {
        match attempt() {
            (_, Some(s)) if s >= secs => return checked,
            (_, Some(s)) => std::thread::sleep(Duration::from_secs(s)),
            (401 | 403, None) => checked += 1,
            other => panic!("after {checked} wrong passwords: {other:?}"),
        }
    }
    panic!("not refused for {secs} s after {checked} wrong passwords");
}

/// A browser whose requests come from `from`.
fn browser_from<'s>(srv: &'s Server, from: &str) -> Browser<'s> {
    let mut b = Browser::new(srv);
    b.extra.push(("X-Forwarded-For", from.to_string()));
    b
}

/// A new app password of `user`, made on the page from `from` and not used.
fn app_password(srv: &Server, user: &str, pass: &str, from: &str) -> String {
    let mut b = browser_from(srv, from);
    b.login(user, pass).expect(303);
    let page = b
        .submit("/.web/devices", &[("label", "Phone")])
        .expect(200)
        .text();
    let at = page.find("id=\"new-secret\">").expect("secret shown") + "id=\"new-secret\">".len();
    page[at..at + page[at..].find('<').unwrap()]
        .trim()
        .to_string()
}

#[test]
fn a_guesser_locks_out_no_one_but_itself() {
    let srv = behind_proxy();
    let secret = app_password(&srv, "alice", "alice", "192.0.2.50");
    let attacker = "203.0.113.66";
    // 5 free failures, then refusals of 1, 2 and 4 s, each waited out.
    let checked = guess_until_refused(8, || dav(&srv, "alice", "guess", attacker));
    assert_eq!(checked, 8);

    // From any other address alice's password, her unused app password and
    // her web login all work.
    assert_eq!(dav(&srv, "alice", "alice", "198.51.100.2").0, 207);
    assert_eq!(dav(&srv, "alice", &secret, "198.51.100.3").0, 207);
    browser_from(&srv, "198.51.100.4")
        .login("alice", "alice")
        .expect(303);

    // The guesser itself is still refused, even the right password (which
    // is now among the recently verified) and at the web login.
    assert_eq!(dav(&srv, "alice", "alice", attacker).0, 429);
    let r = browser_from(&srv, attacker).login("alice", "alice");
    r.expect(429);
    assert!(r.header("retry-after").is_some());
    let log = srv.log();
    assert!(log.contains("refusing logins for user \"alice\" and from 203.0.113.66"));
}

#[test]
fn a_name_guessed_from_many_addresses_slows_but_app_passwords_pass() {
    let srv = behind_proxy();
    let regular = "192.0.2.7";
    let secret = app_password(&srv, "demo", "demo", regular);
    // Four guesses from each address (none is refused on its own) until
    // the name is.
    let mut failures = 0;
    'flood: {
        for a in 0..100u32 {
            let from = format!("10.9.{}.{}", a / 200, a % 200 + 1);
            for g in 0..4 {
                match dav(&srv, "demo", &format!("guess{g}"), &from) {
                    (401, _) => failures += 1,
                    (429, _) => break 'flood,
                    other => panic!("guess from {from}: {other:?}"),
                }
            }
        }
        panic!("{failures} guesses across addresses were never slowed");
    }
    assert!(
        failures >= 100,
        "the name was refused after only {failures} failures"
    );

    // Each checked failure doubles the refusal: wait them out, guessing
    // from fresh addresses, until it lasts long enough for the checks below.
    let mut fresh = (1..250u8).map(|n| format!("10.10.0.{n}"));
    guess_until_refused(16, || dav(&srv, "demo", "guess", &fresh.next().unwrap()));
    let from = fresh.next().unwrap();
    assert_eq!(dav(&srv, "demo", "demo", &from).0, 429, "new address");
    browser_from(&srv, &from).login("demo", "demo").expect(429);
    assert_eq!(dav(&srv, "demo", &secret, &from).0, 207, "app password");
    assert_eq!(dav(&srv, "demo", "demo", regular).0, 207, "known address");
    browser_from(&srv, regular)
        .login("demo", "demo")
        .expect(303);
    assert_eq!(dav(&srv, "alice", "alice", &from).0, 207, "another name");
    assert!(srv
        .log()
        .contains("refusing the account password of user \"demo\" from new addresses"));
}

#[test]
fn the_password_change_shares_the_login_backoff() {
    let srv = behind_proxy();
    let here = "203.0.113.5";
    let mut b = browser_from(&srv, here);
    b.login("demo", "demo").expect(303);
    let change = |current: &str| {
        b.submit(
            "/.web/account/password",
            &[
                ("current", current),
                ("new", "n3w-pass"),
                ("repeat", "n3w-pass"),
            ],
        )
    };
    // Answered 403 five times, then refused for 1, 2 and 4 s, waited out.
    let checked = guess_until_refused(8, || answer(&change("wrong")));
    assert_eq!(checked, 8);
    // Not even the right one is checked from here now; the password stays.
    change("demo").expect(429);
    assert_eq!(dav(&srv, "demo", "demo", "198.51.100.9").0, 207);
    // The failures were logins: this address's DAV login is refused too.
    assert_eq!(dav(&srv, "demo", "demo", here).0, 429);
}
