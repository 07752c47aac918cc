//! App passwords: one secret per device and user, shown once, kept as an
//! argon2 hash in the state directory's `app-passwords.toml` (mode 0600)
//! with its label, creation and last-use time.
//!
//! The CLI and the running server both edit the file: every change is a
//! read-modify-write under `app-passwords.lock`, and the server looks at the
//! file's identity (inode, size, mtime) on each check, so a revocation made
//! by the CLI takes effect at the next request. Successful checks are
//! remembered (keyed by user, secret and stored hash) so argon2 does not run
//! per request; a revoked password has no hash, so nothing is remembered
//! for it. The last-use time is written at most once a minute per password.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};

use super::verified::{Key, Verified};
use super::{secret, AccountError};
use crate::state_dir::{Reloaded, StateDir};

const FILE: &str = "app-passwords.toml";
const LOCK: &str = "app-passwords.lock";
/// App passwords one user may hold.
pub const MAX_PER_USER: usize = 64;
/// Longest label, in characters.
const MAX_LABEL: usize = 64;
/// Largest file read.
const MAX_FILE: u64 = 4 << 20;
/// The last-use time is written no more often than this.
const TOUCH_EVERY: u64 = 60;

/// What the web page and `app-password list` show of one app password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPasswordInfo {
    pub label: String,
    pub created: SystemTime,
    pub last_used: Option<SystemTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    user: String,
    label: String,
    /// The secret's first group, in clear (see `secret`).
    hint: String,
    hash: String,
    /// Unix seconds.
    created: u64,
    last_used: Option<u64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    #[serde(default, rename = "password")]
    passwords: Vec<Record>,
}

/// The app passwords of every user, as the server and the CLI see them.
pub struct AppPasswords {
    dir: StateDir,
    loaded: Reloaded<Vec<Record>>,
    verified: Verified,
}

impl AppPasswords {
    /// Over a state directory; the file is read when first needed.
    pub fn open(dir: StateDir) -> AppPasswords {
        AppPasswords {
            dir,
            loaded: Reloaded::new(),
            verified: Verified::default(),
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join(FILE)
    }

    /// Makes a new app password for `user` and returns its secret, which is
    /// stored only as a hash: the caller shows it once. Blocking (argon2).
    pub fn create(&self, user: &str, label: &str) -> Result<String, AccountError> {
        super::check_user_name(user)?;
        check_label(label)?;
        let secret = secret::generate();
        let normal = secret::normalise(&secret).expect("generated secrets are well formed");
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let hash = Argon2::default()
            .hash_password(normal.as_bytes(), &salt)
            .map_err(|e| AccountError::Hash(e.to_string()))?
            .to_string();
        self.edit(|stored| {
            let mine = stored.passwords.iter().filter(|r| r.user == user);
            if mine.clone().any(|r| r.label == label) {
                return Err(AccountError::DuplicateLabel {
                    user: user.to_string(),
                    label: label.to_string(),
                });
            }
            if mine.count() >= MAX_PER_USER {
                return Err(AccountError::TooMany(user.to_string()));
            }
            stored.passwords.push(Record {
                user: user.to_string(),
                label: label.to_string(),
                hint: secret::hint(&normal).to_string(),
                hash,
                created: unix_now(),
                last_used: None,
            });
            Ok(true)
        })?;
        Ok(secret)
    }

    /// The user's app passwords, oldest first.
    pub fn list(&self, user: &str) -> Result<Vec<AppPasswordInfo>, AccountError> {
        let stored = self.read_file()?;
        Ok(stored
            .passwords
            .into_iter()
            .filter(|r| r.user == user)
            .map(|r| AppPasswordInfo {
                label: r.label,
                created: UNIX_EPOCH + Duration::from_secs(r.created),
                last_used: r.last_used.map(|t| UNIX_EPOCH + Duration::from_secs(t)),
            })
            .collect())
    }

    /// Removes the user's app password with this label; false if none.
    pub fn revoke(&self, user: &str, label: &str) -> Result<bool, AccountError> {
        let mut found = false;
        self.edit(|stored| {
            let before = stored.passwords.len();
            stored
                .passwords
                .retain(|r| !(r.user == user && r.label == label));
            found = stored.passwords.len() != before;
            Ok(found)
        })?;
        Ok(found)
    }

    /// Removes every app password of `user` (the user is removed); how many.
    pub fn remove_user(&self, user: &str) -> Result<usize, AccountError> {
        let mut gone = 0;
        self.edit(|stored| {
            let before = stored.passwords.len();
            stored.passwords.retain(|r| r.user != user);
            gone = before - stored.passwords.len();
            Ok(gone > 0)
        })?;
        Ok(gone)
    }

    /// The label of the user's app password this secret was verified for
    /// recently: cheap, no hashing.
    pub fn remembered(&self, user: &str, typed: &str) -> Option<String> {
        let normal = secret::normalise(typed)?;
        self.candidates(user, &normal).into_iter().find_map(|r| {
            let key = Key::new(user, &normal, &r.hash);
            self.verified.recalls(&key).then_some(r.label)
        })
    }

    /// The label of the user's app password this secret matches, checked by
    /// hashing: blocking, call it off the async threads. Another user's
    /// app passwords are never looked at.
    pub fn verify(&self, user: &str, typed: &str) -> Option<String> {
        let normal = secret::normalise(typed)?;
        let hit = self.candidates(user, &normal).into_iter().find(|r| {
            PasswordHash::new(&r.hash).is_ok_and(|h| {
                Argon2::default()
                    .verify_password(normal.as_bytes(), &h)
                    .is_ok()
            })
        })?;
        self.verified.remember(Key::new(user, &normal, &hit.hash));
        Some(hit.label)
    }

    /// Whether the last-use time of this password is older than a minute
    /// (so `touch` would write): cheap.
    pub fn touch_due(&self, user: &str, label: &str) -> bool {
        self.current()
            .iter()
            .any(|r| r.user == user && r.label == label && stale(r.last_used))
    }

    /// Records a use now, unless one was recorded within the last minute.
    /// Blocking (a locked file write).
    pub fn touch(&self, user: &str, label: &str) -> Result<(), AccountError> {
        self.edit(|stored| {
            let Some(r) = stored
                .passwords
                .iter_mut()
                .find(|r| r.user == user && r.label == label && stale(r.last_used))
            else {
                return Ok(false);
            };
            r.last_used = Some(unix_now());
            Ok(true)
        })
    }

    /// The user's records whose hint matches, from the file as it is now.
    fn candidates(&self, user: &str, normal: &str) -> Vec<Record> {
        let hint = secret::hint(normal);
        self.current()
            .into_iter()
            .filter(|r| r.user == user && r.hint == hint)
            .collect()
    }

    /// The records, re-read when the file changed. An unreadable file counts
    /// as empty: a broken file must not keep revoked secrets working.
    fn current(&self) -> Vec<Record> {
        let path = self.path();
        self.loaded.get(&path, || match self.read_file() {
            Ok(s) => s.passwords,
            Err(e) => {
                tracing::warn!("app passwords unusable: {e}");
                Vec::new()
            }
        })
    }

    fn read_file(&self) -> Result<Stored, AccountError> {
        let path = self.path();
        match std::fs::metadata(&path) {
            Ok(m) if m.len() > MAX_FILE => {
                return Err(AccountError::Corrupt {
                    path,
                    message: format!("larger than {MAX_FILE} bytes"),
                })
            }
            _ => {}
        }
        let Some(bytes) = self.dir.read(FILE).map_err(AccountError::io(&path))? else {
            return Ok(Stored::default());
        };
        let text = String::from_utf8(bytes).map_err(|_| AccountError::Corrupt {
            path: path.clone(),
            message: "not UTF-8".into(),
        })?;
        toml::from_str(&text).map_err(|e| AccountError::Corrupt {
            path,
            message: e.to_string(),
        })
    }

    /// One locked read-modify-write; `change` returns whether to write.
    fn edit(
        &self,
        change: impl FnOnce(&mut Stored) -> Result<bool, AccountError>,
    ) -> Result<(), AccountError> {
        let _lock = super::lock::lock(&self.dir.path().join(LOCK))?;
        let mut stored = self.read_file()?;
        if change(&mut stored)? {
            let text = toml::to_string(&stored).map_err(|e| AccountError::Corrupt {
                path: self.path(),
                message: e.to_string(),
            })?;
            self.dir
                .write(FILE, text.as_bytes())
                .map_err(AccountError::io(&self.path()))?;
        }
        Ok(())
    }
}

fn check_label(label: &str) -> Result<(), AccountError> {
    if label.trim().is_empty() {
        return Err(AccountError::BadLabel("it is empty"));
    }
    if label.chars().count() > MAX_LABEL {
        return Err(AccountError::BadLabel("longer than 64 characters"));
    }
    if label.chars().any(char::is_control) {
        return Err(AccountError::BadLabel("it holds control characters"));
    }
    Ok(())
}

fn stale(last_used: Option<u64>) -> bool {
    last_used.is_none_or(|t| unix_now().saturating_sub(t) >= TOUCH_EVERY)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &std::path::Path) -> AppPasswords {
        AppPasswords::open(StateDir::open(dir).unwrap())
    }

    #[test]
    fn create_verify_list_revoke() {
        let tmp = tempfile::tempdir().unwrap();
        let server = open(tmp.path());
        let cli = open(tmp.path());
        let secret = cli.create("demo", "phone").unwrap();
        assert!(matches!(
            cli.create("demo", "phone"),
            Err(AccountError::DuplicateLabel { .. })
        ));
        assert!(cli.create("demo", "").is_err());
        assert_eq!(server.remembered("demo", &secret), None);
        assert_eq!(server.verify("demo", &secret).as_deref(), Some("phone"));
        assert_eq!(server.remembered("demo", &secret).as_deref(), Some("phone"));
        let upper = secret.to_uppercase().replace('-', " ");
        assert_eq!(server.verify("demo", &upper).as_deref(), Some("phone"));
        assert_eq!(server.verify("alice", &secret), None, "another user's");
        assert_eq!(server.verify("demo", "demo"), None);
        let list = server.list("demo").unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!((list[0].label.as_str(), list[0].last_used), ("phone", None));
        assert!(server.touch_due("demo", "phone"));
        server.touch("demo", "phone").unwrap();
        assert!(!server.touch_due("demo", "phone"));
        assert!(server.list("demo").unwrap()[0].last_used.is_some());
        assert!(server.list("alice").unwrap().is_empty());
        assert!(cli.revoke("demo", "phone").unwrap());
        assert!(!cli.revoke("demo", "phone").unwrap());
        cli.create("demo", "tablet").unwrap();
        cli.create("alice", "tablet").unwrap();
        assert_eq!(cli.remove_user("demo").unwrap(), 1);
        assert!(server.list("demo").unwrap().is_empty());
        assert_eq!(server.list("alice").unwrap().len(), 1);
        assert_eq!(server.remembered("demo", &secret), None, "revoked at once");
        assert_eq!(server.verify("demo", &secret), None);
        let text = std::fs::read_to_string(tmp.path().join(FILE)).unwrap();
        assert!(!text.contains(&secret.replace('-', "")[5..]));
    }
}
