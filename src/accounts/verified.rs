//! Passwords verified recently, remembered so that the slow hash (bcrypt,
//! argon2) runs once per login and lifetime rather than on every request.
//! One cache for the htpasswd file and for app passwords: keyed by a SHA-256
//! of user, password and the stored hash, so a changed or removed hash
//! forgets what was verified against it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

/// How long a verified password is trusted without hashing again.
const CACHE_TTL: Duration = Duration::from_secs(300);

/// What a check is remembered under: no password is kept in clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key([u8; 32]);

impl Key {
    /// The key of `password` checked for `user` against the stored `hash`.
    pub fn new(user: &str, password: &str, hash: &str) -> Key {
        Key(Sha256::new()
            .chain_update(user.as_bytes())
            .chain_update([0])
            .chain_update(password.as_bytes())
            .chain_update([0])
            .chain_update(hash.as_bytes())
            .finalize()
            .into())
    }
}

#[derive(Default)]
pub struct Verified(Mutex<HashMap<Key, Instant>>);

impl Verified {
    /// Whether the check under `key` succeeded within the lifetime.
    pub fn recalls(&self, key: &Key) -> bool {
        self.0
            .lock()
            .get(key)
            .is_some_and(|at| at.elapsed() < CACHE_TTL)
    }

    /// Remembers a successful check, forgetting those past their lifetime.
    pub fn remember(&self, key: Key) {
        let mut cache = self.0.lock();
        cache.retain(|_, at| at.elapsed() < CACHE_TTL);
        cache.insert(key, Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_only_the_same_user_password_and_hash() {
        let v = Verified::default();
        v.remember(Key::new("u", "pw", "h1"));
        assert!(v.recalls(&Key::new("u", "pw", "h1")));
        assert!(!v.recalls(&Key::new("u", "pw", "h2")));
        assert!(!v.recalls(&Key::new("u", "other", "h1")));
        // The separators keep the parts apart.
        assert!(!v.recalls(&Key::new("up", "w", "h1")));
    }
}
