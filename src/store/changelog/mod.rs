//! Per-collection change log behind sync tokens (RFC 6578) and getctag.
//!
//! Only the latest change per object name matters for a sync answer. For a
//! present object that number lives in its index entry (`ObjectMeta::seq`),
//! so 100k objects cost no second per-name map; the log itself keeps the
//! names that were removed. On disk it is derived state in the cache
//! directory: an append-only file of `seq<TAB>name` lines, compacted when it
//! grows; losing it only invalidates tokens (a new random log id makes old
//! tokens unknown).
//!
//! A log read back from disk may be older than what the server last handed
//! out (a backup restored, or a crash losing the log's tail): numbering on
//! under its id would give a token already held by a client a different
//! history. So the first change after loading starts a new epoch (a new id);
//! the loaded id stays answerable up to the number it was loaded at, which
//! a restored log shares with the data restored beside it.
//!
//! This module keeps the numbering; `file` is the log on disk, `tokens`
//! what a sync token says and can answer, `notice` who hears of a change.

mod file;
mod notice;
mod tokens;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::commit::{GroupCommit, Pending};
use super::index::Index;

use file::FileMark;
pub use notice::{ChangeListener, Notice};

/// Removed names beyond this many are forgotten on compaction; tokens from
/// before the oldest forgotten removal are then rejected (valid-sync-token).
const KEEP_DELETED: usize = 10_000;
/// Earlier epochs whose tokens are still answered; older ones are dropped
/// (their holders resync), so the header stays short across many restarts.
const KEEP_EPOCHS: usize = 8;

#[derive(Debug)]
pub struct ChangeLog {
    id: String,
    seq: u64,
    /// Tokens below this sequence number can no longer be answered.
    floor: u64,
    /// Ids of earlier epochs with the last number each may answer for.
    epochs: Vec<(String, u64)>,
    /// Loaded from disk and not yet moved on: the next change starts a new
    /// epoch, as numbers past the loaded ones may already have been issued.
    reloaded: bool,
    /// The file as this log last left it; another size, mtime or inode means
    /// it was replaced behind the server's back (a restore while running).
    written: Option<FileMark>,
    /// Names not in the index, with the number of their removal.
    removed: HashMap<String, u64>,
    file: Option<PathBuf>,
    lines_in_file: usize,
    /// Shares the log's (and the directory's) fsync among writers.
    commit: Arc<GroupCommit>,
    notice: Option<Notice>,
}

impl ChangeLog {
    /// A log kept in memory only (no cache directory).
    pub fn in_memory() -> ChangeLog {
        ChangeLog::fresh(None)
    }

    pub(super) fn fresh(file: Option<PathBuf>) -> ChangeLog {
        ChangeLog {
            id: new_id(),
            seq: 0,
            floor: 0,
            epochs: Vec::new(),
            reloaded: false,
            written: None,
            removed: HashMap::new(),
            file,
            lines_in_file: 0,
            commit: GroupCommit::new(),
            notice: None,
        }
    }

    /// Records changes (creation, edit or removal) of objects, with one
    /// synced append. The index must already show their new state.
    pub fn record<S: AsRef<str>>(&mut self, names: &[S], index: &mut Index) {
        let lines = self.number(names, index);
        self.append(&lines, names.len(), index, true);
        if !names.is_empty() {
            self.announce();
        }
    }

    /// Like `record`, but the append is left to the group sync: the change
    /// made in `dir` and its log line are durable once the returned
    /// `Pending` is waited for (outside the collection lock; `commit.rs`).
    pub fn record_deferred<S: AsRef<str>>(
        &mut self,
        names: &[S],
        index: &mut Index,
        dir: &Path,
    ) -> Pending {
        let lines = self.number(names, index);
        self.append(&lines, names.len(), index, false);
        if !names.is_empty() {
            self.announce();
        }
        self.commit.issue(dir, self.file.as_deref())
    }

    /// What a reader must wait for before answering from the state it saw
    /// under the lock: None when no change is waiting for its sync.
    pub fn pending(&self) -> Option<Pending> {
        self.commit.pending()
    }

    /// Gives `names` their change numbers; the log lines to append.
    fn number<S: AsRef<str>>(&mut self, names: &[S], index: &mut Index) -> String {
        if self.commit.take_log_doubt() {
            // A group sync of this log failed: its tail may not be on disk,
            // so its numbers could be given out again after a power loss.
            self.restart(index);
        }
        if !names.is_empty() {
            self.move_on(index);
        }
        let mut lines = String::new();
        for name in names {
            self.seq += 1;
            let name = name.as_ref();
            if let Some(meta) = index.objects.get_mut(name) {
                meta.seq = self.seq;
                self.removed.remove(name);
            } else {
                self.removed.insert(name.to_string(), self.seq);
            }
            lines.push_str(&format!("{}\t{name}\n", self.seq));
        }
        lines
    }

    /// Records a change of the collection itself (its properties).
    pub fn bump(&mut self, index: &Index) {
        self.move_on(index);
        self.seq += 1;
        let line = format!("{}\t\n", self.seq);
        self.append(&line, 1, index, true);
        self.announce();
    }

    /// The change number of an object's latest change (0 if unknown).
    pub fn seq_of(&self, name: &str, index: &Index) -> u64 {
        match index.objects.get(name) {
            Some(meta) => meta.seq,
            None => self.removed.get(name).copied().unwrap_or(0),
        }
    }

    /// Starts a new epoch before the first number given out after loading:
    /// the loaded id stays valid only up to the loaded number.
    fn move_on(&mut self, index: &Index) {
        if !self.reloaded {
            return;
        }
        self.reloaded = false;
        let old = std::mem::replace(&mut self.id, new_id());
        self.epochs.push((old, self.seq));
        let excess = self.epochs.len().saturating_sub(KEEP_EPOCHS);
        self.epochs.drain(..excess);
        // The new id is on disk before any number of it is handed out.
        self.rewrite(index);
    }

    /// Forgets the oldest removals once there are too many, moving the floor
    /// past them, so the log stays bounded by the calendar's size.
    pub fn compact(&mut self, index: &Index) {
        if self.removed.len() > KEEP_DELETED {
            let mut gone: Vec<(String, u64)> =
                self.removed.iter().map(|(n, s)| (n.clone(), *s)).collect();
            gone.sort_by_key(|(_, s)| *s);
            let drop = gone.len() - KEEP_DELETED;
            for (name, seq) in gone.into_iter().take(drop) {
                self.removed.remove(&name);
                self.floor = self.floor.max(seq);
            }
            self.rewrite(index);
        }
    }

    fn entries(&self, index: &Index) -> usize {
        index.objects.len() + self.removed.len()
    }

    /// A new log id (every earlier token becomes unknown), written durably.
    fn restart(&mut self, index: &Index) {
        self.id = new_id();
        self.epochs.clear();
        self.reloaded = false;
        self.rewrite(index);
    }
}

/// A fresh random log id.
fn new_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

#[cfg(test)]
mod tests;
