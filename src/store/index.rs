//! In-memory metadata of one calendar's objects, kept in step with the files.
//!
//! PROPFIND and GET answer from here (ETag, size, mtime) instead of re-reading
//! and re-hashing; a rescan only reads the files whose size, mtime or inode
//! changed, and a file whose bytes hash the same is not a change.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;

use crate::ical;

use super::etag::Etag;
use super::kind::CollectionKind;
use super::uid_counts::UidCounts;
use super::{bounded, confine};

use super::entry::name_hash;
pub use super::entry::{uid_hash, FileStamp, IndexedInfo, Name, ObjectMeta};

/// A file that is not a valid calendar object, with the reason.
#[derive(Debug, Clone)]
pub struct Problem {
    pub stamp: FileStamp,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Index {
    /// Read freely; change only through `put_object` / `take_object`.
    pub objects: BTreeMap<Name, ObjectMeta>,
    pub problems: BTreeMap<String, Problem>,
    /// How many objects use each UID hash: a PUT's no-uid-conflict check is
    /// a lookup, and only a hit (a real or hash conflict) scans the objects.
    /// Counting hashes instead of mapping UIDs to names keeps memory small.
    uid_hashes: UidCounts,
    /// Which files are objects and how they are validated; a change of the
    /// collection's kind empties the index through a rescan.
    pub kind: CollectionKind,
}

/// The outcome of looking at one file on disk.
pub enum Observed {
    Unchanged,
    Changed,
}

impl Index {
    /// Brings the whole index in line with the directory; returns the names
    /// whose content changed (added, modified, removed or became invalid).
    #[cfg(test)]
    pub fn rescan(&mut self, dir: &Path) -> io::Result<Vec<String>> {
        let mut changed = Vec::new();
        self.rescan_with(dir, u64::MAX, |_, name| changed.push(name))?;
        Ok(changed)
    }

    /// Like `rescan`, handing each changed name to `changed` as it is found
    /// (with the index, already updated), so a cold scan of 100k files never
    /// holds the list of all of them. Files over `max` bytes are problems.
    pub fn rescan_with(
        &mut self,
        dir: &Path,
        max: u64,
        mut changed: impl FnMut(&mut Index, String),
    ) -> io::Result<()> {
        // Hashes of the names seen, not the names: at 100k files that is
        // 1.6 MB instead of ~7 MB of strings. A 64-bit collision (~1e-10 at
        // 100k names) could only hide one removal until the next rescan.
        // Only names known before the scan can be gone, so an index that
        // starts empty (a cold start) needs no set at all; a known one gets
        // one sized once for its names.
        let known = self.objects.len() + self.problems.len();
        let mut present: std::collections::HashSet<u64> =
            std::collections::HashSet::with_capacity(known);
        // Files the index does not know yet are added in sorted batches
        // (`add_objects`) and reported once they are in.
        let mut fresh: Vec<(Name, ObjectMeta)> = Vec::with_capacity(self.batch_size());
        // Checked once per scan rather than once per file (`object_entry`).
        let real_dir = confine::is_real_dir(dir);
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if !self.kind.is_object_name(&name) {
                continue;
            }
            if known > 0 {
                present.insert(name_hash(&name));
                if real_dir && self.unchanged_in_place(&entry, &name) {
                    continue;
                }
            }
            if self.objects.contains_key(name.as_str()) || self.problems.contains_key(&name) {
                if let Observed::Changed = self.refresh_file(dir, &name, max) {
                    changed(self, name);
                }
                continue;
            }
            if let Some(meta) = self.examine_new(dir, &name, max) {
                fresh.push((Name::from(name), meta));
                if fresh.len() >= self.batch_size() {
                    self.add_reported(&mut fresh, &mut changed);
                }
            }
        }
        self.add_reported(&mut fresh, &mut changed);
        if known == 0 {
            return Ok(());
        }
        let gone: Vec<String> = self
            .objects
            .keys()
            .map(Name::as_str)
            .chain(self.problems.keys().map(String::as_str))
            .filter(|n| !present.contains(&name_hash(n)))
            .map(str::to_string)
            .collect();
        for name in gone {
            self.problems.remove(&name);
            if self.take_object(&name).is_some() {
                changed(self, name);
            }
        }
        Ok(())
    }

    /// Whether a listed plain file (not a link) of a real directory is known
    /// to the index with the stamp it still has. One `fstatat` relative to the listing: what
    /// `refresh_file` concludes for such a file, without its path walks,
    /// which were most of a warm start's per-file cost.
    fn unchanged_in_place(&self, entry: &fs::DirEntry, name: &str) -> bool {
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            return false;
        }
        let Ok(md) = entry.metadata() else {
            return false;
        };
        let stamp = FileStamp::of(&md);
        self.objects.get(name).is_some_and(|m| m.stamp == stamp)
            || self.problems.get(name).is_some_and(|p| p.stamp == stamp)
    }

    /// Adds `fresh` in one batch and reports each name as changed.
    fn add_reported(
        &mut self,
        fresh: &mut Vec<(Name, ObjectMeta)>,
        changed: &mut impl FnMut(&mut Index, String),
    ) {
        let names: Vec<String> = fresh.iter().map(|(n, _)| n.to_string()).collect();
        self.add_objects(fresh);
        for name in names {
            changed(self, name);
        }
    }

    /// Reads a file the index does not know: its metadata when it is a valid
    /// object, else `None` with the problem recorded.
    fn examine_new(&mut self, dir: &Path, name: &str, max: u64) -> Option<ObjectMeta> {
        let path = dir.join(name);
        // Stat before opening: opening a FIFO named like an object would
        // block the scan (and the calendar lock) until a writer came.
        let (real, md) = match confine::object_entry(dir, name) {
            Ok(confine::Entry::File { path, md }) => (path, md),
            // A directory (or other non-file) with an object's name is no object.
            Ok(confine::Entry::Other) => return None,
            Ok(confine::Entry::Outside(md)) => {
                self.reject(
                    &path,
                    name,
                    FileStamp::of(&md),
                    &format!(" {}", confine::OUTSIDE),
                );
                return None;
            }
            Err(e) => {
                tracing::warn!("{}: cannot read: {e}", path.display());
                return None;
            }
        };
        let stamp = FileStamp::of(&md);
        let bytes = self.read_bounded(&path, &real, name, stamp, max)?;
        self.examine(&path, name, &bytes, Etag::of_bytes(&bytes), stamp)
    }

    /// The bytes of `real` (the resolved `path`) when it holds at most `max`;
    /// an over-size file is recorded as a problem, a read error logged.
    fn read_bounded(
        &mut self,
        path: &Path,
        real: &Path,
        name: &str,
        stamp: FileStamp,
        max: u64,
    ) -> Option<Vec<u8>> {
        let read = if stamp.size > max {
            // Not even opened.
            Err(bounded::ReadError::TooLarge { max })
        } else {
            confine::open_resolved(real)
                .map_err(bounded::ReadError::from)
                .and_then(|f| bounded::read_all(f, stamp.size, max))
        };
        match read {
            Ok(bytes) => Some(bytes),
            Err(bounded::ReadError::TooLarge { max }) => {
                self.reject(path, name, stamp, &bounded::too_large(max));
                None
            }
            Err(bounded::ReadError::Io(e)) => {
                tracing::warn!("{}: cannot read: {e}", path.display());
                None
            }
        }
    }

    /// Records a file that is never an object (a link leaving the home, a
    /// file over the size bound) as a problem, logged once per version of
    /// the file; `reason` starts with a space, as `check` prints it after
    /// the path and a colon.
    pub fn reject(&mut self, path: &Path, name: &str, stamp: FileStamp, reason: &str) -> Observed {
        if self
            .problems
            .get(name)
            .is_none_or(|p| p.stamp != stamp || p.reason != reason)
        {
            tracing::warn!("{}:{reason}", path.display());
            self.problems.insert(
                name.to_string(),
                Problem {
                    stamp,
                    reason: reason.to_string(),
                },
            );
        }
        match self.take_object(name) {
            Some(_) => Observed::Changed,
            None => Observed::Unchanged,
        }
    }

    /// The metadata of a valid object; an invalid one is logged and recorded
    /// as a problem instead.
    fn examine(
        &mut self,
        path: &Path,
        name: &str,
        bytes: &[u8],
        etag: Etag,
        stamp: FileStamp,
    ) -> Option<ObjectMeta> {
        let inspected = match self.kind {
            CollectionKind::Calendar => ical::inspect(bytes)
                .map(|i| IndexedInfo::from(&i))
                .map_err(|e| describe(&e)),
            CollectionKind::AddressBook => crate::vcard::inspect(bytes)
                .map(|c| IndexedInfo::from(&c))
                .map_err(|e| describe_card(&e)),
        };
        match inspected {
            Ok(info) => {
                self.problems.remove(name);
                Some(ObjectMeta {
                    etag,
                    stamp,
                    info,
                    seq: 0,
                })
            }
            Err(reason) => {
                tracing::warn!("{}:{reason}", path.display());
                self.problems
                    .insert(name.to_string(), Problem { stamp, reason });
                None
            }
        }
    }

    /// Looks at one file (it may have appeared, changed or vanished).
    pub fn refresh_file(&mut self, dir: &Path, name: &str, max: u64) -> Observed {
        if !self.kind.is_object_name(name) {
            // A file of the other kind: never an object here.
            return Observed::Unchanged;
        }
        let path = dir.join(name);
        let (real, md) = match confine::object_entry(dir, name) {
            Ok(confine::Entry::File { path, md }) => (path, md),
            Ok(confine::Entry::Outside(md)) => {
                return self.reject(
                    &path,
                    name,
                    FileStamp::of(&md),
                    &format!(" {}", confine::OUTSIDE),
                )
            }
            _ => {
                self.problems.remove(name);
                return match self.take_object(name) {
                    Some(_) => Observed::Changed,
                    None => Observed::Unchanged,
                };
            }
        };
        let stamp = FileStamp::of(&md);
        if self.objects.get(name).is_some_and(|m| m.stamp == stamp)
            || self.problems.get(name).is_some_and(|p| p.stamp == stamp)
        {
            return Observed::Unchanged;
        }
        let had_object = self.objects.contains_key(name);
        match self.read_bounded(&path, &real, name, stamp, max) {
            Some(bytes) => self.observe_bytes(&path, name, &bytes, stamp),
            // Over the bound: `reject` took the object out.
            None if had_object && !self.objects.contains_key(name) => Observed::Changed,
            None => Observed::Unchanged,
        }
    }

    /// Records the bytes just read (or written) for `name` with their stamp.
    pub fn observe_bytes(
        &mut self,
        path: &Path,
        name: &str,
        bytes: &[u8],
        stamp: FileStamp,
    ) -> Observed {
        let etag = Etag::of_bytes(bytes);
        if let Some(meta) = self.objects.get_mut(name) {
            if meta.etag == etag {
                meta.stamp = stamp;
                return Observed::Unchanged;
            }
        }
        match self.examine(path, name, bytes, etag, stamp) {
            Some(meta) => {
                self.put_object(name.to_string(), meta);
                Observed::Changed
            }
            None => match self.take_object(name) {
                Some(_) => Observed::Changed,
                None => Observed::Unchanged,
            },
        }
    }

    /// How many new objects to gather before `add_objects`: growing with
    /// the index keeps the number of rebuilds logarithmic.
    pub fn batch_size(&self) -> usize {
        (self.objects.len() / 16).max(4096)
    }

    /// Adds (or replaces) many objects at once, emptying `batch`. A B-tree
    /// filled one key at a time in sorted order leaves its nodes about half
    /// empty (~290 bytes per entry at 100k); merging sorted batches with
    /// `append` rebuilds it densely packed (~170 bytes).
    /// A name given twice counts once (the last wins), as with `put_object`.
    pub fn add_objects(&mut self, batch: &mut Vec<(Name, ObjectMeta)>) {
        let mut more: BTreeMap<Name, ObjectMeta> = batch.drain(..).collect();
        for (name, meta) in &more {
            self.uid_hashes.add(meta.info.uid_hash());
            if let Some(old) = self.objects.get(name).map(|o| o.info.uid_hash()) {
                self.forget_uid(old);
            }
        }
        self.objects.append(&mut more);
    }

    pub fn put_object(&mut self, name: impl Into<Name>, meta: ObjectMeta) -> Option<ObjectMeta> {
        self.uid_hashes.add(meta.info.uid_hash());
        let old = self.objects.insert(name.into(), meta);
        if let Some(o) = &old {
            self.forget_uid(o.info.uid_hash());
        }
        old
    }

    pub fn take_object(&mut self, name: &str) -> Option<ObjectMeta> {
        let old = self.objects.remove(name);
        if let Some(o) = &old {
            self.forget_uid(o.info.uid_hash());
        }
        old
    }

    fn forget_uid(&mut self, h: u64) {
        self.uid_hashes.remove(h);
    }

    /// The object that uses `uid_hash`, looked for under `hint` first: a
    /// lookup, with the scan of every object only when the hash is used
    /// and not under that name.
    pub fn named_uid(&self, uid_hash: u64, hint: &str) -> Option<&str> {
        if self.uid_hashes.count(uid_hash) == 0 {
            return None;
        }
        match self.objects.get_key_value(hint) {
            Some((n, m)) if m.info.uid_hash() == uid_hash => Some(n.as_str()),
            _ => self.find_uid(uid_hash, ""),
        }
    }

    /// The object (other than `except`) that already uses `uid`.
    pub fn find_uid(&self, uid_hash: u64, except: &str) -> Option<&str> {
        let users = self.uid_hashes.count(uid_hash);
        if users == 0 {
            return None;
        }
        // An edit keeps its UID: when `except` is the hash's one user, no
        // other object has it, and the scan of every object is skipped.
        if users == 1
            && self
                .objects
                .get(except)
                .is_some_and(|m| m.info.uid_hash() == uid_hash)
        {
            return None;
        }
        self.objects
            .iter()
            .find(|(n, m)| m.info.uid_hash() == uid_hash && n.as_str() != except)
            .map(|(n, _)| n.as_str())
    }
}

/// `line: reason` as `davdir check` and the log print it.
pub fn describe(e: &ical::IcalError) -> String {
    match e {
        ical::IcalError::Syntax { line, reason } => format!("{line}: {reason}"),
        other => format!("1: {other}"),
    }
}

/// `line: reason` for an invalid vCard, as `describe` for iCalendar.
pub fn describe_card(e: &crate::vcard::VcardError) -> String {
    match e {
        crate::vcard::VcardError::Syntax { line, reason } => format!("{line}: {reason}"),
        other => format!("1: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ical::Span;

    const EV: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u1\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn rescan_detects_add_change_remove_and_problems() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("a.ics"), EV).unwrap();
        fs::write(d.join("bad.ics"), "nonsense").unwrap();
        fs::write(d.join(".a.ics.tmp"), EV).unwrap();
        fs::write(d.join("color"), "#000000").unwrap();
        let mut idx = Index::default();
        assert_eq!(idx.rescan(d).unwrap(), vec!["a.ics"]);
        assert_eq!(idx.objects.len(), 1);
        assert!(idx.problems.contains_key("bad.ics"));
        assert!(idx.rescan(d).unwrap().is_empty());
        // Files new to a known index stay (they are no removals), problems too.
        fs::write(d.join("b.ics"), EV.replace("u1", "u3")).unwrap();
        fs::write(d.join("worse.ics"), "nonsense").unwrap();
        assert_eq!(idx.rescan(d).unwrap(), vec!["b.ics"]);
        assert!(idx.rescan(d).unwrap().is_empty());
        assert!(idx.objects.contains_key("b.ics"));
        assert!(idx.problems.contains_key("bad.ics") && idx.problems.contains_key("worse.ics"));
        fs::remove_file(d.join("b.ics")).unwrap();
        assert_eq!(idx.rescan(d).unwrap(), vec!["b.ics"]);
        // A touch that keeps the bytes is not a change.
        fs::write(d.join("a.ics"), EV).unwrap();
        assert!(idx.rescan(d).unwrap().is_empty());
        fs::write(d.join("a.ics"), EV.replace("u1", "u2")).unwrap();
        assert_eq!(idx.rescan(d).unwrap(), vec!["a.ics"]);
        assert_eq!(idx.objects["a.ics"].info.uid_hash(), uid_hash("u2"));
        fs::remove_file(d.join("a.ics")).unwrap();
        assert_eq!(idx.rescan(d).unwrap(), vec!["a.ics"]);
        assert!(idx.objects.is_empty());
    }

    #[test]
    fn batched_adds_replace_entries_and_keep_uid_counts() {
        let meta = |uid: &str| ObjectMeta {
            etag: Etag::of_bytes(uid.as_bytes()),
            stamp: FileStamp {
                size: 0,
                mtime_ns: 0,
                ctime_ns: 0,
                ino: 0,
            },
            info: IndexedInfo::Calendar {
                uid_hash: uid_hash(uid),
                component: crate::ical::ComponentKind::Event,
                span: Span::Unknown,
                exact: None,
            },
            seq: 0,
        };
        let mut idx = Index::default();
        idx.put_object("a.ics", meta("old"));
        let mut batch: Vec<(Name, ObjectMeta)> = (0..5000)
            .map(|i| (format!("n{i:05}.ics").into(), meta(&format!("u{i}"))))
            .collect();
        batch.push(("a.ics".into(), meta("newer")));
        batch.push(("a.ics".into(), meta("new")));
        idx.add_objects(&mut batch);
        assert!(batch.is_empty());
        assert_eq!(idx.objects.len(), 5001);
        assert_eq!(idx.find_uid(uid_hash("old"), ""), None);
        assert_eq!(idx.find_uid(uid_hash("newer"), ""), None);
        assert_eq!(idx.uid_hashes.total(), 5001);
        assert_eq!(idx.find_uid(uid_hash("new"), ""), Some("a.ics"));
        assert_eq!(idx.find_uid(uid_hash("u4999"), ""), Some("n04999.ics"));
        assert!(idx.objects.keys().is_sorted());
        // An edit of the UID's only user finds no conflict; a second user
        // of the same UID is found from either side.
        assert_eq!(idx.find_uid(uid_hash("u7"), "n00007.ics"), None);
        assert_eq!(
            idx.find_uid(uid_hash("u7"), "other.ics"),
            Some("n00007.ics")
        );
        idx.put_object("z.ics", meta("u7"));
        assert_eq!(idx.find_uid(uid_hash("u7"), "n00007.ics"), Some("z.ics"));
        assert_eq!(idx.find_uid(uid_hash("u7"), "z.ics"), Some("n00007.ics"));
    }
}
