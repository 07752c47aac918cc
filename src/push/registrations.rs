//! Push registrations, per user and collection, kept in the state directory
//! (they hold clients' auth secrets, so never in the data directory) and
//! rewritten atomically on every change, so they survive a restart. An
//! expired registration is never notified and is dropped at the next save.
//!
//! `davdir user remove` edits the file while the server runs: every change
//! is a read-modify-write under `push-registrations.lock`, and every look-up
//! re-reads the file when its identity (inode, size, mtime) changed, so the
//! server neither keeps notifying a removed user's registrations nor writes
//! them back.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, MutexGuard};
use serde::{Deserialize, Serialize};

use crate::state_dir::StateDir;

const FILE: &str = "push-registrations.toml";
const LOCK: &str = "push-registrations.lock";
/// Registrations one user may hold: a few devices times a few collections.
pub const MAX_PER_USER: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// Random, the last segment of the registration URL.
    pub id: String,
    pub user: String,
    pub collection: String,
    pub push_resource: String,
    /// The subscription's P-256 public key and auth secret, base64url.
    pub public_key: String,
    pub auth_secret: String,
    /// Seconds since the epoch.
    pub expires: u64,
}

#[derive(Default, Serialize, Deserialize)]
struct Saved {
    #[serde(default)]
    registration: Vec<Registration>,
}

/// The file's identity: every atomic replacement changes the inode.
type Stamp = Option<(u64, u64, i64, i64)>;

fn stamp(state: &StateDir) -> Stamp {
    let m = std::fs::metadata(state.path().join(FILE)).ok()?;
    Some((m.ino(), m.len(), m.mtime(), m.mtime_nsec()))
}

/// The registrations as last read or written, and the file's stamp then.
struct Loaded {
    stamp: Stamp,
    list: Vec<Registration>,
}

pub struct Registrations {
    state: StateDir,
    loaded: Mutex<Loaded>,
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What `upsert` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
}

impl Registrations {
    pub fn load(state: StateDir) -> io::Result<Registrations> {
        let stamp = stamp(&state);
        let list = read(&state)?;
        Ok(Registrations {
            state,
            loaded: Mutex::new(Loaded { stamp, list }),
        })
    }

    /// The list as the file holds it now: re-read when another process
    /// replaced it. A file that cannot be read keeps the last list.
    fn current(&self) -> MutexGuard<'_, Loaded> {
        let mut loaded = self.loaded.lock();
        let stamp = stamp(&self.state);
        if stamp != loaded.stamp {
            match read(&self.state) {
                Ok(list) => *loaded = Loaded { stamp, list },
                Err(e) => tracing::warn!("cannot re-read push registrations: {e}"),
            }
        }
        loaded
    }

    /// One change under the lock file, from the file as it is now; `change`
    /// says whether to write (dropping expired registrations).
    fn edit<T>(&self, change: impl FnOnce(&mut Vec<Registration>) -> (bool, T)) -> io::Result<T> {
        let _lock =
            crate::accounts::lock::lock(&self.state.path().join(LOCK)).map_err(io::Error::other)?;
        let mut loaded = self.current();
        let (write, out) = change(&mut loaded.list);
        if write {
            let t = now();
            loaded.list.retain(|r| r.expires > t);
            let text = toml::to_string(&Saved {
                registration: loaded.list.clone(),
            })
            .map_err(io::Error::other)?;
            self.state.write(FILE, text.as_bytes())?;
            loaded.stamp = stamp(&self.state);
        }
        Ok(out)
    }

    /// Stores `reg`, replacing the user's registration of the same push
    /// resource on the same collection (which keeps its id); `None` when the
    /// user already holds too many.
    pub fn upsert(&self, mut reg: Registration) -> io::Result<Option<(Registration, Upserted)>> {
        self.edit(|list| {
            let t = now();
            let existing = list.iter().position(|r| {
                r.user == reg.user
                    && r.collection == reg.collection
                    && r.push_resource == reg.push_resource
            });
            let done = match existing {
                Some(i) => {
                    reg.id = list[i].id.clone();
                    list[i] = reg.clone();
                    Upserted::Updated
                }
                None => {
                    let held = list
                        .iter()
                        .filter(|r| r.user == reg.user && r.expires > t)
                        .count();
                    if held >= MAX_PER_USER {
                        return (false, None);
                    }
                    list.push(reg.clone());
                    Upserted::Created
                }
            };
            (true, Some((reg, done)))
        })
    }

    /// The user's unexpired registration `id`.
    pub fn get(&self, user: &str, id: &str) -> Option<Registration> {
        let t = now();
        self.current()
            .list
            .iter()
            .find(|r| r.id == id && r.user == user && r.expires > t)
            .cloned()
    }

    /// Removes the registration `id`, only if `user` owns it (any user when
    /// None, for a push service that said it is gone); whether it existed.
    pub fn remove(&self, user: Option<&str>, id: &str) -> io::Result<bool> {
        self.edit(|list| {
            let before = list.len();
            list.retain(|r| !(r.id == id && user.is_none_or(|u| u == r.user)));
            let found = list.len() != before;
            (found, found)
        })
    }

    /// Removes every registration of `user` (the user is removed); how many.
    pub fn remove_user(&self, user: &str) -> io::Result<usize> {
        self.edit(|list| {
            let before = list.len();
            list.retain(|r| r.user != user);
            let gone = before - list.len();
            (gone > 0, gone)
        })
    }

    /// The ids of unexpired registrations on a collection.
    pub fn ids_for(&self, user: &str, collection: &str) -> Vec<String> {
        let t = now();
        self.current()
            .list
            .iter()
            .filter(|r| r.user == user && r.collection == collection && r.expires > t)
            .map(|r| r.id.clone())
            .collect()
    }

    /// An unexpired registration by id, whoever owns it (for delivery).
    pub fn by_id(&self, id: &str) -> Option<Registration> {
        let t = now();
        self.current()
            .list
            .iter()
            .find(|r| r.id == id && r.expires > t)
            .cloned()
    }
}

/// The registrations the file holds (none when it does not exist).
fn read(state: &StateDir) -> io::Result<Vec<Registration>> {
    let saved: Saved = match state.read(FILE)? {
        Some(bytes) => toml::from_str(&String::from_utf8_lossy(&bytes))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{FILE}: {e}")))?,
        None => Saved::default(),
    };
    Ok(saved.registration)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(user: &str, res: &str, expires: u64) -> Registration {
        Registration {
            id: format!("{:032x}", rand::random::<u128>()),
            user: user.into(),
            collection: "work".into(),
            push_resource: res.into(),
            public_key: "k".into(),
            auth_secret: "a".into(),
            expires,
        }
    }

    #[test]
    fn upsert_keeps_id_survives_reload_and_expires() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        let regs = Registrations::load(state.clone()).unwrap();
        let (first, how) = regs
            .upsert(reg("demo", "https://p/1", now() + 60))
            .unwrap()
            .unwrap();
        assert_eq!(how, Upserted::Created);
        let (again, how) = regs
            .upsert(reg("demo", "https://p/1", now() + 120))
            .unwrap()
            .unwrap();
        assert_eq!((how, &again.id), (Upserted::Updated, &first.id));
        regs.upsert(reg("demo", "https://p/old", now() - 1))
            .unwrap();
        let reloaded = Registrations::load(state).unwrap();
        assert_eq!(reloaded.ids_for("demo", "work"), vec![first.id.clone()]);
        assert!(reloaded.get("alice", &first.id).is_none());
        assert!(!reloaded.remove(Some("alice"), &first.id).unwrap());
        assert!(reloaded.remove(Some("demo"), &first.id).unwrap());
        assert!(reloaded.ids_for("demo", "work").is_empty());
    }

    /// Another process's edit (the CLI's removal of a user) is seen at the
    /// next look-up and never written back.
    #[test]
    fn another_processs_removal_holds() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        let server = Registrations::load(state.clone()).unwrap();
        let (carol, _) = server
            .upsert(reg("carol", "https://p/c", now() + 60))
            .unwrap()
            .unwrap();
        let cli = Registrations::load(state.clone()).unwrap();
        assert_eq!(cli.remove_user("carol").unwrap(), 1);
        assert_eq!(cli.remove_user("carol").unwrap(), 0);
        assert!(server.by_id(&carol.id).is_none());
        server
            .upsert(reg("demo", "https://p/d", now() + 60))
            .unwrap()
            .unwrap();
        let text = String::from_utf8(state.read(FILE).unwrap().unwrap()).unwrap();
        assert!(!text.contains("carol") && text.contains("demo"), "{text}");
    }
}
