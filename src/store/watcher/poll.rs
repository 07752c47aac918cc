//! `watch = "poll"`: finds outside edits by stats, for data directories on
//! NFS or SMB, where inotify hears only of this machine's own changes.
//!
//! Every `poll_interval` a round lists each home and collection and stats
//! each object file once (`fstatat` relative to the listing), comparing
//! size, mtime, ctime and inode with the stamp the index holds: no other
//! record of the last round is kept, and a file is read only when its stamp
//! moved (then `Store::apply` re-reads it, exactly as for an inotify event).
//! A same-size edit in place moves the mtime and ctime, so it is found too.
//!
//! Removals: a collection whose listing matched fewer names than its index
//! holds is listed once more into a set of name hashes, and the missing
//! names are handed on. Collections themselves are compared by a hash of
//! their directory's inode and their property files' stamps; one that
//! appears or vanishes, or whose properties changed, goes into the batch.
//!
//! Locks: a collection's lock is taken per chunk of `CHUNK` stamps (a lookup
//! each), never across a listing or a stat, and the batch is applied
//! whenever it holds `CHUNK` files, so a round over 100k objects blocks no
//! request for long and holds no list of them.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::hash::{Hash, Hasher};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::super::collection_props::PROPERTY_FILES;
use super::super::entry::name_hash;
use super::super::registry::Cell;
use super::super::{FileStamp, Store};
use super::{visible_subdirs, Batch};

/// Stamps compared per lock of a calendar, and files handed on per batch.
const CHUNK: usize = 1024;

/// (user, collection) as the store's cells are keyed.
type Key = (String, String);

/// What a round did, for the log and the bench.
#[derive(Debug, Default, Clone, Copy)]
pub struct RoundStats {
    /// Collections listed.
    pub collections: usize,
    /// Object files stat'ed.
    pub files: usize,
    /// Files handed on because their stamp moved (or they went away).
    pub changed: usize,
}

/// The poller's memory between rounds: one fingerprint per collection.
pub struct Poller {
    store: Arc<Store>,
    seen: HashMap<Key, u64>,
}

impl Poller {
    /// A poller whose first round reports only what changes after now.
    pub fn new(store: Arc<Store>) -> Poller {
        let mut poller = Poller {
            store,
            seen: HashMap::new(),
        };
        poller.round();
        poller
    }

    /// One round over every home and collection; changes go to the store
    /// as they are found.
    pub fn round(&mut self) -> RoundStats {
        let first = self.seen.is_empty();
        let mut stats = RoundStats::default();
        let mut batch = Batch::default();
        let mut now_seen: HashMap<Key, u64> = HashMap::with_capacity(self.seen.len());
        let root = self.store.root().to_path_buf();
        let cache = self.store.cache_dir().map(Path::to_path_buf);
        for (user, home) in visible_subdirs(&root, cache.as_deref()) {
            for (name, dir) in visible_subdirs(&home, cache.as_deref()) {
                stats.collections += 1;
                let key = (user.clone(), name);
                let print = fingerprint(&dir);
                // A new collection is loaded from disk when first used, so
                // only a changed one is news (and a first round knows none).
                if self.seen.get(&key).is_some_and(|old| *old != print) {
                    batch.collections.insert(key.clone());
                }
                let cell = self.store.cells.lock().get(&key).cloned();
                if let Some(cell) = cell {
                    self.scan(&cell, &key, &dir, &mut batch, &mut stats);
                }
                now_seen.insert(key, print);
            }
        }
        if !first {
            for key in self.seen.keys().filter(|k| !now_seen.contains_key(*k)) {
                batch.collections.insert(key.clone());
            }
        }
        self.seen = now_seen;
        self.hand_on(&mut batch, &mut stats);
        stats
    }

    /// Compares one loaded collection's files with its index.
    fn scan(&self, cell: &Cell, key: &Key, dir: &Path, batch: &mut Batch, stats: &mut RoundStats) {
        let kind = cell.state.lock().index.kind;
        let Ok(listing) = fs::read_dir(dir) else {
            return; // gone: the collection's fingerprint tells
        };
        let mut chunk: Vec<(String, Option<FileStamp>)> = Vec::with_capacity(CHUNK);
        let mut known = 0;
        for entry in listing.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if !kind.is_object_name(&name) {
                continue;
            }
            // A link has no stamp of its own here: `refresh_file` follows
            // it (within its home) and compares the target's.
            let stamp = entry
                .file_type()
                .is_ok_and(|t| t.is_file())
                .then(|| entry.metadata().ok())
                .flatten()
                .map(|md| FileStamp::of(&md));
            stats.files += 1;
            chunk.push((name, stamp));
            if chunk.len() >= CHUNK {
                known += compare(cell, key, &mut chunk, batch);
                self.hand_on_when_full(batch, stats);
            }
        }
        known += compare(cell, key, &mut chunk, batch);
        let indexed = {
            let state = cell.state.lock();
            state.index.objects.len() + state.index.problems.len()
        };
        if indexed > known {
            removed(cell, key, dir, kind, batch);
        }
        self.hand_on_when_full(batch, stats);
    }

    fn hand_on_when_full(&self, batch: &mut Batch, stats: &mut RoundStats) {
        if batch.files.len() >= CHUNK {
            self.hand_on(batch, stats);
        }
    }

    /// Gives the store what the batch holds, leaving it empty.
    fn hand_on(&self, batch: &mut Batch, stats: &mut RoundStats) {
        if batch.is_empty() {
            return;
        }
        stats.changed += batch.files.len();
        self.store.apply(std::mem::take(batch));
    }
}

/// Puts each name of `chunk` whose stamp differs from the index's (or that
/// the index does not know) into the batch, emptying `chunk`; returns how
/// many of them the index knows.
fn compare(
    cell: &Cell,
    key: &Key,
    chunk: &mut Vec<(String, Option<FileStamp>)>,
    batch: &mut Batch,
) -> usize {
    let state = cell.state.lock();
    let mut known = 0;
    for (name, stamp) in chunk.drain(..) {
        let had = state
            .index
            .objects
            .get(name.as_str())
            .map(|m| m.stamp)
            .or_else(|| state.index.problems.get(&name).map(|p| p.stamp));
        known += usize::from(had.is_some());
        if had.is_none() || had != stamp {
            batch.files.insert((key.0.clone(), key.1.clone(), name));
        }
    }
    known
}

/// Puts the names the index holds but the directory no longer lists into
/// the batch (a file renamed away or removed).
fn removed(
    cell: &Cell,
    key: &Key,
    dir: &Path,
    kind: super::super::CollectionKind,
    batch: &mut Batch,
) {
    let Ok(listing) = fs::read_dir(dir) else {
        return;
    };
    let present: HashSet<u64> = listing
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(name_hash))
        .collect();
    let state = cell.state.lock();
    let names = state.index.objects.keys().map(|n| n.as_str());
    let problems = state.index.problems.keys().map(String::as_str);
    for name in names.chain(problems) {
        if kind.is_object_name(name) && !present.contains(&name_hash(name)) {
            batch
                .files
                .insert((key.0.clone(), key.1.clone(), name.to_string()));
        }
    }
}

/// A hash of what makes a collection itself: its directory's inode (a
/// directory made anew under the same name differs) and each property
/// file's stamp, or its absence.
fn fingerprint(dir: &Path) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    fs::metadata(dir).map(|md| md.ino()).ok().hash(&mut h);
    for name in PROPERTY_FILES {
        let stamp = fs::symlink_metadata(dir.join(name))
            .ok()
            .map(|md| FileStamp::of(&md));
        stamp
            .map(|s| (s.size, s.mtime_ns, s.ctime_ns, s.ino))
            .hash(&mut h);
    }
    h.finish()
}

/// Stops the polling thread when dropped.
pub struct PollHandle {
    _stop: Sender<()>,
}

/// Starts polling every `interval` in a thread; the first round, taken
/// before this returns, sets what later rounds compare with.
pub fn spawn(store: Arc<Store>, interval: Duration) -> std::io::Result<PollHandle> {
    let (stop, stopped) = channel();
    let poller = Poller::new(store.clone());
    store.set_watched(true);
    std::thread::Builder::new()
        .name("davdir-poll".into())
        .spawn(move || run(poller, stopped, interval))?;
    Ok(PollHandle { _stop: stop })
}

fn run(mut poller: Poller, stopped: Receiver<()>, interval: Duration) {
    let mut next = Instant::now() + interval;
    loop {
        match stopped.recv_timeout(next.saturating_duration_since(Instant::now())) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return, // the handle was dropped: the server is stopping
        }
        let started = Instant::now();
        let stats = poller.round();
        let took = started.elapsed();
        tracing::debug!(
            "poll round: {} collections, {} files, {} changed in {:.1} ms",
            stats.collections,
            stats.files,
            stats.changed,
            took.as_secs_f64() * 1000.0
        );
        // A round slower than the interval still leaves the machine as
        // much time again, so polling never takes a core whole.
        next = (started + interval).max(Instant::now() + took);
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::FileExt;

    use super::*;
    use crate::store::{SyncChange, DEFAULT_CALENDAR};

    fn event(uid: &str) -> String {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
             DTSTART:20260101T100000Z\r\nSUMMARY:{uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    }

    /// A round over more than a chunk of files hands on exactly the files
    /// whose stamp moved: nothing when nothing did, and then a same-size
    /// edit in place, a removal and a new file, which enter the change log.
    #[test]
    fn a_round_hands_on_only_what_moved() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::open(d.path(), None).unwrap();
        store.ensure_home("u").unwrap();
        store.set_watched(true);
        let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for i in 0..CHUNK + 5 {
            let path = cal.dir().join(format!("{i:04}.ics"));
            fs::write(&path, event(&format!("e{i:04}"))).unwrap();
            // An old mtime, so the edit below moves it whatever the clock's grain.
            fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        cal.objects_where(|_| false).unwrap(); // indexes them all
        let token = cal.sync_token().unwrap();
        let mut poller = Poller::new(store.clone());

        let quiet = poller.round();
        assert_eq!((quiet.collections, quiet.files), (1, CHUNK + 5));
        assert_eq!(quiet.changed, 0, "an unchanged file was handed on");

        let edited = cal.dir().join("0003.ics");
        let size = fs::metadata(&edited).unwrap().len();
        let file = fs::File::options().write(true).open(&edited).unwrap();
        file.write_at(b"X", size - 30).unwrap();
        assert_eq!(fs::metadata(&edited).unwrap().len(), size);
        fs::remove_file(cal.dir().join("1000.ics")).unwrap();
        fs::write(cal.dir().join("new.ics"), event("new")).unwrap();

        let moved = poller.round();
        assert_eq!(moved.changed, 3);
        let mut changes: Vec<String> = cal
            .changes_since(&token, None)
            .unwrap()
            .changes
            .into_iter()
            .map(|c| match c {
                SyncChange::Changed(n, _) => format!("changed {n}"),
                SyncChange::Removed(n) => format!("removed {n}"),
            })
            .collect();
        changes.sort();
        assert_eq!(
            changes,
            ["changed 0003.ics", "changed new.ics", "removed 1000.ics"]
        );
        assert_eq!(poller.round().changed, 0);
    }
}
