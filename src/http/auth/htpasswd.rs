//! The htpasswd file (bcrypt or argon2 hashes) and password checks against it.
//!
//! bcrypt costs tens of milliseconds by design, so a successful check is
//! remembered (keyed by a SHA-256 of user, password and stored hash) for a
//! while; a changed htpasswd file is re-read and changes the key. The file's
//! identity (inode, size, mtime) is looked at on every check, so a user added
//! or removed by `davdir user` counts at the next request. A user
//! that is not in the file costs as much as a wrong password: the password is
//! checked against the strongest real entry and the result thrown away, so
//! timing does not tell which user names exist. Where two lines name one
//! user, the first counts, as for `davdir user passwd` (`users::entry`).

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use argon2::{Argon2, PasswordHash, PasswordVerifier};
use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use crate::accounts::users;
use crate::accounts::verified::{Key, Verified};

/// The file's identity: an atomic replacement changes the inode, an edit in
/// place the size or mtime.
type Stamp = Option<(u64, u64, i64, i64)>;

fn stamp(path: &Path) -> Stamp {
    let m = std::fs::metadata(path).ok()?;
    Some((m.ino(), m.len(), m.mtime(), m.mtime_nsec()))
}

/// What `Htpasswd::recall` knows of a login without hashing.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recalled {
    /// The file names the user.
    pub known: bool,
    /// The password was verified for this user, against the hash the file
    /// holds now, within the cache's lifetime.
    pub verified: bool,
}

pub struct Htpasswd {
    path: PathBuf,
    entries: Mutex<Entries>,
    verified: Verified,
}

struct Entries {
    users: HashMap<String, String>,
    /// The hash unknown users are checked against (see the module comment).
    strongest: Option<String>,
    stamp: Stamp,
}

impl Entries {
    fn new(users: HashMap<String, String>, stamp: Stamp) -> Entries {
        let strongest = users
            .values()
            .filter_map(|h| work(h).map(|w| (w, h)))
            .max_by_key(|(w, _)| *w)
            .map(|(_, h)| h.clone());
        Entries {
            users,
            strongest,
            stamp,
        }
    }
}

impl Htpasswd {
    pub fn load(path: PathBuf) -> std::io::Result<Htpasswd> {
        let (users, stamp) = read_file(&path)?;
        Ok(Htpasswd {
            path,
            entries: Mutex::new(Entries::new(users, stamp)),
            verified: Verified::default(),
        })
    }

    /// The entries as the file holds them now: re-read when its stamp
    /// changed (one `stat` per call).
    fn current(&self) -> parking_lot::MutexGuard<'_, Entries> {
        let mut e = self.entries.lock();
        if stamp(&self.path) != e.stamp {
            match read_file(&self.path) {
                Ok((users, stamp)) => {
                    tracing::info!("reloaded {}", self.path.display());
                    *e = Entries::new(users, stamp);
                }
                Err(err) => tracing::warn!("cannot reload {}: {err}", self.path.display()),
            }
        }
        e
    }

    /// The stored hash for a user (or, for an unknown user, the strongest
    /// entry's hash and false), re-reading the file when it changed.
    fn hash_of(&self, user: &str) -> Option<(String, bool)> {
        let e = self.current();
        match e.users.get(user) {
            Some(h) => Some((h.clone(), true)),
            None => e.strongest.clone().map(|h| (h, false)),
        }
    }

    /// The fingerprint of the user's entry as the file holds it now; None
    /// when the file does not name the user. A web session keeps the one it
    /// logged in under and dies when it changes (reset or removal).
    pub fn fingerprint(&self, user: &str) -> Option<Fingerprint> {
        self.current().users.get(user).map(|h| fingerprint_of(h))
    }

    /// The file this was loaded from (the one `davdir user` edits).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file names this user now (app passwords of a removed
    /// user stop working with it), and whether this password was verified
    /// for them recently. Cheap, no hashing, and one look at the file for
    /// both answers: this runs on every request.
    pub fn recall(&self, user: &str, password: &str) -> Recalled {
        // The key is made under the entries lock, from the stored hash in
        // place, rather than from a copy of it.
        let key = match self.current().users.get(user) {
            Some(hash) => Key::new(user, password, hash),
            None => return Recalled::default(),
        };
        Recalled {
            known: true,
            verified: self.verified.recalls(&key),
        }
    }

    /// Checks a password by hashing; blocking (bcrypt/argon2), so call it off
    /// the async threads. Unknown users cost one hash too.
    pub fn verify(&self, user: &str, password: &str) -> bool {
        let Some((hash, known)) = self.hash_of(user) else {
            return false;
        };
        let ok = check_hash(&hash, password) && known;
        if ok {
            self.verified.remember(Key::new(user, password, &hash));
        }
        ok
    }
}

/// What a web session remembers of the account entry it logged in under: a
/// digest of the stored hash, which every password change (salted anew)
/// and every re-creation of the user changes.
pub type Fingerprint = [u8; 32];

/// The fingerprint of a stored hash.
pub fn fingerprint_of(hash: &str) -> Fingerprint {
    Sha256::digest(hash.as_bytes()).into()
}

fn read_file(path: &Path) -> std::io::Result<(HashMap<String, String>, Stamp)> {
    // The stamp first: a change racing the read is seen at the next check.
    let stamp = stamp(path);
    let text = std::fs::read_to_string(path)?;
    for d in users::duplicates(&text) {
        tracing::warn!("{}:{d}", path.display());
    }
    let mut entries = HashMap::new();
    for (user, hash) in text.lines().filter_map(users::entry) {
        entries
            .entry(user.to_string())
            .or_insert_with(|| hash.to_string());
    }
    Ok((entries, stamp))
}

/// A rough, comparable measure of what checking against a hash costs, in
/// KiB-passes: argon2 memory × iterations; bcrypt 2^cost × 64, which puts
/// bcrypt cost 12 near argon2 with 64 MiB and 3 passes, as they measure.
fn work(hash: &str) -> Option<u64> {
    if hash.starts_with("$2") {
        let cost: u32 = hash.split('$').nth(2)?.parse().ok()?;
        Some(2u64.checked_pow(cost)?.saturating_mul(64))
    } else if hash.starts_with("$argon2") {
        let parsed = PasswordHash::new(hash).ok()?;
        let params = argon2::Params::try_from(&parsed).ok()?;
        Some(u64::from(params.m_cost()) * u64::from(params.t_cost()))
    } else {
        None
    }
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
        let remembered = |u: &str, p: &str| h.recall(u, p).verified;
        assert!(!remembered("bob", "pw"));
        assert!(h.verify("bob", "pw"));
        assert!(remembered("bob", "pw"));
        assert!(!remembered("bob", "wrong"));
        assert!(!h.verify("bob", "wrong"));
        assert!(!h.verify("nobody", "pw"));
        assert!(!h.verify("ann", "wrong"));
        assert!(h.verify("ann", "pw2"));
        // An unknown user with the strongest entry's password is still refused.
        assert!(!h.verify("nobody", "pw2"));
        assert!(!remembered("nobody", "pw2"));
    }

    /// A remembered password counts only while the file holds the hash it
    /// was checked against: a new password for the user, or the user's
    /// removal, is seen at the next request.
    #[test]
    fn a_changed_file_forgets_what_was_verified() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("htpasswd");
        let hash = |pw: &str| bcrypt::hash(pw, 4).unwrap();
        std::fs::write(&path, format!("bob:{}\nann:{}\n", hash("pw"), hash("a"))).unwrap();
        let h = Htpasswd::load(path.clone()).unwrap();
        assert_eq!(
            h.recall("bob", "pw"),
            Recalled {
                known: true,
                verified: false
            }
        );
        assert!(h.verify("bob", "pw"));
        assert_eq!(
            h.recall("bob", "pw"),
            Recalled {
                known: true,
                verified: true
            }
        );
        assert_eq!(h.recall("carl", "pw"), Recalled::default());
        // Replaced by rename, as `davdir user` does: a new inode.
        let tmp = dir.path().join("htpasswd.new");
        std::fs::write(&tmp, format!("bob:{}\nann:{}\n", hash("new"), hash("a"))).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        assert_eq!(
            h.recall("bob", "pw"),
            Recalled {
                known: true,
                verified: false
            }
        );
        assert!(h.verify("bob", "new"));
        std::fs::write(&tmp, format!("ann:{}\n", hash("a"))).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        assert_eq!(h.recall("bob", "new"), Recalled::default());
    }

    #[test]
    fn strongest_entry_is_the_dummy() {
        let b10 = "$2y$10$abcdefghijklmnopqrstuu5Yg6Cf5m6iyoNQDkAc/6fAXjHG3oPJW";
        let b5 = "$2y$05$abcdefghijklmnopqrstuu5Yg6Cf5m6iyoNQDkAc/6fAXjHG3oPJW";
        let a = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert_eq!(work(b10), Some(1024 * 64));
        assert_eq!(work(a), Some(19456 * 2));
        assert_eq!(work("plain"), None);
        let users = [("x", b5), ("y", b10), ("z", a), ("w", "plain")]
            .into_iter()
            .map(|(u, h)| (u.to_string(), h.to_string()))
            .collect();
        assert_eq!(Entries::new(users, None).strongest.as_deref(), Some(b10));
    }
}
