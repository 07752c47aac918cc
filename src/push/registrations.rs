//! Push registrations, per user and collection, kept in the state directory
//! (they hold clients' auth secrets, so never in the data directory) and
//! rewritten atomically on every change, so they survive a restart. An
//! expired registration is never notified and is dropped at the next save.

use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::state_dir::StateDir;

const FILE: &str = "push-registrations.toml";
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

pub struct Registrations {
    state: StateDir,
    list: Mutex<Vec<Registration>>,
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
        let saved: Saved = match state.read(FILE)? {
            Some(bytes) => toml::from_str(&String::from_utf8_lossy(&bytes))
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{FILE}: {e}")))?,
            None => Saved::default(),
        };
        Ok(Registrations {
            state,
            list: Mutex::new(saved.registration),
        })
    }

    fn save(&self, list: &mut Vec<Registration>) -> io::Result<()> {
        let t = now();
        list.retain(|r| r.expires > t);
        let text = toml::to_string(&Saved {
            registration: list.clone(),
        })
        .map_err(io::Error::other)?;
        self.state.write(FILE, text.as_bytes())
    }

    /// Stores `reg`, replacing the user's registration of the same push
    /// resource on the same collection (which keeps its id); `None` when the
    /// user already holds too many.
    pub fn upsert(&self, mut reg: Registration) -> io::Result<Option<(Registration, Upserted)>> {
        let mut list = self.list.lock();
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
                    return Ok(None);
                }
                list.push(reg.clone());
                Upserted::Created
            }
        };
        self.save(&mut list)?;
        Ok(Some((reg, done)))
    }

    /// The user's unexpired registration `id`.
    pub fn get(&self, user: &str, id: &str) -> Option<Registration> {
        let t = now();
        self.list
            .lock()
            .iter()
            .find(|r| r.id == id && r.user == user && r.expires > t)
            .cloned()
    }

    /// Removes the registration `id`, only if `user` owns it (any user when
    /// None, for a push service that said it is gone); whether it existed.
    pub fn remove(&self, user: Option<&str>, id: &str) -> io::Result<bool> {
        let mut list = self.list.lock();
        let before = list.len();
        list.retain(|r| !(r.id == id && user.is_none_or(|u| u == r.user)));
        if list.len() == before {
            return Ok(false);
        }
        self.save(&mut list)?;
        Ok(true)
    }

    /// The ids of unexpired registrations on a collection.
    pub fn ids_for(&self, user: &str, collection: &str) -> Vec<String> {
        let t = now();
        self.list
            .lock()
            .iter()
            .filter(|r| r.user == user && r.collection == collection && r.expires > t)
            .map(|r| r.id.clone())
            .collect()
    }

    /// An unexpired registration by id, whoever owns it (for delivery).
    pub fn by_id(&self, id: &str) -> Option<Registration> {
        let t = now();
        self.list
            .lock()
            .iter()
            .find(|r| r.id == id && r.expires > t)
            .cloned()
    }
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
}
