//! The collection registry: one in-memory `Cell` (index, change log, lock,
//! kind) per calendar or address book, handles on collections, the names of
//! users and collections, and the flush of changed indexes to the cache.
//!
//! Locking: `Store::cells` is held only to find or insert a cell (loading
//! its saved index and log), and by `trash` while it parks a collection;
//! it is taken before a calendar lock, never while one is held. Each
//! calendar's `State` lock serialises its writers; `locked()` rescans first
//! when no watcher vouches for the index. Durability: the cache is derived
//! state; `flush` writes an index under the calendar lock and fsyncs and
//! renames it outside, and a lost cache costs only sync tokens (`forget`
//! drops one on purpose).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use parking_lot::Mutex;

use super::changelog::ChangeLog;
use super::index::{FileStamp, Index};
use super::kind::CollectionKind;
use super::{confine, disk, names, snapshot, Result, Store, StoreError};

pub(super) struct Cell {
    pub(super) state: Mutex<State>,
    /// The property files' versions whose problems were logged, so each
    /// hand edit is logged once, not on every request that reads it.
    pub(super) props_logged: Mutex<Vec<FileStamp>>,
    /// The kind last found and the directory version (mtime, inode) it was
    /// found for: the kind depends only on which entries exist, so an
    /// unchanged directory keeps it without a listing.
    pub(super) kind: Mutex<Option<KindSeen>>,
}

/// A collection's kind as last found (see `Store::kind_of`).
pub(super) struct KindSeen {
    mtime_ns: i64,
    ino: u64,
    /// Whether the directory had not changed for a while when looked at, so
    /// its mtime can vouch for the kind.
    settled: bool,
    kind: CollectionKind,
    /// The `.ics` file that made a directory without markers a calendar.
    witness: Option<String>,
}

pub(super) struct State {
    pub(super) index: Index,
    pub(super) log: ChangeLog,
    /// The index must be brought in line with the directory before use.
    pub(super) stale: bool,
    /// The index changed since it was last saved to the cache.
    pub(super) unsaved: bool,
    /// What a derived collection was built from (`derived`); None for a directory.
    pub(super) derived: Option<Box<super::derived_state::Derived>>,
}

impl State {
    /// Notes a change of the collection itself (its properties).
    pub(super) fn bump(&mut self) {
        self.log.bump(&self.index);
    }

    /// Notes a change of one object: a new sync token, an index to save.
    pub(super) fn record(&mut self, name: &str) {
        self.record_all(&[name]);
    }

    /// Notes changes of several objects with one log append.
    pub(super) fn record_all<S: AsRef<str>>(&mut self, names: &[S]) {
        if names.is_empty() {
            return;
        }
        self.log.record(names, &mut self.index);
        self.unsaved = true;
    }
}

/// A handle on one calendar collection; cloning it is one reference count,
/// so every member of a large listing can carry it.
#[derive(Clone)]
pub struct Collection(pub(super) Arc<CollectionRef>);

pub struct CollectionRef {
    pub user: String,
    pub name: String,
    pub(super) kind: CollectionKind,
    pub(super) dir: PathBuf,
    pub(super) cell: Arc<Cell>,
    pub(super) store: Arc<Store>,
    /// Made from other data in memory, read-only (`derived`).
    pub(super) derived: bool,
    /// Set on a sharee's view of another user's collection (`shares`).
    pub(super) view: Option<Arc<super::View>>,
}

impl std::ops::Deref for Collection {
    type Target = CollectionRef;
    fn deref(&self) -> &CollectionRef {
        &self.0
    }
}

impl Store {
    pub fn home_dir(&self, user: &str) -> Result<PathBuf> {
        names::check_segment(user)?;
        Ok(self.root.join(user))
    }

    /// Whether the user's home can be shown: a real directory (a home that
    /// is a symlink is never served, see `confine`), or none yet: a home is
    /// created on a user's first request, and when the data directory is
    /// read-only a missing home reads as an empty one.
    pub fn home_exists(&self, user: &str) -> bool {
        let Ok(home) = self.home_dir(user) else {
            return false;
        };
        match fs::symlink_metadata(&home) {
            Ok(md) => md.is_dir(),
            Err(e) => e.kind() == io::ErrorKind::NotFound,
        }
    }

    /// Users with a home directory (a real one, not a link), sorted.
    pub fn user_names(&self) -> Result<Vec<String>> {
        subdirectories(&self.root, |_, path| confine::is_real_dir(path))
    }

    /// The calendars a user's home lists (`listed_collections`: his own
    /// that may be served, then those shared with him); none when the home
    /// does not exist yet. Address books are left out.
    pub fn calendar_names(self: &Arc<Self>, user: &str) -> Result<Vec<String>> {
        Ok(self
            .listed_collections(user)?
            .into_iter()
            .filter(|(_, kind)| *kind == CollectionKind::Calendar)
            .map(|(name, _)| name)
            .collect())
    }

    /// Every collection in a user's home that may be served, with its kind:
    /// the user's own sorted by name, then the derived ones; none when the
    /// home does not exist yet.
    pub fn collection_names(&self, user: &str) -> Result<Vec<(String, CollectionKind)>> {
        let home = self.home_dir(user)?;
        if !confine::is_real_dir(&home) {
            return Ok(Vec::new());
        }
        let names = subdirectories(&home, confine::calendar_dir_ok)?;
        // A directory under a derived collection's name is not served.
        let mut out: Vec<(String, CollectionKind)> = names
            .into_iter()
            .filter(|name| !self.is_derived_name(name))
            .filter_map(|name| {
                let kind = self.kind_of(user, &name, &home.join(&name), None).ok()?;
                Some((name, kind))
            })
            .collect();
        let has_book = out.iter().any(|(_, k)| *k == CollectionKind::AddressBook);
        // Derived (read-only) collections come after the user's own, so a
        // client that takes the first calendar it lists gets a writable one.
        out.sort_by(|a, b| a.0.cmp(&b.0));
        let derived = self.derived_names(user, has_book);
        out.extend(derived.into_iter().map(|n| (n, CollectionKind::Calendar)));
        Ok(out)
    }

    /// The directory of an existing calendar that may be served and written:
    /// in a real home, and not a link leaving it (`confine`).
    pub(super) fn calendar_dir(&self, user: &str, name: &str) -> Result<PathBuf> {
        self.calendar_dir_checked(user, name).map(|(dir, _)| dir)
    }

    /// `calendar_dir`, with the directory's metadata when it is a real
    /// directory (`confine::calendar_dir_checked`), so it is not looked up again.
    fn calendar_dir_checked(
        &self,
        user: &str,
        name: &str,
    ) -> Result<(PathBuf, Option<fs::Metadata>)> {
        names::check_segment(name)?;
        let home = self.home_dir(user)?;
        let dir = home.join(name);
        if !confine::is_real_dir(&home) {
            return Err(StoreError::NotFound);
        }
        let md = confine::calendar_dir_checked(&home, &dir).ok_or(StoreError::NotFound)?;
        Ok((dir, md))
    }

    /// A handle on an existing calendar; `NotFound` for an address book, so
    /// code that serves calendars never serves one.
    pub fn calendar(self: &Arc<Self>, user: &str, name: &str) -> Result<Collection> {
        let c = self.collection(user, name)?;
        match c.kind {
            CollectionKind::Calendar => Ok(c),
            CollectionKind::AddressBook => Err(StoreError::NotFound),
        }
    }

    /// A handle on an existing collection of either kind: the user's own,
    /// or else a view of one shared with him (`shares`).
    pub fn collection(self: &Arc<Self>, user: &str, name: &str) -> Result<Collection> {
        match self.own_collection(user, name) {
            Err(StoreError::NotFound) => {}
            found => return found,
        }
        let Some(view) = self.view(user, name)? else {
            return Err(StoreError::NotFound);
        };
        let own = self.own_collection(&view.owner, &view.collection)?;
        Ok(Collection(Arc::new(CollectionRef {
            user: user.to_string(),
            name: name.to_string(),
            kind: own.kind,
            dir: own.dir.clone(),
            cell: own.cell.clone(),
            store: self.clone(),
            derived: own.derived,
            view: Some(view),
        })))
    }

    /// A handle on a collection in the user's own home.
    fn own_collection(self: &Arc<Self>, user: &str, name: &str) -> Result<Collection> {
        if self.is_derived_name(name) {
            super::no_wait::check()?;
            return self.derived_collection(user);
        }
        let (dir, md) = self.calendar_dir_checked(user, name)?;
        let kind = self.kind_of(user, name, &dir, md)?;
        let cell = self.cell(user, name, &dir)?;
        Ok(Collection(Arc::new(CollectionRef {
            user: user.to_string(),
            name: name.to_string(),
            kind,
            dir,
            cell,
            store: self.clone(),
            derived: false,
            view: None,
        })))
    }

    /// The kind of collection directory `dir` (`CollectionKind::of_dir`),
    /// remembered per directory version. A directory changed in the last
    /// two seconds is looked at again each time (its mtime may not yet show
    /// a change made within the same clock tick), cheaply when a witness
    /// `.ics` is known. `md` is `dir`'s metadata where the caller has it.
    fn kind_of(
        &self,
        user: &str,
        name: &str,
        dir: &Path,
        md: Option<fs::Metadata>,
    ) -> Result<CollectionKind> {
        use std::os::unix::fs::MetadataExt;
        let md = match md {
            Some(md) => md,
            None => fs::metadata(dir)?,
        };
        let mtime = md.mtime().saturating_mul(1_000_000_000) + md.mtime_nsec();
        let cell = self.cell(user, name, dir)?;
        let witness = {
            let seen = cell.kind.lock();
            match &*seen {
                Some(s) if s.settled && s.mtime_ns == mtime && s.ino == md.ino() => {
                    return Ok(s.kind)
                }
                Some(s) => s.witness.clone(),
                None => None,
            }
        };
        // A marker or the witness answers with a few stats; otherwise
        // detecting lists the directory: not where nothing may wait. So a
        // GET just after a write to the collection (its directory not yet
        // settled) is still served on the async worker.
        let (kind, witness) = match CollectionKind::detect_by_stat(dir, witness.as_deref()) {
            Some(found) => found,
            None => {
                super::no_wait::check()?;
                CollectionKind::detect(dir, witness.as_deref())?
            }
        };
        let settled = md
            .modified()
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() >= 2);
        *cell.kind.lock() = Some(KindSeen {
            mtime_ns: mtime,
            ino: md.ino(),
            settled,
            kind,
            witness,
        });
        Ok(kind)
    }

    /// The cell of collection `name` at `dir`, loaded on first use. A new
    /// cell is made only while `dir` exists, checked under the registry
    /// lock: a request racing a DELETE (`trash`, which holds that lock
    /// until the directory and its log are parked) must not leave behind a
    /// cell whose fresh log would replace the parked one's history.
    pub(super) fn cell(&self, user: &str, name: &str, dir: &Path) -> Result<Arc<Cell>> {
        let key = (user.to_string(), name.to_string());
        let mut cells = self.cells.lock();
        if let Some(cell) = cells.get(&key) {
            return Ok(cell.clone());
        }
        if !dir.is_dir() {
            return Err(StoreError::NotFound);
        }
        Ok(cells
            .entry(key)
            .or_insert_with(|| {
                let saved = self
                    .cache_path(user, name, "index")
                    .and_then(|p| snapshot::load(&p));
                let log_path = self.cache_path(user, name, "log");
                let (index, mut log) = match saved {
                    Some(snapshot::Saved {
                        mut index,
                        position,
                    }) => {
                        let log = ChangeLog::open(log_path.clone(), &mut index);
                        match position {
                            // The index shows changes the log never saw (the
                            // two were copied at different moments): the
                            // log cannot say what changed since its tokens.
                            Some(p) if !log.knows(&p) => {
                                tracing::warn!(
                                    "{user}/{name}: saved index and change log are from \
                                     different moments; clients resync"
                                );
                                let log = ChangeLog::anew(log_path, &mut index);
                                (index, log)
                            }
                            _ => (index, log),
                        }
                    }
                    // Without the index the log's removals cannot be told
                    // from files removed since: old tokens must resync.
                    None => {
                        let mut index = Default::default();
                        let log = ChangeLog::anew(log_path, &mut index);
                        (index, log)
                    }
                };
                log.announce_to(super::changelog::Notice {
                    listener: self.listener.clone(),
                    user: user.to_string(),
                    collection: name.to_string(),
                });
                Arc::new(Cell {
                    state: Mutex::new(State {
                        index,
                        log,
                        stale: true,
                        unsaved: false,
                        derived: None,
                    }),
                    props_logged: Mutex::new(Vec::new()),
                    kind: Mutex::new(None),
                })
            })
            .clone())
    }

    /// A calendar's cache file. Named by a hash of the calendar's name, so
    /// any valid name (up to 255 bytes) has a cache file of fixed length.
    pub(super) fn cache_path(&self, user: &str, name: &str, kind: &str) -> Option<PathBuf> {
        use sha2::Digest;
        let hash = hex::encode(&sha2::Sha256::digest(name.as_bytes())[..16]);
        self.cache
            .as_ref()
            .map(|c| c.join(user).join(format!("{hash}.{kind}")))
    }

    /// Saves changed indexes to the cache; called periodically and on shutdown.
    pub fn flush(&self) {
        let cells: Vec<((String, String), Arc<Cell>)> = self
            .cells
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for ((user, name), cell) in cells {
            let Some(path) = self.cache_path(&user, &name, "index") else {
                continue;
            };
            // Written (to the page cache) under the lock, line by line;
            // fsynced and renamed outside it, so writers of a large calendar
            // wait only for the copy and no whole-index text is built.
            let written = {
                let mut state = cell.state.lock();
                if !state.unsaved {
                    continue;
                }
                state.unsaved = false;
                let state = &mut *state;
                state.log.repair_file(&state.index);
                snapshot::write_at(&path, &state.index, Some(&state.log.token()))
            };
            if let Err(e) = written.and_then(|tmp| tmp.commit()) {
                // Retried every few seconds: disk trouble is logged throttled.
                if !disk::report_io(&e) {
                    tracing::warn!("cannot save index {}: {e}", path.display());
                }
                cell.state.lock().unsaved = true;
            }
        }
    }

    /// Drops in-memory state and the change log of a calendar that went away;
    /// a later calendar of the same name starts with a fresh log id.
    pub(super) fn forget(&self, user: &str, name: &str) {
        let cell = self
            .cells
            .lock()
            .remove(&(user.to_string(), name.to_string()));
        match cell {
            Some(cell) => {
                let mut state = cell.state.lock();
                state.stale = true;
                let log = std::mem::replace(&mut state.log, ChangeLog::in_memory());
                log.discard();
            }
            None => {
                if let Some(path) = self.cache_path(user, name, "log") {
                    let _ = fs::remove_file(path);
                }
            }
        }
        if let Some(path) = self.cache_path(user, name, "index") {
            let _ = fs::remove_file(path);
        }
    }
}

/// Visible subdirectories with valid names (users, calendars) that `keep`
/// accepts (given `dir` and the entry's path), sorted.
pub(super) fn subdirectories(
    dir: &Path,
    keep: impl Fn(&Path, &Path) -> bool,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if names::check_segment(&name).is_ok() && keep(dir, &entry.path()) {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

impl Collection {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether this is a calendar or an address book, as found when the
    /// handle was made.
    pub fn kind(&self) -> CollectionKind {
        self.kind
    }

    /// The user whose collection this is: the owner of a shared one seen
    /// through a view, else the user it was opened for.
    pub fn owner(&self) -> &str {
        self.view.as_ref().map_or(&self.user, |v| &v.owner)
    }

    /// Checks again, just before a write, that the calendar directory is no
    /// link out of its home: one may have been swapped in by hand since the
    /// handle was made (the window left is the few syscalls of the write).
    pub(super) fn still_confined(&self) -> Result<()> {
        let home = self.dir.parent().unwrap_or(&self.dir);
        if confine::calendar_dir_ok(home, &self.dir) {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Rescans when no watcher vouches for the index.
    pub(super) fn refresh(&self, state: &mut State) -> Result<()> {
        if self.derived {
            return self.refresh_derived(state);
        }
        if state.index.kind != self.kind {
            // The directory changed kind (a marker added by hand): the
            // objects of the old kind leave the index, the new ones enter.
            state.index.kind = self.kind;
            state.stale = true;
        }
        if !state.stale && self.store.watched.load(Ordering::SeqCst) {
            return Ok(());
        }
        if !self.dir.is_dir() {
            return Err(StoreError::NotFound);
        }
        // Recorded in chunks: one log append per 1,024 changes, and never a
        // list of every file of a large calendar in memory.
        const CHUNK: usize = 1024;
        let State { log, index, .. } = &mut *state;
        let mut pending: Vec<String> = Vec::new();
        let mut count = 0;
        index.rescan_with(&self.dir, self.store.max_object_size(), |index, name| {
            pending.push(name);
            count += 1;
            if pending.len() >= CHUNK {
                log.record(&pending, index);
                pending.clear();
            }
        })?;
        log.record(&pending, index);
        if count > 0 {
            log.compact(index);
            state.unsaved = true;
        }
        state.stale = false;
        Ok(())
    }

    pub(super) fn locked(&self) -> Result<parking_lot::MutexGuard<'_, State>> {
        if !super::no_wait::may_wait() {
            // Where nothing may wait: a free lock and a fresh index only.
            let state = self
                .cell
                .state
                .try_lock()
                .ok_or_else(super::no_wait::refuse)?;
            let fresh = !self.derived
                && !state.stale
                && state.index.kind == self.kind
                && self.store.watched.load(Ordering::SeqCst);
            return if fresh {
                Ok(state)
            } else {
                Err(super::no_wait::refuse())
            };
        }
        let mut state = self.cell.state.lock();
        self.refresh(&mut state)?;
        Ok(state)
    }
}
