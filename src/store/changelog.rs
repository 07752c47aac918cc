//! Per-calendar change log behind sync tokens (RFC 6578) and getctag.
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

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::commit::{GroupCommit, Pending};
use super::durable::TempFile;
use super::index::Index;

const TOKEN_PREFIX: &str = "http://davdir.invalid/sync/";
/// Removed names beyond this many are forgotten on compaction; tokens from
/// before the oldest forgotten removal are then rejected (valid-sync-token).
const KEEP_DELETED: usize = 10_000;
/// Earlier epochs whose tokens are still answered; older ones are dropped
/// (their holders resync), so the header stays short across many restarts.
const KEEP_EPOCHS: usize = 8;

/// Told the collection and its new sync token each time the token moves,
/// whatever moved it (a request, the watcher, a rescan); it runs under the
/// collection's lock, so it must only hand the news on (push delivery).
pub type ChangeListener = Arc<dyn Fn(&str, &str, &str) + Send + Sync>;

/// Where a collection's log announces its changes: the store's one listener
/// slot (set once, possibly after the log was made) and whose log this is.
#[derive(Clone)]
pub struct Notice {
    pub listener: Arc<std::sync::OnceLock<ChangeListener>>,
    pub user: String,
    pub collection: String,
}

impl std::fmt::Debug for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Notice({}/{})", self.user, self.collection)
    }
}

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

    fn fresh(file: Option<PathBuf>) -> ChangeLog {
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

    /// Loads the log at `file` into `index` (each present object gets its
    /// change number) or starts a new one (new id) when it is missing or
    /// unreadable.
    pub fn open(file: Option<PathBuf>, index: &mut Index) -> ChangeLog {
        if let Some(path) = &file {
            match Self::load(path, index) {
                Ok(Some(log)) => return log,
                Ok(None) => {}
                Err(e) => tracing::warn!(
                    "change log {} unreadable, starting anew: {e}",
                    path.display()
                ),
            }
        }
        ChangeLog::anew(file, index)
    }

    /// A new log (new id, so every earlier token is unknown) over `index`,
    /// replacing any at `file`: for when the saved index was lost (a kill
    /// before its first save), as then the old log names removals only up
    /// to the kill and a token would miss files removed since.
    pub fn anew(file: Option<PathBuf>, index: &mut Index) -> ChangeLog {
        for meta in index.objects.values_mut() {
            meta.seq = 0;
        }
        let mut log = ChangeLog::fresh(file);
        log.rewrite(index);
        log
    }

    fn load(path: &Path, index: &mut Index) -> io::Result<Option<ChangeLog>> {
        let file = match fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mark = FileMark::of(&file.metadata()?);
        let mut lines = BufReader::new(file).lines();
        let header = lines.next().transpose()?.unwrap_or_default();
        let mut parts = header.split(' ');
        let (Some("davdir-log"), Some(id), Some(floor)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "bad header"));
        };
        let floor: u64 = floor
            .parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad floor"))?;
        let mut log = ChangeLog::fresh(Some(path.to_path_buf()));
        log.id = id.to_string();
        log.seq = floor;
        log.floor = floor;
        // `id:last` per earlier epoch; a malformed one is dropped (its
        // tokens resync), never guessed.
        log.epochs = parts
            .filter_map(|p| {
                let (id, last) = p.split_once(':')?;
                Some((id.to_string(), last.parse().ok()?))
            })
            .collect();
        log.reloaded = true;
        log.written = Some(mark);
        for line in lines {
            // A torn last line after a crash is skipped; its change was
            // never acknowledged (appends are synced before replies).
            let line = line?;
            let Some((seq, name)) = line.split_once('\t') else {
                continue;
            };
            let Ok(seq) = seq.parse::<u64>() else {
                continue;
            };
            log.seq = log.seq.max(seq);
            log.lines_in_file += 1;
            if !name.is_empty() {
                log.place(name, seq, index);
            }
        }
        Ok(Some(log))
    }

    /// Files `seq` as the latest change of `name`: in its index entry when
    /// present, else among the removed names.
    fn place(&mut self, name: &str, seq: u64, index: &mut Index) {
        match index.objects.get_mut(name) {
            Some(meta) => {
                meta.seq = meta.seq.max(seq);
                self.removed.remove(name);
            }
            None => {
                let e = self.removed.entry(name.to_string()).or_insert(0);
                *e = (*e).max(seq);
            }
        }
    }

    /// Announces every later change of this log through `notice`.
    pub fn announce_to(&mut self, notice: Notice) {
        self.notice = Some(notice);
    }

    fn announce(&self) {
        if let Some(n) = &self.notice {
            if let Some(listener) = n.listener.get() {
                listener(&n.user, &n.collection, &self.token());
            }
        }
    }

    /// The current sync token (a URI, as RFC 6578 requires).
    pub fn token(&self) -> String {
        format!("{TOKEN_PREFIX}{}-{}", self.id, self.seq)
    }

    /// A short value that moves with every change (getctag).
    pub fn ctag(&self) -> String {
        format!("{}-{}", self.id, self.seq)
    }

    /// A token standing for the state after change number `seq`.
    pub fn token_at(&self, seq: u64) -> String {
        format!("{TOKEN_PREFIX}{}-{seq}", self.id)
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

    /// Names changed after `token` with their change numbers, oldest first;
    /// `None` when the token is not one this log can answer.
    pub fn changed_since(&self, token: &str, index: &Index) -> Option<Vec<(String, u64)>> {
        let seq = self.position_of(token)?;
        let present = index.objects.iter().map(|(n, m)| (n.as_str(), m.seq));
        let gone = self.removed.iter().map(|(n, s)| (n.as_str(), *s));
        let mut names: Vec<(String, u64)> = present
            .chain(gone)
            .filter(|(_, s)| *s > seq)
            .map(|(n, s)| (n.to_string(), s))
            .collect();
        names.sort_by_key(|(_, s)| *s);
        Some(names)
    }

    /// The change number `token` stands for, if this log can answer it: one
    /// of its current epoch up to now, or of an earlier epoch up to where
    /// that epoch ended, never below the floor.
    fn position_of(&self, token: &str) -> Option<u64> {
        let rest = token.strip_prefix(TOKEN_PREFIX)?;
        let (id, seq) = rest.rsplit_once('-')?;
        let seq: u64 = seq.parse().ok()?;
        let last = if id == self.id {
            self.seq
        } else {
            self.epochs.iter().find(|(e, _)| e == id)?.1
        };
        (seq >= self.floor && seq <= last).then_some(seq)
    }

    /// Whether `token` is one this log answers (e.g. the position a saved
    /// index was written at: one beyond the log means the log is older).
    pub fn knows(&self, token: &str) -> bool {
        self.position_of(token).is_some()
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

    /// Appends `lines`, synced when `sync` (else the caller's group sync
    /// does it before the change is acknowledged).
    fn append(&mut self, lines: &str, count: usize, index: &Index, sync: bool) {
        let Some(path) = &self.file else { return };
        if lines.is_empty() {
            return;
        }
        // Synced before the change is acknowledged: a token handed out after
        // it must not be reissued for other changes after a power loss.
        let written = self.written;
        let result = OpenOptions::new()
            .append(true)
            .open(path)
            .and_then(|mut f| {
                let now = FileMark::of(&f.metadata()?);
                if written.is_some_and(|w| w != now) {
                    return Ok(None);
                }
                f.write_all(lines.as_bytes())?;
                if sync {
                    f.sync_data()?;
                }
                Ok(Some(FileMark::of(&f.metadata()?)))
            });
        match result {
            Ok(Some(mark)) => {
                self.lines_in_file += count;
                self.written = Some(mark);
            }
            Ok(None) => {
                // Replaced behind our back (a restored copy): lines appended
                // to it would sit on another history. This log, in memory,
                // is what was handed out; it goes to disk whole instead.
                tracing::warn!(
                    "change log {} was replaced while in use; writing it anew",
                    path.display()
                );
                self.rewrite(index);
                return;
            }
            Err(e) => {
                // The change is not durably numbered: after a crash its number
                // could be given out again. A new log id makes every earlier
                // token unknown instead (clients resync), which is always safe.
                tracing::warn!(
                    "cannot append to change log {}: {e}; starting a new log",
                    path.display()
                );
                self.restart(index);
                return;
            }
        }
        if self.lines_in_file > 2 * self.entries(index) + 1024 {
            self.rewrite(index);
        }
    }

    /// A new log id (every earlier token becomes unknown), written durably.
    fn restart(&mut self, index: &Index) {
        self.id = new_id();
        self.epochs.clear();
        self.reloaded = false;
        self.rewrite(index);
    }

    /// Writes the whole log anew, streamed: header with the floor, then the
    /// latest change per name, then the current number if nothing holds it.
    fn rewrite(&mut self, index: &Index) {
        let Some(path) = &self.file else { return };
        let result = (|| -> io::Result<(usize, FileMark)> {
            let dir = path.parent().ok_or_else(|| io::Error::other("no parent"))?;
            fs::create_dir_all(dir)?;
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("log");
            let mut tmp = TempFile::create(dir, name)?;
            let w = tmp.writer();
            write!(w, "davdir-log {} {}", self.id, self.floor)?;
            for (id, last) in &self.epochs {
                write!(w, " {id}:{last}")?;
            }
            writeln!(w)?;
            let mut lines = 0;
            let mut top = self.floor;
            let present = index
                .objects
                .iter()
                .map(|(n, m)| (n.as_str(), m.seq))
                .filter(|(_, s)| *s > 0);
            let gone = self.removed.iter().map(|(n, s)| (n.as_str(), *s));
            for (name, seq) in present.chain(gone) {
                writeln!(w, "{seq}\t{name}")?;
                top = top.max(seq);
                lines += 1;
            }
            if top < self.seq {
                writeln!(w, "{}\t", self.seq)?;
                lines += 1;
            }
            tmp.commit()?;
            let mark = FileMark::of(&fs::metadata(path)?);
            Ok((lines, mark))
        })();
        match result {
            Ok((lines, mark)) => {
                self.lines_in_file = lines;
                self.written = Some(mark);
            }
            Err(e) => tracing::warn!("cannot write change log {}: {e}", path.display()),
        }
    }

    /// Writes the log anew if its file was replaced behind the server's back,
    /// so what is on disk is again what was handed out (before the index
    /// saved beside it claims a position the file would not know).
    pub fn repair_file(&mut self, index: &Index) {
        let Some(path) = &self.file else { return };
        let Some(written) = self.written else { return };
        let now = fs::metadata(path).ok().map(|m| FileMark::of(&m));
        if now != Some(written) {
            tracing::warn!(
                "change log {} was replaced while in use; writing it anew",
                path.display()
            );
            self.rewrite(index);
        }
    }

    /// Removes the log file, e.g. when its calendar is deleted.
    pub fn discard(self) {
        if let Some(path) = self.file {
            let _ = fs::remove_file(path);
        }
    }
}

/// A fresh random log id.
fn new_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// What tells this log's own file from a copy put in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileMark {
    len: u64,
    mtime_ns: i128,
    ino: u64,
}

impl FileMark {
    fn of(md: &fs::Metadata) -> FileMark {
        use std::os::unix::fs::MetadataExt;
        FileMark {
            len: md.len(),
            mtime_ns: i128::from(md.mtime()) * 1_000_000_000 + i128::from(md.mtime_nsec()),
            ino: md.ino(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::index::{FileStamp, IndexedInfo, ObjectMeta};

    fn meta() -> ObjectMeta {
        ObjectMeta {
            etag: crate::store::Etag::of_bytes(b""),
            stamp: FileStamp {
                size: 0,
                mtime_ns: 0,
                ctime_ns: 0,
                ino: 0,
            },
            info: IndexedInfo::Calendar {
                uid_hash: 0,
                component: crate::ical::ComponentKind::Event,
                span: crate::ical::Span::Unknown,
                exact: None,
            },
            seq: 0,
        }
    }

    fn names(log: &ChangeLog, t: &str, idx: &Index) -> Vec<String> {
        log.changed_since(t, idx)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    #[test]
    fn tokens_move_and_answer_differences() {
        let mut idx = Index::default();
        let mut log = ChangeLog::in_memory();
        let t0 = log.token();
        idx.put_object("a.ics", meta());
        log.record(&["a.ics"], &mut idx);
        let t1 = log.token();
        assert_ne!(t0, t1);
        idx.put_object("b.ics", meta());
        log.record(&["b.ics"], &mut idx);
        idx.take_object("a.ics");
        log.record(&["a.ics"], &mut idx);
        assert_eq!(names(&log, &t0, &idx), vec!["b.ics", "a.ics"]);
        assert_eq!(names(&log, &t1, &idx), vec!["b.ics", "a.ics"]);
        assert!(names(&log, &log.token(), &idx).is_empty());
        assert_eq!(log.token_at(log.seq_of("a.ics", &idx)), log.token());
        assert!(log
            .changed_since("http://davdir.invalid/sync/other-1", &idx)
            .is_none());
        assert!(log.changed_since("garbage", &idx).is_none());
        let ahead = format!("{}{}-{}", TOKEN_PREFIX, log.id, log.seq + 5);
        assert!(log.changed_since(&ahead, &idx).is_none());
    }

    #[test]
    fn survives_reopen_into_a_fresh_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u").join("c.log");
        let mut idx = Index::default();
        let mut log = ChangeLog::open(Some(path.clone()), &mut idx);
        let t0 = log.token();
        idx.put_object("a.ics", meta());
        log.record(&["a.ics"], &mut idx);
        log.record(&["gone.ics"], &mut idx);
        log.bump(&idx);
        let token = log.token();
        let mut again_idx = Index::default();
        again_idx.put_object("a.ics", meta());
        let again = ChangeLog::open(Some(path.clone()), &mut again_idx);
        assert_eq!(again.token(), token);
        assert_eq!(
            again.changed_since(&t0, &again_idx).unwrap(),
            vec![("a.ics".to_string(), 1), ("gone.ics".to_string(), 2)]
        );
        // A rewrite keeps the same answers.
        let mut log = again;
        log.rewrite(&again_idx);
        let mut third_idx = Index::default();
        third_idx.put_object("a.ics", meta());
        let third = ChangeLog::open(Some(path), &mut third_idx);
        assert_eq!(third.token(), token);
        assert_eq!(third.changed_since(&t0, &third_idx).unwrap().len(), 2);
    }

    #[test]
    fn compaction_moves_floor() {
        let mut idx = Index::default();
        let mut log = ChangeLog::in_memory();
        let t0 = log.token();
        let gone: Vec<String> = (0..(KEEP_DELETED + 5))
            .map(|i| format!("{i}.ics"))
            .collect();
        log.record(&gone, &mut idx);
        log.compact(&idx);
        assert!(log.changed_since(&t0, &idx).is_none());
        assert_eq!(log.removed.len(), KEEP_DELETED);
    }

    #[test]
    fn a_reloaded_log_never_gives_a_held_number_another_history() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.log");
        let mut idx = Index::default();
        let mut log = ChangeLog::open(Some(path.clone()), &mut idx);
        idx.put_object("a.ics", meta());
        log.record(&["a.ics"], &mut idx);
        let before = log.token();
        let backup = fs::read(&path).unwrap();
        idx.put_object("b.ics", meta());
        log.record(&["b.ics"], &mut idx);
        let after = log.token();
        // The backup comes back; the index as it was then.
        fs::write(&path, &backup).unwrap();
        let mut idx = Index::default();
        idx.put_object("a.ics", meta());
        let mut log = ChangeLog::open(Some(path.clone()), &mut idx);
        assert!(log.knows(&before) && !log.knows(&after));
        idx.put_object("c.ics", meta());
        log.record(&["c.ics"], &mut idx);
        // Numbered on, yet the token held from after the backup stays unknown.
        assert!(log.changed_since(&after, &idx).is_none());
        assert_eq!(names(&log, &before, &idx), vec!["c.ics"]);
        // So after another restart.
        let mut again = Index::default();
        again.put_object("a.ics", meta());
        again.put_object("c.ics", meta());
        let log = ChangeLog::open(Some(path), &mut again);
        assert!(log.changed_since(&after, &again).is_none());
        assert_eq!(names(&log, &before, &again), vec!["c.ics"]);
    }

    #[test]
    fn a_log_file_replaced_while_in_use_is_written_anew() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.log");
        let mut idx = Index::default();
        let mut log = ChangeLog::open(Some(path.clone()), &mut idx);
        let t0 = log.token();
        let backup = fs::read(&path).unwrap();
        idx.put_object("a.ics", meta());
        log.record(&["a.ics"], &mut idx);
        fs::remove_file(&path).unwrap();
        fs::write(&path, &backup).unwrap();
        idx.put_object("b.ics", meta());
        log.record(&["b.ics"], &mut idx);
        let mut again = Index::default();
        again.put_object("a.ics", meta());
        again.put_object("b.ics", meta());
        let log = ChangeLog::open(Some(path), &mut again);
        assert_eq!(names(&log, &t0, &again), vec!["a.ics", "b.ics"]);
    }

    #[test]
    fn earlier_epochs_are_kept_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.log");
        let mut idx = Index::default();
        let mut log = ChangeLog::open(Some(path.clone()), &mut idx);
        let first = log.token();
        for _ in 0..KEEP_EPOCHS + 2 {
            log = ChangeLog::open(Some(path.clone()), &mut idx);
            log.bump(&idx);
        }
        assert_eq!(log.epochs.len(), KEEP_EPOCHS);
        assert!(!log.knows(&first));
        assert!(log.knows(&log.token_at(log.seq - 1)));
    }
}
