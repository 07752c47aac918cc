//! Objects of a collection: listing and paging from the index, reading, PUT and
//! DELETE under a condition, and COPY/MOVE of one object between calendars.
//!
//! Locking: every write runs under its calendar's lock, so a condition on the
//! current ETag is checked and applied atomically; a transfer locks both
//! calendars in a fixed (path) order. File contents are read outside the
//! lock; listings copy the index a page at a time. Durability: a write is a
//! hidden temp file, fsync, rename, fsync of the directory (`durable`), and
//! only then is the index updated and the change logged. PUT and DELETE
//! share the directory and log fsyncs with concurrent writers (`commit`):
//! they wait for them, and readers for what they saw, outside the lock.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::commit::Pending;
use super::kind::{CollectionKind, ObjectInfo, ADDRESSBOOK_MARKER};
use super::registry::{Collection, State};
use super::{
    bounded, confine, durable, index, names, CollectionProps, Etag, FileStamp, IndexedInfo,
    ObjectMeta, Overwrite, Result, Store, StoreError, Transfer,
};

/// The result of a successful PUT.
#[derive(Debug, Clone)]
pub struct PutOutcome {
    pub created: bool,
    pub etag: Etag,
}

impl Store {
    /// Moves or copies an object between (or within) calendars of the store.
    /// Returns whether the destination was newly created.
    pub fn transfer_object(
        &self,
        src: &Collection,
        name: &str,
        dst: &Collection,
        dst_name: &str,
        overwrite: Overwrite,
        transfer: Transfer,
    ) -> Result<bool> {
        src.refuse_if_derived()?;
        dst.refuse_if_derived()?;
        if src.kind != dst.kind {
            return Err(StoreError::WrongKind {
                expected: dst.kind,
                found: src.kind,
            });
        }
        dst.check_name(dst_name)?;
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
        let (path, file, stamp) = open_object(&src.dir, name)?;
        let bytes = match bounded::read_all(file, stamp.size, self.max_object_size()) {
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
            if exists && overwrite == Overwrite::Refuse {
                return Err(StoreError::PreconditionFailed);
            }
            dst.keeps_uid(dst_state, dst_name, meta.info.uid_hash())?;
            let except = if transfer == Transfer::Copy || !same {
                dst_name
            } else {
                name
            };
            if let Some(other) = dst_state.index.find_uid(meta.info.uid_hash(), dst_name) {
                if other != except {
                    return Err(dst.uid_conflict(other, false));
                }
            }
            if let Some(component) = meta.info.component() {
                let props = CollectionProps::read(&dst.dir, self.max_object_size())?;
                if !props.accepts(component) {
                    return Err(StoreError::UnsupportedComponent(component));
                }
            }
        }
        // A MOVE of a plain file is one rename, so a crash leaves the object
        // under exactly one of its names; a copy and a delete could leave it
        // under both, two files with one UID. A link is copied as its target.
        let renamed = transfer == Transfer::Move && path == src.dir.join(name);
        let created;
        {
            let dst_state: &mut State = match second.as_mut() {
                Some(s) => s,
                None => &mut first,
            };
            created = !dst_state.index.objects.contains_key(dst_name);
            if renamed {
                src.still_confined()?;
                dst.still_confined()?;
                durable::rename(&path, &dst.dir.join(dst_name))?;
                dst.adopt_locked(dst_state, dst_name, Etag::of_bytes(&bytes), meta.info)?;
            } else {
                dst.write_locked(dst_state, dst_name, &bytes, meta.info)?;
            }
        }
        if transfer == Transfer::Move {
            if !same {
                src.keep_kind(&first)?;
            }
            if !renamed {
                durable::remove_file(&src.dir, name)?;
            }
            first.index.take_object(name);
            first.record(name);
        }
        Ok(created)
    }
}

impl Collection {
    /// The file name of the object whose URL name is `url` here (the one
    /// mapping, `names::object_file_name`); borrowed when they are the same.
    pub fn file_name<'a>(&self, url: &'a str) -> Result<std::borrow::Cow<'a, str>> {
        names::object_file_name(self.kind, url)
    }

    /// An object name must be a valid segment with this kind's extension.
    pub(super) fn check_name(&self, name: &str) -> Result<()> {
        names::check_segment(name)?;
        if self.kind.is_object_name(name) {
            Ok(())
        } else {
            Err(StoreError::InvalidName(name.to_string()))
        }
    }

    /// Before an object leaves: an address book known only by its `.vcf`
    /// files gets its marker (durably) when the last one is about to go,
    /// so it does not turn into a calendar by itself (docs/DESIGN.md).
    fn keep_kind(&self, state: &State) -> Result<()> {
        let last = state.index.objects.len() + state.index.problems.len() <= 1;
        if self.kind == CollectionKind::AddressBook
            && last
            && fs::symlink_metadata(self.dir.join(ADDRESSBOOK_MARKER)).is_err()
        {
            durable::write_file(&self.dir, ADDRESSBOOK_MARKER, b"")?;
        }
        Ok(())
    }

    /// An object keeps its UID for life: a body with another UID written
    /// over `name` (PUT, or COPY/MOVE onto it) is refused as a conflict with
    /// `name` itself (RFC 4791 §5.3.2.1, RFC 6352 §6.3.2.1). The RFCs leave
    /// an overwrite's UID open; CalendarServer, sabre/dav and Radicale all
    /// refuse the change, as a client means another event by another UID.
    /// A file the index could not read (a problem) has no UID to keep.
    fn keeps_uid(&self, state: &State, name: &str, uid_hash: u64) -> Result<()> {
        match state.index.objects.get(name) {
            Some(old) if old.info.uid_hash() != uid_hash => Err(self.uid_conflict(name, true)),
            _ => Ok(()),
        }
    }

    /// A UID conflict with object `other`; `changed`: the write was over
    /// `other` itself and would change its UID.
    pub(super) fn uid_conflict(&self, other: &str, changed: bool) -> StoreError {
        StoreError::UidConflict {
            user: self.user.clone(),
            calendar: self.name.clone(),
            name: other.to_string(),
            changed,
        }
    }

    /// The file name of the object whose UID is `uid`, if any; `hint` is
    /// where it is likely to be (the organizer's name for an attendee's
    /// copy), so finding it takes no scan of the collection.
    pub fn find_uid(&self, uid: &str, hint: &str) -> Result<Option<String>> {
        let state = self.locked()?;
        Ok(state
            .index
            .named_uid(index::uid_hash(uid), hint)
            .map(str::to_string))
    }

    /// All valid objects, sorted by name.
    pub fn objects(&self) -> Result<Vec<(String, ObjectMeta)>> {
        let (all, pending) = {
            let state = self.locked()?;
            let all: Vec<_> = state
                .index
                .objects
                .iter()
                .map(|(n, m)| (n.to_string(), m.clone()))
                .collect();
            (all, state.log.pending())
        };
        settle(pending)?;
        Ok(all)
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
            let (page, done, pending) = {
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
                        page.push((name.to_string(), meta.clone()));
                    }
                    if page.len() >= PAGE || scanned + 1 >= PAGE * 8 {
                        done = false;
                        break;
                    }
                }
                after = last.map(|n| n.to_string());
                (page, done, state.log.pending())
            };
            settle(pending)?;
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
        let (hits, pending) = {
            let state = self.locked()?;
            let hits: Vec<_> = state
                .index
                .objects
                .iter()
                .filter(|(_, m)| keep(m))
                .map(|(n, m)| (n.to_string(), m.clone()))
                .collect();
            (hits, state.log.pending())
        };
        settle(pending)?;
        Ok(hits)
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
        let (meta, pending) = {
            let state = self.locked()?;
            (state.index.objects.get(name).cloned(), state.log.pending())
        };
        settle(pending)?;
        Ok(meta)
    }

    /// The bytes of an object with metadata that matches exactly those bytes.
    /// The file is read outside the calendar lock, so readers run in parallel.
    pub fn read(&self, name: &str) -> Result<(Vec<u8>, ObjectMeta)> {
        if self.derived {
            return self.read_derived(name);
        }
        self.check_name(name).map_err(|_| StoreError::NotFound)?;
        let (meta, pending) = {
            let state = self.locked()?;
            (state.index.objects.get(name).cloned(), state.log.pending())
        };
        settle(pending)?;
        let meta = meta.ok_or(StoreError::NotFound)?;
        let opened = confine::open_object(&self.dir, name)?.ok_or(StoreError::NotFound)?;
        let (file, stamp) = (opened.file, FileStamp::of(&opened.md));
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
        let (meta, pending) = {
            let mut state = self.cell.state.lock();
            let path = self.dir.join(name);
            if let index::Observed::Changed = state.index.observe_bytes(&path, name, &bytes, stamp)
            {
                state.record(name);
            }
            (state.index.objects.get(name).cloned(), state.log.pending())
        };
        settle(pending)?;
        Ok((bytes, meta.ok_or(StoreError::NotFound)?))
    }

    /// Stores an object. `allowed` sees the current ETag (None when absent)
    /// under the calendar lock and decides whether the write may proceed.
    pub fn put(
        &self,
        name: &str,
        bytes: &[u8],
        info: impl Into<ObjectInfo>,
        allowed: impl FnOnce(Option<&str>) -> bool,
    ) -> Result<PutOutcome> {
        self.refuse_if_derived()?;
        let info: ObjectInfo = info.into();
        if info.kind() != self.kind {
            return Err(StoreError::WrongKind {
                expected: self.kind,
                found: info.kind(),
            });
        }
        self.check_name(name)?;
        // Written and synced before the lock, so that concurrent writers of
        // the calendar sync their files in parallel; dropped on refusal.
        self.still_confined()?;
        let prepared = durable::Prepared::write(&self.dir, bytes).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotFound,
            _ => e.into(),
        })?;
        let (outcome, pending) = {
            let mut state = self.locked()?;
            let current = self.current_etag(&mut state, name);
            if !allowed(current.as_deref()) {
                return Err(StoreError::PreconditionFailed);
            }
            let uid_hash = index::uid_hash(info.uid());
            self.keeps_uid(&state, name, uid_hash)?;
            if let Some(other) = state.index.find_uid(uid_hash, name) {
                return Err(self.uid_conflict(other, false));
            }
            let created = current.is_none();
            self.still_confined()?;
            prepared.place(name)?;
            let etag = Etag::of_bytes(bytes);
            self.index_locked(&mut state, name, etag, (&info).into())?;
            let state = &mut *state;
            let pending = state
                .log
                .record_deferred(&[name], &mut state.index, &self.dir);
            state.unsaved = true;
            (PutOutcome { created, etag }, pending)
        };
        // Acknowledged only once the rename and the log line are on disk.
        pending.wait()?;
        Ok(outcome)
    }

    /// The ETag of `name` as it is on disk now (None when absent). A tool may
    /// have written it a moment ago, before the watcher told us, so the file
    /// is looked at again (stat; hashed only if it moved) under the lock.
    pub(super) fn current_etag(&self, state: &mut State, name: &str) -> Option<String> {
        if let index::Observed::Changed =
            state
                .index
                .refresh_file(&self.dir, name, self.store.max_object_size())
        {
            state.record(name);
        }
        state.index.objects.get(name).map(|m| m.etag.to_string())
    }

    pub(super) fn write_locked(
        &self,
        state: &mut State,
        name: &str,
        bytes: &[u8],
        info: IndexedInfo,
    ) -> Result<Etag> {
        self.still_confined()?;
        durable::write_file(&self.dir, name, bytes)?;
        let etag = Etag::of_bytes(bytes);
        self.adopt_locked(state, name, etag, info)?;
        Ok(etag)
    }

    /// Indexes and logs an object file just placed at `name` durably.
    fn adopt_locked(
        &self,
        state: &mut State,
        name: &str,
        etag: Etag,
        info: IndexedInfo,
    ) -> Result<()> {
        self.index_locked(state, name, etag, info)?;
        state.record(name);
        Ok(())
    }

    /// Indexes an object file just placed at `name` (not yet logged).
    fn index_locked(
        &self,
        state: &mut State,
        name: &str,
        etag: Etag,
        info: IndexedInfo,
    ) -> Result<()> {
        let stamp = FileStamp::of(&fs::metadata(self.dir.join(name))?);
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
        Ok(())
    }

    /// Deletes an object if `allowed` accepts its current ETag.
    pub fn delete(&self, name: &str, allowed: impl FnOnce(Option<&str>) -> bool) -> Result<()> {
        self.refuse_if_derived()?;
        self.check_name(name).map_err(|_| StoreError::NotFound)?;
        let pending = {
            let mut state = self.locked()?;
            let Some(current) = self.current_etag(&mut state, name) else {
                return Err(StoreError::NotFound);
            };
            if !allowed(Some(&current)) {
                return Err(StoreError::PreconditionFailed);
            }
            self.still_confined()?;
            self.keep_kind(&state)?;
            // Durable once the group commit has synced the directory.
            fs::remove_file(self.dir.join(name))?;
            state.index.take_object(name);
            let state = &mut *state;
            let pending = state
                .log
                .record_deferred(&[name], &mut state.index, &self.dir);
            state.unsaved = true;
            pending
        };
        pending.wait()?;
        Ok(())
    }
}

/// Waits until what a reader saw under the lock is durable (`commit`), so
/// that no answer shows a write that a power loss could still undo.
pub(super) fn settle(pending: Option<Pending>) -> Result<()> {
    if let Some(p) = pending {
        super::no_wait::check()?;
        p.wait()?;
    }
    Ok(())
}

/// Opens an object file under the symlink rule (`confine`): its resolved
/// path, the open file and its stamp; NotFound where the name is not a
/// regular file the rule lets us read.
fn open_object(dir: &Path, name: &str) -> Result<(PathBuf, fs::File, FileStamp)> {
    let opened = confine::open_object(dir, name)?.ok_or(StoreError::NotFound)?;
    let path = opened.via.unwrap_or_else(|| dir.join(name));
    Ok((path, opened.file, FileStamp::of(&opened.md)))
}
