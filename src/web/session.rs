//! The server-side session table of the web page: a login hands the browser
//! a random id in a cookie, and only this table says whom it belongs to, so
//! logout and expiry take effect at once whatever the browser keeps.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix_web::cookie::{Cookie, SameSite};
use base64::Engine;
use parking_lot::Mutex;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Name of the session cookie.
pub const COOKIE: &str = "davdir_session";
/// Sessions kept at most; beyond it the one closest to expiry goes first,
/// so a login flood cannot grow the table without bound.
const MAX_SESSIONS: usize = 10_000;

/// One logged-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    /// The token every form of this session carries (`csrf`).
    pub csrf: String,
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

    /// Starts a session for `user`; returns its id (the cookie value).
    pub fn create(&self, user: &str) -> (String, Session) {
        let id = random_token();
        let now = Instant::now();
        let session = Session {
            user: user.to_string(),
            csrf: random_token(),
            expires: now + self.lifetime,
        };
        let mut table = self.table.lock();
        if table.len() >= MAX_SESSIONS {
            table.retain(|_, s| s.expires > now);
            if table.len() >= MAX_SESSIONS {
                let soonest = table.iter().min_by_key(|(_, s)| s.expires).map(|(k, _)| *k);
                if let Some(k) = soonest {
                    table.remove(&k);
                }
            }
        }
        table.insert(key(&id), session.clone());
        (id, session)
    }

    /// The live session with this id; an expired one is removed.
    pub fn get(&self, id: &str) -> Option<Session> {
        let k = key(id);
        let mut table = self.table.lock();
        let live = table.get(&k)?.expires > Instant::now();
        if live {
            table.get(&k).cloned()
        } else {
            table.remove(&k);
            None
        }
    }

    /// Ends one session (logout).
    pub fn end(&self, id: &str) {
        self.table.lock().remove(&key(id));
    }

    /// Ends every session of `user` but `keep` (after a password change).
    pub fn end_others(&self, user: &str, keep: &str) {
        let keep = key(keep);
        self.table
            .lock()
            .retain(|k, s| s.user != user || *k == keep);
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

    #[test]
    fn sessions_live_until_ended_or_expired() {
        let s = Sessions::new(Duration::from_secs(60));
        let (id, session) = s.create("demo");
        assert!(id.len() >= 43, "256 bits in base64");
        assert_eq!(s.get(&id).unwrap().user, "demo");
        assert_eq!(s.get(&id).unwrap().csrf, session.csrf);
        assert!(s.get("not-an-id").is_none());
        s.end(&id);
        assert!(s.get(&id).is_none());
        let short = Sessions::new(Duration::from_millis(1));
        let (id, _) = short.create("demo");
        std::thread::sleep(Duration::from_millis(5));
        assert!(short.get(&id).is_none());
    }

    #[test]
    fn password_change_ends_other_sessions() {
        let s = Sessions::new(Duration::from_secs(60));
        let (a, _) = s.create("demo");
        let (b, _) = s.create("demo");
        let (c, _) = s.create("alice");
        s.end_others("demo", &a);
        assert!(s.get(&a).is_some());
        assert!(s.get(&b).is_none());
        assert!(s.get(&c).is_some());
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
