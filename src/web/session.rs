//! The server-side session table of the web page: a login hands the browser
//! a random id in a cookie, and only this table says whom it belongs to, so
//! logout and expiry take effect at once whatever the browser keeps.
//!
//! A session also remembers the fingerprint of the account entry (htpasswd
//! hash) it logged in under, and every lookup compares it with the entry
//! as the file holds it now: `davdir user passwd` or `user remove`, run in
//! another process, ends the user's sessions at their next request, with
//! no message between the processes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix_web::cookie::{Cookie, SameSite};
use base64::Engine;
use parking_lot::Mutex;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::http::auth::Fingerprint;

/// Name of the session cookie.
pub const COOKIE: &str = "davdir_session";
/// Sessions kept at most; beyond it the one closest to expiry goes first,
/// so a login flood cannot grow the table without bound.
const MAX_SESSIONS: usize = 10_000;
/// Sessions one user may hold; a login beyond it ends that user's oldest,
/// so one user's logins never push out another user's session.
pub const MAX_PER_USER: usize = 64;

/// One logged-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    /// The token every form of this session carries (`csrf`).
    pub csrf: String,
    /// The account entry this session lives under (`Authenticator::fingerprint`).
    account: Fingerprint,
    expires: Instant,
}

/// Sessions by the SHA-256 of their id: a lookup compares digests, never
/// the secret itself, and the table holds nothing a memory dump could replay.
pub struct Sessions {
    table: Mutex<HashMap<[u8; 32], Session>>,
    lifetime: Duration,
}

/// 256 random bits from the OS, URL-safe: ids and CSRF tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

impl Sessions {
    pub fn new(lifetime: Duration) -> Sessions {
        Sessions {
            table: Mutex::new(HashMap::new()),
            lifetime,
        }
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Starts a session for `user`, whose account entry has the fingerprint
    /// `account` (taken before the password was checked, so a change racing
    /// the login leaves a session that is dead at once, never one that
    /// outlives it); returns its id (the cookie value).
    pub fn create(&self, user: &str, account: Fingerprint) -> (String, Session) {
        let id = random_token();
        let now = Instant::now();
        let session = Session {
            user: user.to_string(),
            csrf: random_token(),
            account,
            expires: now + self.lifetime,
        };
        let mut table = self.table.lock();
        // One lifetime for all: the soonest to expire is the oldest.
        let oldest = |table: &HashMap<[u8; 32], Session>, user: Option<&str>| {
            table
                .iter()
                .filter(|(_, s)| user.is_none_or(|u| s.user == u))
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| *k)
        };
        if table.values().filter(|s| s.user == user).count() >= MAX_PER_USER {
            if let Some(k) = oldest(&table, Some(user)) {
                table.remove(&k);
            }
        }
        if table.len() >= MAX_SESSIONS {
            table.retain(|_, s| s.expires > now);
            if table.len() >= MAX_SESSIONS {
                if let Some(k) = oldest(&table, None) {
                    table.remove(&k);
                }
            }
        }
        table.insert(key(&id), session.clone());
        (id, session)
    }

    /// The live session with this id. `account` gives the fingerprint of a
    /// user's entry now (None once the user is gone): a session whose entry
    /// changed is refused, and it and the user's other sessions under a
    /// stale entry are dropped; an expired one is dropped too.
    pub fn get(
        &self,
        id: &str,
        account: impl FnOnce(&str) -> Option<Fingerprint>,
    ) -> Option<Session> {
        let k = key(id);
        let session = {
            let mut table = self.table.lock();
            let session = table.get(&k)?.clone();
            if session.expires <= Instant::now() {
                table.remove(&k);
                return None;
            }
            session
        };
        // Looked up without the table's lock: it may re-read the htpasswd file.
        let now = account(&session.user);
        if now == Some(session.account) {
            return Some(session);
        }
        self.table
            .lock()
            .retain(|_, s| s.user != session.user || Some(s.account) == now);
        None
    }

    /// Ends one session (logout).
    pub fn end(&self, id: &str) {
        self.table.lock().remove(&key(id));
    }

    /// After a password change from the page: session `keep` lives on
    /// under the new entry `account`, every other session of `user` ends.
    pub fn end_others(&self, user: &str, keep: &str, account: Fingerprint) {
        let keep = key(keep);
        let mut table = self.table.lock();
        table.retain(|k, s| s.user != user || *k == keep);
        if let Some(s) = table.get_mut(&keep) {
            s.account = account;
        }
    }
}

/// The cookie carrying a session id: never readable by scripts, never sent
/// by another site's request, limited to the server's paths, and over TLS
/// only when the page is reached over TLS.
pub fn cookie(id: &str, path: &str, secure: bool, lifetime: Duration) -> Cookie<'static> {
    Cookie::build(COOKIE, id.to_string())
        .http_only(true)
        .same_site(SameSite::Strict)
        .path(path.to_string())
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::seconds(
            i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX),
        ))
        .finish()
}

/// A cookie that makes the browser forget the session id.
pub fn removal(path: &str, secure: bool) -> Cookie<'static> {
    let mut c = cookie("", path, secure, Duration::ZERO);
    c.make_removal();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: Fingerprint = [1; 32];
    const NEW: Fingerprint = [2; 32];

    /// Every account's entry is `OLD`.
    fn unchanged(_: &str) -> Option<Fingerprint> {
        Some(OLD)
    }

    #[test]
    fn sessions_live_until_ended_or_expired() {
        let s = Sessions::new(Duration::from_secs(60));
        let (id, session) = s.create("demo", OLD);
        assert!(id.len() >= 43, "256 bits in base64");
        assert_eq!(s.get(&id, unchanged).unwrap().user, "demo");
        assert_eq!(s.get(&id, unchanged).unwrap().csrf, session.csrf);
        assert!(s.get("not-an-id", unchanged).is_none());
        s.end(&id);
        assert!(s.get(&id, unchanged).is_none());
        let short = Sessions::new(Duration::from_millis(1));
        let (id, _) = short.create("demo", OLD);
        std::thread::sleep(Duration::from_millis(5));
        assert!(short.get(&id, unchanged).is_none());
    }

    #[test]
    fn password_change_ends_other_sessions() {
        let s = Sessions::new(Duration::from_secs(60));
        let (a, _) = s.create("demo", OLD);
        let (b, _) = s.create("demo", OLD);
        let (c, _) = s.create("alice", OLD);
        s.end_others("demo", &a, NEW);
        let demo_changed = |u: &str| Some(if u == "demo" { NEW } else { OLD });
        assert!(s.get(&a, demo_changed).is_some());
        assert!(s.get(&b, demo_changed).is_none());
        assert!(s.get(&c, demo_changed).is_some());
    }

    /// A changed or vanished entry ends every session under the old one at
    /// the first lookup of any of them, and leaves other users' alone.
    #[test]
    fn a_changed_account_ends_its_sessions() {
        let s = Sessions::new(Duration::from_secs(60));
        let (a, _) = s.create("demo", OLD);
        let (b, _) = s.create("demo", OLD);
        let (c, _) = s.create("alice", OLD);
        let gone = |u: &str| (u != "demo").then_some(OLD);
        assert!(s.get(&a, gone).is_none());
        assert!(s.get(&b, unchanged).is_none(), "dropped with the first");
        assert!(s.get(&c, gone).is_some());
        let (d, _) = s.create("demo", NEW);
        assert!(s.get(&d, |_| Some(OLD)).is_none(), "re-created user");
    }

    #[test]
    fn a_users_logins_end_only_her_own_oldest_session() {
        let s = Sessions::new(Duration::from_secs(60));
        let (alice, _) = s.create("alice", OLD);
        let (first, _) = s.create("demo", OLD);
        std::thread::sleep(Duration::from_millis(2));
        let ids: Vec<String> = (0..MAX_PER_USER).map(|_| s.create("demo", OLD).0).collect();
        assert!(s.get(&first, unchanged).is_none(), "the oldest went");
        assert!(ids.iter().all(|id| s.get(id, unchanged).is_some()));
        assert!(s.get(&alice, unchanged).is_some());
    }

    #[test]
    fn cookie_attributes() {
        let c = cookie("x", "/dav", true, Duration::from_secs(5)).to_string();
        for part in [
            "HttpOnly",
            "SameSite=Strict",
            "Path=/dav",
            "Secure",
            "Max-Age=5",
        ] {
            assert!(c.contains(part), "{c}");
        }
        let plain = cookie("x", "/", false, Duration::from_secs(5)).to_string();
        assert!(!plain.contains("Secure"), "{plain}");
    }
}
