//! The file store: users' homes, calendars as directories, one `.ics` per object
//! (DESIGN.md). It knows nothing of HTTP or XML, so it is tested on its own.
//!
//! Each calendar has one lock that serialises its writers, so a conditional
//! request is checked and applied atomically, and an in-memory index that
//! answers listings without touching file contents.

mod bounded;
mod changelog;
pub mod collection_props;
mod confine;
pub mod disk;
pub mod durable;
pub mod etag;
mod index;
pub mod names;
mod snapshot;
pub mod watcher;

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

pub use collection_props::{CalendarProps, PropChange};
pub use etag::Etag;
pub use index::{FileStamp, IndexedInfo, ObjectMeta};

use changelog::ChangeLog;
use index::Index;

use crate::ical::ObjectInfo;

/// Name of the calendar created in a new user's home.
pub const DEFAULT_CALENDAR: &str = "calendar";
/// Cache directory name under the data root when none is configured.
pub const DEFAULT_CACHE_DIR: &str = ".caldir-cache";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    AlreadyExists,
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("invalid name {0:?}")]
    InvalidName(String),
    /// The object of the same calendar that already has the UID.
    #[error("UID already used by {user}/{calendar}/{name}")]
    UidConflict {
        user: String,
        calendar: String,
        name: String,
    },
    #[error("component {0} not supported by this calendar")]
    UnsupportedComponent(String),
    #[error("the parent collection does not exist")]
    MissingParent,
    #[error("unknown or expired sync token")]
    InvalidSyncToken,
    /// The data directory's file system is mounted read-only.
    #[error("data directory is read-only")]
    ReadOnly,
    /// The disk (or the user's quota) is full; nothing was changed.
    #[error("no space left for the data directory")]
    StorageFull,
    /// The file system refuses a name this long (some allow fewer than 255 bytes).
    #[error("name too long for the file system")]
    NameTooLong,
    #[error("I/O error: {0}")]
    Io(io::Error),
}

impl From<io::Error> for StoreError {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::NotFound => StoreError::NotFound,
            io::ErrorKind::ReadOnlyFilesystem => StoreError::ReadOnly,
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => StoreError::StorageFull,
            io::ErrorKind::InvalidFilename => StoreError::NameTooLong,
            _ => StoreError::Io(e),
        }
    }
}

impl StoreError {
    /// For a lookup of the collection a request writes into: its absence
    /// is a missing parent (RFC 4918 §9.7.1, §9.8.5: 409), not a 404.
    pub fn missing_parent(self) -> Self {
        match self {
            StoreError::NotFound => StoreError::MissingParent,
            e => e,
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// One member of a sync-collection answer.
#[derive(Debug, Clone)]
pub enum SyncChange {
    Changed(String, ObjectMeta),
    Removed(String),
}

/// The result of a successful PUT.
#[derive(Debug, Clone)]
pub struct PutOutcome {
    pub created: bool,
    pub etag: Etag,
}

/// A hidden directory name in a home for a calendar being built or replaced.
/// Fixed length, so any valid calendar name can be a destination; such
/// directories left by a crash are removed at start (`sweep_leftovers`).
fn scratch_dir(home: &Path, kind: &str) -> PathBuf {
    home.join(format!(".caldir-{kind}.{:016x}", rand::random::<u64>()))
}

const SCRATCH_PREFIX: &str = ".caldir-";

/// Renames directory `from` to `home/to`. A directory already there is
/// swapped out atomically (RENAME_EXCHANGE) and deleted afterwards, so the
/// calendar name never points at nothing, even across a crash.
fn put_dir_in_place(home: &Path, from: &Path, to: &str, existed: bool) -> Result<()> {
    let dst = home.join(to);
    if !existed {
        return Ok(durable::rename(from, &dst)?);
    }
    durable::exchange(from, &dst)?;
    // `from` now holds the replaced calendar: hidden first (swept at start
    // if deleting it is cut short), then deleted.
    let old = scratch_dir(home, "old");
    if let Err(e) = fs::rename(from, &old).and_then(|()| fs::remove_dir_all(&old)) {
        tracing::warn!("cannot remove replaced calendar {}: {e}", from.display());
    }
    Ok(())
}

pub struct Store {
    root: PathBuf,
    cache: Option<PathBuf>,
    cells: Mutex<HashMap<(String, String), Arc<Cell>>>,
    /// True while a watcher keeps every index current; otherwise each access rescans.
    watched: AtomicBool,
    /// Largest object file read from disk (`max_resource_size`); larger ones
    /// are problems, skipped without being read.
    max_object_size: AtomicU64,
}

struct Cell {
    state: Mutex<State>,
    /// The property files' versions whose problems were logged, so each
    /// hand edit is logged once, not on every request that reads it.
    props_logged: Mutex<Vec<FileStamp>>,
}

struct State {
    index: Index,
    log: ChangeLog,
    /// The index must be brought in line with the directory before use.
    stale: bool,
    /// The index changed since it was last saved to the cache.
    unsaved: bool,
}

impl State {
    /// Notes a change of the collection itself (its properties).
    fn bump(&mut self) {
        self.log.bump(&self.index);
    }

    /// Notes a change of one object: a new sync token, an index to save.
    fn record(&mut self, name: &str) {
        self.record_all(&[name]);
    }

    /// Notes changes of several objects with one log append.
    fn record_all<S: AsRef<str>>(&mut self, names: &[S]) {
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
pub struct Calendar(Arc<CalendarRef>);

pub struct CalendarRef {
    pub user: String,
    pub name: String,
    dir: PathBuf,
    cell: Arc<Cell>,
    store: Arc<Store>,
}

impl std::ops::Deref for Calendar {
    type Target = CalendarRef;
    fn deref(&self) -> &CalendarRef {
        &self.0
    }
}

impl Store {
    /// Opens a store on `root`; `cache` defaults to `<root>/.caldir-cache`.
    pub fn open(root: &Path, cache: Option<&Path>) -> io::Result<Arc<Store>> {
        fs::create_dir_all(root)?;
        let root = root.canonicalize()?;
        let cache = cache
            .map(Path::to_path_buf)
            .unwrap_or_else(|| root.join(DEFAULT_CACHE_DIR));
        Ok(Arc::new(Store {
            root,
            cache: Some(cache),
            cells: Mutex::new(HashMap::new()),
            watched: AtomicBool::new(false),
            max_object_size: AtomicU64::new(crate::config::DEFAULT_MAX_RESOURCE_SIZE),
        }))
    }

    /// Sets the largest object file read from disk, the bound a PUT body has
    /// (`max_resource_size`). Call before the first scan: files already
    /// looked at are judged again only when they change.
    pub fn set_max_object_size(&self, max: u64) {
        self.max_object_size.store(max, Ordering::Relaxed);
    }

    fn max_object_size(&self) -> u64 {
        self.max_object_size.load(Ordering::Relaxed)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn cache_dir(&self) -> Option<&Path> {
        self.cache.as_deref()
    }

    /// Tells the store whether a watcher now keeps indexes current.
    pub fn set_watched(&self, on: bool) {
        self.watched.store(on, Ordering::SeqCst);
        if !on {
            for cell in self.cells.lock().values() {
                cell.state.lock().stale = true;
            }
        }
    }

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

    /// Creates a user's home with one default calendar on first login.
    /// On a read-only data directory this fails with `ReadOnly`; the caller
    /// may still serve reads (the missing home reads as empty).
    pub fn ensure_home(&self, user: &str) -> Result<()> {
        let home = self.home_dir(user)?;
        if fs::symlink_metadata(&home).is_ok() {
            return Ok(());
        }
        match durable::create_dir(&home) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        tracing::info!("created home of {user}");
        let cal = home.join(DEFAULT_CALENDAR);
        durable::create_dir(&cal)?;
        CalendarProps::apply(
            &cal,
            &[PropChange::DisplayName(Some("Calendar".into()))],
            self.max_object_size(),
        )?;
        Ok(())
    }

    /// Users with a home directory (a real one, not a link), sorted.
    pub fn user_names(&self) -> Result<Vec<String>> {
        subdirectories(&self.root, |_, path| confine::is_real_dir(path))
    }

    /// The calendars in a user's home that may be served (`confine`), sorted
    /// by name; none when the home does not exist yet.
    pub fn calendar_names(&self, user: &str) -> Result<Vec<String>> {
        let home = self.home_dir(user)?;
        if !confine::is_real_dir(&home) {
            return Ok(Vec::new());
        }
        subdirectories(&home, confine::calendar_dir_ok)
    }

    /// The directory of an existing calendar that may be served and written:
    /// in a real home, and not a link leaving it (`confine`).
    fn calendar_dir(&self, user: &str, name: &str) -> Result<PathBuf> {
        names::check_segment(name)?;
        let home = self.home_dir(user)?;
        let dir = home.join(name);
        if !confine::is_real_dir(&home) || !confine::calendar_dir_ok(&home, &dir) {
            return Err(StoreError::NotFound);
        }
        Ok(dir)
    }

    /// A handle on an existing calendar.
    pub fn calendar(self: &Arc<Self>, user: &str, name: &str) -> Result<Calendar> {
        let dir = self.calendar_dir(user, name)?;
        let cell = self.cell(user, name);
        Ok(Calendar(Arc::new(CalendarRef {
            user: user.to_string(),
            name: name.to_string(),
            dir,
            cell,
            store: self.clone(),
        })))
    }

    fn cell(&self, user: &str, name: &str) -> Arc<Cell> {
        let key = (user.to_string(), name.to_string());
        let mut cells = self.cells.lock();
        cells
            .entry(key)
            .or_insert_with(|| {
                let mut index = self
                    .cache_path(user, name, "index")
                    .map(|p| snapshot::load(&p))
                    .unwrap_or_default();
                let log = ChangeLog::open(self.cache_path(user, name, "log"), &mut index);
                Arc::new(Cell {
                    state: Mutex::new(State {
                        index,
                        log,
                        stale: true,
                        unsaved: false,
                    }),
                    props_logged: Mutex::new(Vec::new()),
                })
            })
            .clone()
    }

    /// A calendar's cache file. Named by a hash of the calendar's name, so
    /// any valid name (up to 255 bytes) has a cache file of fixed length.
    fn cache_path(&self, user: &str, name: &str, kind: &str) -> Option<PathBuf> {
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
                snapshot::write(&path, &state.index)
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

    /// Creates a calendar (MKCALENDAR / extended MKCOL) with initial properties.
    pub fn create_calendar(
        self: &Arc<Self>,
        user: &str,
        name: &str,
        props: &[PropChange],
    ) -> Result<Calendar> {
        names::check_segment(name)?;
        let home = self.home_dir(user)?;
        if !home.is_dir() {
            return Err(StoreError::MissingParent);
        }
        let dir = home.join(name);
        match durable::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(StoreError::AlreadyExists)
            }
            Err(e) => return Err(e.into()),
        }
        if let Err(e) = CalendarProps::apply(&dir, props, self.max_object_size()) {
            let _ = fs::remove_dir_all(&dir);
            return Err(e.into());
        }
        self.forget(user, name);
        self.calendar(user, name)
    }

    /// Deletes a calendar directory with everything in it.
    pub fn delete_calendar(&self, user: &str, name: &str) -> Result<()> {
        let dir = self.calendar_dir(user, name)?;
        let home = self.home_dir(user)?;
        // A link (within the home) is removed itself, never its target's files.
        if fs::symlink_metadata(&dir)?.file_type().is_symlink() {
            fs::remove_file(&dir)?;
        } else {
            fs::remove_dir_all(&dir)?;
        }
        durable::sync_dir(&home)?;
        self.forget(user, name);
        Ok(())
    }

    /// Renames a calendar within a user's home. Returns whether `to` existed.
    pub fn move_calendar(&self, user: &str, from: &str, to: &str, overwrite: bool) -> Result<bool> {
        names::check_segment(from)?;
        names::check_segment(to)?;
        let src = self.calendar_dir(user, from)?;
        let home = self.home_dir(user)?;
        let dst = home.join(to);
        let existed = fs::symlink_metadata(&dst).is_ok();
        if existed && !overwrite {
            return Err(StoreError::PreconditionFailed);
        }
        put_dir_in_place(&home, &src, to, existed)?;
        self.forget(user, from);
        self.forget(user, to);
        Ok(existed)
    }

    /// Copies a calendar (COPY, RFC 4918 §9.8): its property files and, with
    /// `members`, its objects (Depth 0 copies properties only). The copy is
    /// built in a hidden directory and renamed into place, so it appears
    /// whole or not at all. Returns whether the destination existed.
    pub fn copy_calendar(
        self: &Arc<Self>,
        user: &str,
        from: &str,
        to: &str,
        overwrite: bool,
        members: bool,
    ) -> Result<bool> {
        names::check_segment(from)?;
        names::check_segment(to)?;
        let source = self.calendar(user, from)?;
        let home = self.home_dir(user)?;
        let dst = home.join(to);
        let existed = dst.exists();
        if existed && !overwrite {
            return Err(StoreError::PreconditionFailed);
        }
        let staging = scratch_dir(&home, "copy");
        let copied = (|| -> Result<()> {
            fs::create_dir(&staging)?;
            let mut files = Vec::new();
            {
                // Writes through the server wait while the bytes are copied,
                // so the copy is one state; fsyncs come after the lock.
                let _state = source.locked()?;
                for entry in fs::read_dir(&source.dir)? {
                    let entry = entry?;
                    let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                        continue;
                    };
                    let wanted = if names::is_object_name(&name) {
                        members
                    } else {
                        collection_props::is_property_file(&name)
                    };
                    // Following symlinks within the home only, as the index does.
                    if !wanted {
                        continue;
                    }
                    if let confine::Entry::File { path, .. } =
                        confine::object_entry(&source.dir, &name)?
                    {
                        let target = staging.join(&name);
                        io::copy(
                            &mut confine::open_resolved(&path)?,
                            &mut fs::File::create_new(&target)?,
                        )?;
                        files.push(target);
                    }
                }
            }
            for file in files {
                fs::File::open(file)?.sync_all()?;
            }
            durable::sync_dir(&staging)?;
            // Overwrite: F was checked before copying; a calendar made
            // meanwhile must not be replaced.
            if dst.exists() != existed {
                return Err(StoreError::PreconditionFailed);
            }
            put_dir_in_place(&home, &staging, to, existed)
        })();
        if copied.is_err() && staging.exists() {
            let _ = fs::remove_dir_all(&staging);
        }
        copied?;
        self.forget(user, to);
        Ok(existed)
    }

    /// What a crash can leave behind, for `check` and the start-up sweep:
    /// scratch directories in homes (unfinished copies, replaced calendars)
    /// and temp files of interrupted writes in calendars and the cache.
    pub fn leftovers(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let hidden =
            |dir: &Path, out: &mut Vec<PathBuf>, want: &dyn Fn(&str, &fs::FileType) -> bool| {
                for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
                    let name = entry.file_name();
                    let name = name.to_string_lossy();
                    if entry.file_type().is_ok_and(|t| want(&name, &t)) {
                        out.push(entry.path());
                    }
                }
            };
        let temp = |name: &str, t: &fs::FileType| t.is_file() && names::is_temp_name(name);
        for user in self.user_names().unwrap_or_default() {
            let Ok(home) = self.home_dir(&user) else {
                continue;
            };
            hidden(&home, &mut out, &|name, t| {
                name.starts_with(SCRATCH_PREFIX)
                    && !name.starts_with(names::TEMP_PREFIX)
                    && t.is_dir()
            });
            for cal in self.calendar_names(&user).unwrap_or_default() {
                if let Ok(dir) = self.calendar_dir(&user, &cal) {
                    hidden(&dir, &mut out, &temp);
                }
            }
            if let Some(cache) = &self.cache {
                hidden(&cache.join(&user), &mut out, &temp);
            }
        }
        out
    }

    /// Removes what a crash left behind (`leftovers`). Called at start
    /// before the server accepts requests: run beside them, it could remove
    /// the temp file of a write in progress.
    pub fn sweep_leftovers(&self) {
        for path in self.leftovers() {
            tracing::info!("removing leftover {}", path.display());
            let removed = if path.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
            if let Err(e) = removed {
                tracing::warn!("cannot remove {}: {e}", path.display());
            }
        }
    }

    /// Calendar directories that are links leaving their home (`confine`):
    /// never served, reported by `check`.
    pub fn refused_links(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for user in self.user_names().unwrap_or_default() {
            let Ok(home) = self.home_dir(&user) else {
                continue;
            };
            for entry in fs::read_dir(&home).into_iter().flatten().flatten() {
                let path = entry.path();
                let visible = entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| names::check_segment(n).is_ok());
                if visible && confine::is_refused_link(&home, &path) {
                    out.push(path);
                }
            }
        }
        let root = &self.root;
        for entry in fs::read_dir(root).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_symlink()) {
                out.push(entry.path());
            }
        }
        out
    }

    /// Drops in-memory state and the change log of a calendar that went away;
    /// a later calendar of the same name starts with a fresh log id.
    fn forget(&self, user: &str, name: &str) {
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

    /// Moves or copies an object between (or within) calendars of the store.
    /// Returns whether the destination was newly created.
    pub fn transfer_object(
        &self,
        src: &Calendar,
        name: &str,
        dst: &Calendar,
        dst_name: &str,
        overwrite: bool,
        keep_source: bool,
    ) -> Result<bool> {
        names::check_object_name(dst_name)?;
        if src.dir == dst.dir && name == dst_name {
            return Err(StoreError::PreconditionFailed);
        }
        let same = Arc::ptr_eq(&src.cell, &dst.cell);
        // Lock in a fixed order so two opposite moves cannot deadlock.
        let (mut first, mut second) = if same {
            (src.cell.state.lock(), None)
        } else if src.dir < dst.dir {
            let a = src.cell.state.lock();
            let b = dst.cell.state.lock();
            (a, Some(b))
        } else {
            let b = dst.cell.state.lock();
            let a = src.cell.state.lock();
            (a, Some(b))
        };
        src.refresh(&mut first)?;
        if let Some(s) = second.as_mut() {
            dst.refresh(s)?;
        }
        let meta = first
            .index
            .objects
            .get(name)
            .cloned()
            .ok_or(StoreError::NotFound)?;
        let confine::Entry::File { path, .. } = confine::object_entry(&src.dir, name)? else {
            return Err(StoreError::NotFound);
        };
        let file = confine::open_resolved(&path)?;
        let len = file.metadata()?.len();
        let bytes = match bounded::read_all(file, len, self.max_object_size()) {
            Ok(bytes) => bytes,
            Err(bounded::ReadError::Io(e)) => return Err(e.into()),
            // Grown past the bound since it was indexed: not an object.
            Err(bounded::ReadError::TooLarge { .. }) => return Err(StoreError::NotFound),
        };
        {
            let dst_state: &mut State = match second.as_mut() {
                Some(s) => s,
                None => &mut first,
            };
            let exists = dst.current_etag(dst_state, dst_name).is_some();
            if exists && !overwrite {
                return Err(StoreError::PreconditionFailed);
            }
            let except = if keep_source || !same { dst_name } else { name };
            if let Some(other) = dst_state.index.find_uid(meta.info.uid_hash, dst_name) {
                if other != except {
                    return Err(dst.uid_conflict(other));
                }
            }
            let props = CalendarProps::read(&dst.dir, self.max_object_size())?;
            if !props.accepts(meta.info.component) {
                return Err(StoreError::UnsupportedComponent(
                    meta.info.component.to_string(),
                ));
            }
        }
        let created;
        {
            let dst_state: &mut State = match second.as_mut() {
                Some(s) => s,
                None => &mut first,
            };
            created = !dst_state.index.objects.contains_key(dst_name);
            dst.write_locked(dst_state, dst_name, &bytes, meta.info)?;
        }
        if !keep_source {
            durable::remove_file(&src.dir, name)?;
            first.index.take_object(name);
            first.record(name);
        }
        Ok(created)
    }
}

impl Store {
    /// Loads every calendar and brings its index in line with the files:
    /// edits made while the server was down enter the change logs now, so
    /// tokens issued before the restart answer with exactly those changes.
    pub fn reconcile_all(self: &Arc<Self>) -> Result<usize> {
        let mut objects = 0;
        for user in self.user_names()? {
            for name in self.calendar_names(&user).unwrap_or_default() {
                match self
                    .calendar(&user, &name)
                    .and_then(|c| c.objects_where(|_| false).map(|_| c))
                {
                    Ok(cal) => objects += cal.cell.state.lock().index.objects.len(),
                    Err(e) => tracing::warn!("{user}/{name}: {e}"),
                }
            }
        }
        self.flush();
        Ok(objects)
    }

    /// Applies a batch of watcher observations: re-reads touched files of
    /// calendars in memory and moves their tokens. Calendars not loaded yet
    /// are compared against their saved index when first used.
    pub fn apply(&self, batch: watcher::Batch) {
        if batch.rescan {
            for cell in self.cells.lock().values() {
                cell.state.lock().stale = true;
            }
        }
        for (user, cal) in &batch.calendars {
            let cell = self.cells.lock().get(&(user.clone(), cal.clone())).cloned();
            if let Some(cell) = cell {
                let mut state = cell.state.lock();
                // Metadata moved (or the directory came or went): move the
                // ctag and look at every file again on next use.
                tracing::debug!("{user}/{cal}: collection changed on disk");
                state.stale = true;
                state.bump();
            }
        }
        // Grouped per calendar: one lock and one (synced) log append each.
        let mut by_calendar: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
        for (user, cal, file) in &batch.files {
            by_calendar.entry((user, cal)).or_default().push(file);
        }
        for ((user, cal), files) in by_calendar {
            let cell = self
                .cells
                .lock()
                .get(&(user.to_string(), cal.to_string()))
                .cloned();
            let Some(cell) = cell else { continue };
            let mut state = cell.state.lock();
            let dir = self.root.join(user).join(cal);
            let mut changed = Vec::new();
            for file in files {
                if let index::Observed::Changed =
                    state.index.refresh_file(&dir, file, self.max_object_size())
                {
                    tracing::info!("{user}/{cal}/{file}: changed on disk");
                    changed.push(file);
                }
            }
            state.record_all(&changed);
        }
    }
}

/// Visible subdirectories with valid names (users, calendars) that `keep`
/// accepts (given `dir` and the entry's path), sorted.
fn subdirectories(dir: &Path, keep: impl Fn(&Path, &Path) -> bool) -> Result<Vec<String>> {
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

impl Drop for Store {
    fn drop(&mut self) {
        self.flush();
    }
}

impl Calendar {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Checks again, just before a write, that the calendar directory is no
    /// link out of its home: one may have been swapped in by hand since the
    /// handle was made (the window left is the few syscalls of the write).
    fn still_confined(&self) -> Result<()> {
        let home = self.dir.parent().unwrap_or(&self.dir);
        if confine::calendar_dir_ok(home, &self.dir) {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    fn uid_conflict(&self, other: &str) -> StoreError {
        StoreError::UidConflict {
            user: self.user.clone(),
            calendar: self.name.clone(),
            name: other.to_string(),
        }
    }

    /// Rescans when no watcher vouches for the index.
    fn refresh(&self, state: &mut State) -> Result<()> {
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

    fn locked(&self) -> Result<parking_lot::MutexGuard<'_, State>> {
        let mut state = self.cell.state.lock();
        self.refresh(&mut state)?;
        Ok(state)
    }

    /// The calendar's properties; what a hand edit broke (a dead property
    /// beyond the XML bounds, an over-size `color`...) is left out and
    /// logged once per version of the property files.
    pub fn props(&self) -> Result<CalendarProps> {
        let props = CalendarProps::read(&self.dir, self.store.max_object_size())?;
        if !props.problems().is_empty() {
            let mut logged = self.cell.props_logged.lock();
            if logged.as_slice() != props.version() {
                *logged = props.version().to_vec();
                for (file, reason) in props.problems() {
                    tracing::warn!("{}: {reason}", self.dir.join(file).display());
                }
            }
        }
        Ok(props)
    }

    /// Applies property changes and moves the sync token.
    pub fn set_props(&self, changes: &[PropChange]) -> Result<()> {
        let mut state = self.locked()?;
        CalendarProps::apply(&self.dir, changes, self.store.max_object_size())?;
        state.bump();
        Ok(())
    }

    /// All valid objects, sorted by name.
    pub fn objects(&self) -> Result<Vec<(String, ObjectMeta)>> {
        let state = self.locked()?;
        Ok(state
            .index
            .objects
            .iter()
            .map(|(n, m)| (n.clone(), m.clone()))
            .collect())
    }

    /// Calls `f` for every valid object whose metadata passes `keep`, in name
    /// order. The index is copied a page at a time (the lock is not held while
    /// `f` runs), so a 100k-object listing never holds a copy of the index.
    pub fn each_object(
        &self,
        keep: impl Fn(&ObjectMeta) -> bool,
        mut f: impl FnMut(String, ObjectMeta),
    ) -> Result<()> {
        use std::ops::Bound;
        const PAGE: usize = 512;
        let mut after: Option<String> = None;
        loop {
            let (page, done) = {
                let state = self.locked()?;
                let start = match &after {
                    Some(a) => Bound::Excluded(a.as_str()),
                    None => Bound::Unbounded,
                };
                let mut page = Vec::new();
                let mut last = None;
                let mut done = true;
                for (scanned, (name, meta)) in state
                    .index
                    .objects
                    .range::<str, _>((start, Bound::Unbounded))
                    .enumerate()
                {
                    last = Some(name);
                    if keep(meta) {
                        page.push((name.clone(), meta.clone()));
                    }
                    if page.len() >= PAGE || scanned + 1 >= PAGE * 8 {
                        done = false;
                        break;
                    }
                }
                after = last.cloned();
                (page, done)
            };
            for (name, meta) in page {
                f(name, meta);
            }
            if done {
                return Ok(());
            }
        }
    }

    /// The valid objects whose metadata passes `keep` (e.g. a time window
    /// against the indexed span), sorted by name.
    pub fn objects_where(
        &self,
        keep: impl Fn(&ObjectMeta) -> bool,
    ) -> Result<Vec<(String, ObjectMeta)>> {
        let state = self.locked()?;
        Ok(state
            .index
            .objects
            .iter()
            .filter(|(_, m)| keep(m))
            .map(|(n, m)| (n.clone(), m.clone()))
            .collect())
    }

    /// Files that are not valid calendar objects: (name, "line: reason").
    pub fn problems(&self) -> Result<Vec<(String, String)>> {
        let state = self.locked()?;
        Ok(state
            .index
            .problems
            .iter()
            .map(|(n, p)| (n.clone(), p.reason.clone()))
            .collect())
    }

    pub fn meta(&self, name: &str) -> Result<Option<ObjectMeta>> {
        Ok(self.locked()?.index.objects.get(name).cloned())
    }

    /// The bytes of an object with metadata that matches exactly those bytes.
    /// The file is read outside the calendar lock, so readers run in parallel.
    pub fn read(&self, name: &str) -> Result<(Vec<u8>, ObjectMeta)> {
        names::check_object_name(name).map_err(|_| StoreError::NotFound)?;
        let meta = self
            .locked()?
            .index
            .objects
            .get(name)
            .cloned()
            .ok_or(StoreError::NotFound)?;
        let confine::Entry::File { path, .. } = confine::object_entry(&self.dir, name)? else {
            return Err(StoreError::NotFound);
        };
        let file = confine::open_resolved(&path)?;
        let stamp = FileStamp::of(&file.metadata()?);
        let max = self.store.max_object_size();
        let bytes = match bounded::read_all(file, stamp.size, max) {
            Ok(bytes) => bytes,
            Err(bounded::ReadError::Io(e)) => return Err(e.into()),
            Err(bounded::ReadError::TooLarge { max }) => {
                // Grown past the bound since it was indexed: no longer an
                // object (never served truncated), and a change for sync.
                let mut state = self.cell.state.lock();
                let reason = bounded::too_large(max);
                if let index::Observed::Changed =
                    state
                        .index
                        .reject(&self.dir.join(name), name, stamp, &reason)
                {
                    state.record(name);
                }
                return Err(StoreError::NotFound);
            }
        };
        if stamp == meta.stamp {
            return Ok((bytes, meta));
        }
        // Edited behind our back since the last scan: learn the new version now.
        let mut state = self.cell.state.lock();
        let path = self.dir.join(name);
        if let index::Observed::Changed = state.index.observe_bytes(&path, name, &bytes, stamp) {
            state.record(name);
        }
        let meta = state
            .index
            .objects
            .get(name)
            .cloned()
            .ok_or(StoreError::NotFound)?;
        Ok((bytes, meta))
    }

    /// Stores an object. `allowed` sees the current ETag (None when absent)
    /// under the calendar lock and decides whether the write may proceed.
    pub fn put(
        &self,
        name: &str,
        bytes: &[u8],
        info: ObjectInfo,
        allowed: impl FnOnce(Option<&str>) -> bool,
    ) -> Result<PutOutcome> {
        names::check_object_name(name)?;
        let mut state = self.locked()?;
        let current = self.current_etag(&mut state, name);
        if !allowed(current.as_deref()) {
            return Err(StoreError::PreconditionFailed);
        }
        if let Some(other) = state.index.find_uid(index::uid_hash(&info.uid), name) {
            return Err(self.uid_conflict(other));
        }
        let created = current.is_none();
        let etag = self.write_locked(&mut state, name, bytes, (&info).into())?;
        Ok(PutOutcome { created, etag })
    }

    /// The ETag of `name` as it is on disk now (None when absent). A tool may
    /// have written it a moment ago, before the watcher told us, so the file
    /// is looked at again (stat; hashed only if it moved) under the lock.
    fn current_etag(&self, state: &mut State, name: &str) -> Option<String> {
        if let index::Observed::Changed =
            state
                .index
                .refresh_file(&self.dir, name, self.store.max_object_size())
        {
            state.record(name);
        }
        state.index.objects.get(name).map(|m| m.etag.to_string())
    }

    fn write_locked(
        &self,
        state: &mut State,
        name: &str,
        bytes: &[u8],
        info: IndexedInfo,
    ) -> Result<Etag> {
        self.still_confined()?;
        durable::write_file(&self.dir, name, bytes)?;
        let stamp = FileStamp::of(&fs::metadata(self.dir.join(name))?);
        let etag = Etag::of_bytes(bytes);
        state.index.problems.remove(name);
        state.index.put_object(
            name.to_string(),
            ObjectMeta {
                etag,
                stamp,
                info,
                seq: 0,
            },
        );
        state.record(name);
        Ok(etag)
    }

    /// Deletes an object if `allowed` accepts its current ETag.
    pub fn delete(&self, name: &str, allowed: impl FnOnce(Option<&str>) -> bool) -> Result<()> {
        names::check_object_name(name).map_err(|_| StoreError::NotFound)?;
        let mut state = self.locked()?;
        let Some(current) = self.current_etag(&mut state, name) else {
            return Err(StoreError::NotFound);
        };
        if !allowed(Some(&current)) {
            return Err(StoreError::PreconditionFailed);
        }
        self.still_confined()?;
        durable::remove_file(&self.dir, name)?;
        state.index.take_object(name);
        state.record(name);
        Ok(())
    }

    pub fn sync_token(&self) -> Result<String> {
        Ok(self.locked()?.log.token())
    }

    pub fn ctag(&self) -> Result<String> {
        Ok(self.locked()?.log.ctag())
    }

    /// Changes since `token` (every object when it is empty), at most about
    /// `limit` of them, oldest first, with the token that covers exactly
    /// what is returned.
    pub fn changes_since(&self, token: &str, limit: Option<usize>) -> Result<SyncResult> {
        let state = self.locked()?;
        let mut items: Vec<(String, u64)> = if token.is_empty() {
            let mut all: Vec<(String, u64)> = state
                .index
                .objects
                .keys()
                .map(|n| (n.clone(), state.log.seq_of(n, &state.index)))
                .collect();
            all.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
            all
        } else {
            state
                .log
                .changed_since(token, &state.index)
                .ok_or(StoreError::InvalidSyncToken)?
        };
        let mut truncated = false;
        let mut result_token = state.log.token();
        if let Some(limit) = limit {
            if items.len() > limit {
                // Objects the log has no number for (seq 0) cannot be split.
                let mut keep = limit;
                while keep < items.len() && keep > 0 && items[keep].1 == items[keep - 1].1 {
                    keep += 1;
                }
                if keep < items.len() {
                    items.truncate(keep);
                    truncated = true;
                    let last = items.last().map(|(_, s)| *s);
                    result_token = match last {
                        Some(seq) => state.log.token_at(seq),
                        None => token.to_string(),
                    };
                }
            }
        }
        let changes = items
            .into_iter()
            .map(|(n, _)| match state.index.objects.get(&n) {
                Some(m) => SyncChange::Changed(n, m.clone()),
                None => SyncChange::Removed(n),
            })
            .collect();
        Ok(SyncResult {
            token: result_token,
            changes,
            truncated,
        })
    }
}

/// A sync-collection answer from the store.
#[derive(Debug)]
pub struct SyncResult {
    pub token: String,
    pub changes: Vec<SyncChange>,
    /// More changes remain; `token` covers only those returned.
    pub truncated: bool,
}

#[cfg(test)]
mod tests;
