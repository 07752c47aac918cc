//! The per-user trash (docs/DESIGN.md): a deleted collection is moved to
//! `<home>/.trash/<name>.<UTC timestamp>/`, hidden, so it is never served,
//! watched or scanned, and kept until purged. Its saved index and change log
//! are parked in the cache beside it, so a restore brings back the same
//! sync-token history: a token a client held before the delete still works.
//! A trash directory moved back by hand has no parked log and starts anew.
//!
//! Locking: trashing holds the registry lock, then the collection's lock,
//! until its index is saved, its directory renamed and its files parked:
//! no write lands in between, and no request racing the delete loads a
//! new cell (with a fresh log) for the name meanwhile. Trashing, restoring
//! and purging also hold a flock on the user's `.trash` directory, which
//! the CLI takes too: of a restore and a purge of one entry, in one process
//! or two, one wins whole and the other finds the entry gone.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};

use super::{durable, names, snapshot, CollectionKind, Result, Store, StoreError};

/// The trash directory's name in a home; hidden like every dot name.
pub const TRASH_DIR: &str = ".trash";
/// The form of the timestamp that ends a trash entry's name.
const STAMP: &str = "%Y%m%dT%H%M%SZ";
/// Cache subdirectory (per user) where trashed collections' logs wait.
const PARKED: &str = "trash";

/// One collection in a user's trash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrashEntry {
    /// The directory name under `.trash`: what `restore` and `purge` take.
    pub id: String,
    /// The collection's name before it was deleted.
    pub name: String,
    pub kind: CollectionKind,
    pub deleted_at: DateTime<Utc>,
    /// Object files (`.ics` or `.vcf`) it holds.
    pub objects: usize,
}

/// Splits an entry id into the collection name and its deletion time;
/// None for a name that is not `<name>.<timestamp>[-n]`.
fn parse_id(id: &str) -> Option<(String, DateTime<Utc>)> {
    let (name, stamp) = id.rsplit_once('.')?;
    let stamp = stamp.split('-').next()?;
    let at = NaiveDateTime::parse_from_str(stamp, STAMP).ok()?;
    (!name.is_empty()).then(|| (name.to_string(), at.and_utc()))
}

impl Store {
    fn trash_dir(&self, user: &str) -> Result<PathBuf> {
        Ok(self.home_dir(user)?.join(TRASH_DIR))
    }

    /// An exclusive flock on the user's trash directory, released when
    /// dropped; NotFound when the user has no trash at all.
    fn lock_trash(&self, user: &str) -> Result<fs::File> {
        let file = fs::File::open(self.trash_dir(user)?)?;
        file.lock()?;
        Ok(file)
    }

    /// Where a trash entry's index or log waits in the cache (by a hash of
    /// the id, so any id has a name of fixed length).
    fn parked_path(&self, user: &str, id: &str, kind: &str) -> Option<PathBuf> {
        use sha2::Digest;
        let hash = hex::encode(&sha2::Sha256::digest(id.as_bytes())[..16]);
        self.cache
            .as_ref()
            .map(|c| c.join(user).join(PARKED).join(format!("{hash}.{kind}")))
    }

    /// Moves a collection into its user's trash, with its index and change
    /// log, and returns the trash entry's id.
    pub fn trash(&self, user: &str, name: &str) -> Result<String> {
        self.refuse_derived(name)?;
        self.refuse_view(user, name)?;
        let dir = self.collection_dir(user, name)?;
        let trash = self.trash_dir(user)?;
        if fs::symlink_metadata(&trash).is_err() {
            durable::create_dir(&trash)?;
        }
        let _trash_lock = self.lock_trash(user)?;
        let stamp = Utc::now().format(STAMP).to_string();
        let mut id = format!("{name}.{stamp}");
        let mut n = 1;
        while fs::symlink_metadata(trash.join(&id)).is_ok() {
            n += 1;
            id = format!("{name}.{stamp}-{n}");
        }
        // Held until the directory and its log are parked: no request may
        // load a new cell for the name meanwhile (`Store::cell`), whose fresh
        // log would be parked in place of this one.
        let mut cells = self.cells.lock();
        let cell = cells.remove(&(user.to_string(), name.to_string()));
        let mut state = cell.as_ref().map(|c| c.state.lock());
        if let (Some(state), Some(path)) = (state.as_ref(), self.cache_path(user, name, "index")) {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            if let Err(e) = snapshot::write(&path, &state.index).and_then(|t| t.commit()) {
                tracing::warn!("cannot save index of trashed {user}/{name}: {e}");
            }
        }
        durable::rename(&dir, &trash.join(&id))?;
        for kind in ["index", "log"] {
            let (Some(from), Some(to)) = (
                self.cache_path(user, name, kind),
                self.parked_path(user, &id, kind),
            ) else {
                continue;
            };
            if from.exists() {
                let moved = to
                    .parent()
                    .map_or(Ok(()), fs::create_dir_all)
                    .and_then(|()| fs::rename(&from, &to));
                if let Err(e) = moved {
                    tracing::warn!("cannot park {}: {e}", from.display());
                }
            }
        }
        if let Some(state) = state.as_mut() {
            // Its log file is parked, not discarded: the cell only goes.
            state.stale = true;
            state.log = super::changelog::ChangeLog::in_memory();
        }
        drop(state);
        drop(cells);
        tracing::info!("moved {user}/{name} to the trash as {id}");
        Ok(id)
    }

    /// The collections in a user's trash, oldest first.
    pub fn list_trash(&self, user: &str) -> Result<Vec<TrashEntry>> {
        let trash = self.trash_dir(user)?;
        let mut out = Vec::new();
        let entries = match fs::read_dir(&trash) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e.into()),
        };
        for entry in entries.flatten() {
            let Some(id) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let Some((name, deleted_at)) = parse_id(&id) else {
                continue;
            };
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            let kind = CollectionKind::of_dir(&path)?;
            let objects = fs::read_dir(&path)?
                .flatten()
                .filter(|e| {
                    e.file_name()
                        .to_str()
                        .is_some_and(|n| kind.is_object_name(n))
                })
                .count();
            out.push(TrashEntry {
                id,
                name,
                kind,
                deleted_at,
                objects,
            });
        }
        out.sort_by(|a, b| (a.deleted_at, &a.id).cmp(&(b.deleted_at, &b.id)));
        Ok(out)
    }

    /// Brings a trash entry back under its old name (or `as_name`), with its
    /// sync-token history when the log was parked. Refuses (AlreadyExists)
    /// to replace an existing collection. Returns the name restored.
    pub fn restore(&self, user: &str, id: &str, as_name: Option<&str>) -> Result<String> {
        names::check_segment(id)?;
        let (old_name, _) = parse_id(id).ok_or(StoreError::NotFound)?;
        let name = as_name.unwrap_or(&old_name).to_string();
        names::check_segment(&name)?;
        self.refuse_derived(&name)?;
        let _trash_lock = self.lock_trash(user)?;
        let src = self.trash_dir(user)?.join(id);
        if !src.is_dir() {
            return Err(StoreError::NotFound);
        }
        let home = self.home_dir(user)?;
        let dst = home.join(&name);
        if fs::symlink_metadata(&dst).is_ok() {
            return Err(StoreError::AlreadyExists);
        }
        // Whatever the registry or cache holds for the name goes first, so
        // the parked index and log are what the restored collection loads.
        self.forget(user, &name);
        for kind in ["index", "log"] {
            if let (Some(from), Some(to)) = (
                self.parked_path(user, id, kind),
                self.cache_path(user, &name, kind),
            ) {
                if from.exists() {
                    if let Err(e) = fs::rename(&from, &to) {
                        tracing::warn!("cannot unpark {}: {e}", from.display());
                    }
                }
            }
        }
        rename_no_replace(&src, &dst)?;
        durable::sync_dir(&home)?;
        tracing::info!("restored {user}/{name} from the trash ({id})");
        Ok(name)
    }

    /// Deletes a trash entry for good, with its parked log.
    pub fn purge(&self, user: &str, id: &str) -> Result<()> {
        names::check_segment(id)?;
        let trash = self.trash_dir(user)?;
        let path = trash.join(id);
        let _trash_lock = self.lock_trash(user)?;
        if parse_id(id).is_none() || fs::symlink_metadata(&path).is_err() {
            return Err(StoreError::NotFound);
        }
        if fs::symlink_metadata(&path)?.file_type().is_symlink() {
            fs::remove_file(&path)?;
        } else {
            fs::remove_dir_all(&path)?;
        }
        durable::sync_dir(&trash)?;
        for kind in ["index", "log"] {
            if let Some(p) = self.parked_path(user, id, kind) {
                let _ = fs::remove_file(p);
            }
        }
        Ok(())
    }

    /// Purges every user's entries deleted more than `days` days before
    /// `now`; returns the (user, id) pairs purged.
    pub fn purge_expired(&self, now: DateTime<Utc>, days: u32) -> Vec<(String, String)> {
        let limit = now - chrono::Duration::days(i64::from(days));
        let mut out = Vec::new();
        for user in self.user_names().unwrap_or_default() {
            for entry in self.list_trash(&user).unwrap_or_default() {
                if entry.deleted_at >= limit {
                    continue;
                }
                match self.purge(&user, &entry.id) {
                    Ok(()) => out.push((user.clone(), entry.id)),
                    Err(e) => tracing::warn!("cannot purge {user}/{}: {e}", entry.id),
                }
            }
        }
        out
    }
}

/// Renames a directory without ever replacing what is at `to` (an empty
/// directory made meanwhile included: plain rename would replace it).
fn rename_no_replace(from: &Path, to: &Path) -> Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (a, b) = (c(from)?, c(to)?);
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    Err(match e.kind() {
        std::io::ErrorKind::AlreadyExists => StoreError::AlreadyExists,
        _ => e.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(uid: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    }

    fn put(store: &std::sync::Arc<Store>, name: &str) {
        let body = event(name);
        let info = crate::ical::inspect(body.as_bytes()).unwrap();
        let cal = store.collection("u", "c").unwrap();
        cal.put(&format!("{name}.ics"), body.as_bytes(), info, |_| true)
            .unwrap();
    }

    /// The web page's path: trash and restore in one running store.
    #[test]
    fn restore_in_process_keeps_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), None).unwrap();
        store.ensure_home("u").unwrap();
        store.create_calendar("u", "c", &[]).unwrap();
        put(&store, "a");
        let token = store.collection("u", "c").unwrap().sync_token().unwrap();
        let id = store.trash("u", "c").unwrap();
        assert!(store.collection("u", "c").is_err());
        let listed = store.list_trash("u").unwrap();
        assert_eq!((listed.len(), listed[0].objects), (1, 1));
        assert_eq!(listed[0].id, id);
        store.create_calendar("u", "c", &[]).unwrap();
        assert!(matches!(
            store.restore("u", &id, None),
            Err(StoreError::AlreadyExists)
        ));
        store.trash("u", "c").unwrap();
        assert_eq!(store.restore("u", &id, None).unwrap(), "c");
        let cal = store.collection("u", "c").unwrap();
        assert!(cal.changes_since(&token, None).unwrap().changes.is_empty());
        put(&store, "b");
        let changes = cal.changes_since(&token, None).unwrap().changes;
        assert_eq!(changes.len(), 1, "{changes:?}");
        // The other trashed "c" expires; the restored one is untouched.
        let later = Utc::now() + chrono::Duration::days(31);
        assert_eq!(store.purge_expired(later, 30).len(), 1);
        assert!(store.list_trash("u").unwrap().is_empty());
        assert!(store.collection("u", "c").is_ok());
    }

    /// A request that found the directory just before a DELETE parked it
    /// loads no cell after: its fresh log would replace the parked history
    /// (a flaky CI run, where the startup scan raced a DELETE, found this).
    #[test]
    fn a_request_racing_the_trash_loads_no_cell_for_the_gone_directory() {
        let (dir, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let store = Store::open(dir.path(), Some(cache.path())).unwrap();
        store.ensure_home("u").unwrap();
        store.create_calendar("u", "c", &[]).unwrap();
        put(&store, "a");
        let token = store.collection("u", "c").unwrap().sync_token().unwrap();
        let collection_dir = store.collection_dir("u", "c").unwrap();
        let id = store.trash("u", "c").unwrap();
        // What the racing request does once past its directory check.
        assert!(matches!(
            store.cell("u", "c", &collection_dir),
            Err(StoreError::NotFound)
        ));
        assert!(!store.cache_path("u", "c", "log").unwrap().exists());
        store.restore("u", &id, None).unwrap();
        let cal = store.collection("u", "c").unwrap();
        assert!(cal.changes_since(&token, None).unwrap().changes.is_empty());
    }

    #[test]
    fn ids_parse() {
        let (name, at) = parse_id("work.20261129T233000Z").unwrap();
        assert_eq!(name, "work");
        assert_eq!(at.to_rfc3339(), "2026-11-29T23:30:00+00:00");
        assert_eq!(parse_id("a.b.20261129T233000Z-2").unwrap().0, "a.b");
        assert!(parse_id("work").is_none());
        assert!(parse_id("work.yesterday").is_none());
    }
}
