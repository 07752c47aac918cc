//! HTTP Basic authentication against an htpasswd file (bcrypt or argon2).
//!
//! bcrypt costs tens of milliseconds by design, so a successful check is
//! remembered (keyed by a SHA-256 of user, password and stored hash) for a
//! while; a changed htpasswd file is re-read and changes the key.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use argon2::{Argon2, PasswordHash, PasswordVerifier};
use base64::Engine;
use parking_lot::Mutex;
use sha2::{Digest, Sha256};

/// How long a verified password is trusted without re-hashing.
const CACHE_TTL: Duration = Duration::from_secs(300);
/// How often the htpasswd file's mtime is looked at.
const RELOAD_CHECK: Duration = Duration::from_secs(2);

pub enum Authenticator {
    /// Anyone may connect; the Basic user name (if any) is trusted as given.
    Open,
    Htpasswd(Htpasswd),
}

pub struct Htpasswd {
    path: PathBuf,
    entries: Mutex<Entries>,
    verified: Mutex<HashMap<[u8; 32], Instant>>,
}

struct Entries {
    users: HashMap<String, String>,
    mtime: Option<SystemTime>,
    checked: Instant,
}

/// User name and password from an `Authorization: Basic` header.
pub fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, data) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

impl Htpasswd {
    pub fn load(path: PathBuf) -> std::io::Result<Htpasswd> {
        let (users, mtime) = read_file(&path)?;
        Ok(Htpasswd {
            path,
            entries: Mutex::new(Entries {
                users,
                mtime,
                checked: Instant::now(),
            }),
            verified: Mutex::new(HashMap::new()),
        })
    }

    /// The stored hash for a user, re-reading the file when it changed.
    fn hash_of(&self, user: &str) -> Option<String> {
        let mut e = self.entries.lock();
        if e.checked.elapsed() > RELOAD_CHECK {
            e.checked = Instant::now();
            let mtime = std::fs::metadata(&self.path)
                .and_then(|m| m.modified())
                .ok();
            if mtime != e.mtime {
                match read_file(&self.path) {
                    Ok((users, mtime)) => {
                        tracing::info!("reloaded {}", self.path.display());
                        e.users = users;
                        e.mtime = mtime;
                    }
                    Err(err) => tracing::warn!("cannot reload {}: {err}", self.path.display()),
                }
            }
        }
        e.users.get(user).cloned()
    }

    /// Checks a password; blocking (bcrypt/argon2), so call it off the async threads.
    pub fn verify(&self, user: &str, password: &str) -> bool {
        let Some(hash) = self.hash_of(user) else {
            return false;
        };
        let key: [u8; 32] = Sha256::new()
            .chain_update(user.as_bytes())
            .chain_update([0])
            .chain_update(password.as_bytes())
            .chain_update([0])
            .chain_update(hash.as_bytes())
            .finalize()
            .into();
        if let Some(at) = self.verified.lock().get(&key) {
            if at.elapsed() < CACHE_TTL {
                return true;
            }
        }
        let ok = check_hash(&hash, password);
        if ok {
            let mut cache = self.verified.lock();
            cache.retain(|_, at| at.elapsed() < CACHE_TTL);
            cache.insert(key, Instant::now());
        }
        ok
    }
}

fn read_file(path: &PathBuf) -> std::io::Result<(HashMap<String, String>, Option<SystemTime>)> {
    let text = std::fs::read_to_string(path)?;
    let mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let users = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(u, h)| (u.trim().to_string(), h.trim().to_string()))
        .collect();
    Ok((users, mtime))
}

fn check_hash(hash: &str, password: &str) -> bool {
    if hash.starts_with("$2") {
        bcrypt::verify(password, hash).unwrap_or(false)
    } else if hash.starts_with("$argon2") {
        PasswordHash::new(hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    } else {
        tracing::warn!("unsupported password hash scheme (use bcrypt `htpasswd -B` or argon2)");
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header() {
        assert_eq!(
            parse_basic("Basic ZGVtbzpkZTpt"),
            Some(("demo".into(), "de:m".into()))
        );
        assert_eq!(parse_basic("Bearer x"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
    }

    #[test]
    fn bcrypt_and_argon2() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("htpasswd");
        let b = bcrypt::hash("pw", 4).unwrap().replacen("$2b$", "$2y$", 1);
        let salt = argon2::password_hash::SaltString::from_b64("c2FsdHNhbHQ").unwrap();
        let a = argon2::PasswordHasher::hash_password(&Argon2::default(), b"pw2", &salt)
            .unwrap()
            .to_string();
        std::fs::write(&path, format!("bob:{b}\nann:{a}\n")).unwrap();
        let h = Htpasswd::load(path).unwrap();
        assert!(h.verify("bob", "pw"));
        assert!(h.verify("bob", "pw"));
        assert!(!h.verify("bob", "wrong"));
        assert!(!h.verify("nobody", "pw"));
        assert!(!h.verify("ann", "wrong"));
        assert!(h.verify("ann", "pw2"));
    }
}
