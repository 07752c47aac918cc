//! Per-calendar change log behind sync tokens (RFC 6578) and getctag.
//!
//! Only the latest change per object name matters for a sync answer, so the
//! log keeps one sequence number per name. It is derived state in the cache
//! directory: an append-only file that is compacted when it grows; losing it
//! only invalidates tokens (a new random log id makes old tokens unknown).

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::durable;

const TOKEN_PREFIX: &str = "http://caldir.invalid/sync/";
/// Deleted names older than this many entries are forgotten on compaction;
/// tokens from before that point are then rejected with valid-sync-token.
const KEEP_DELETED: usize = 10_000;

#[derive(Debug)]
pub struct ChangeLog {
    id: String,
    seq: u64,
    /// Tokens below this sequence number can no longer be answered.
    floor: u64,
    latest: HashMap<String, u64>,
    file: Option<PathBuf>,
    lines_in_file: usize,
}

impl ChangeLog {
    /// Loads the log at `file` or starts a new one (new id) when it is
    /// missing or unreadable. `None` keeps the log in memory only.
    pub fn open(file: Option<PathBuf>) -> ChangeLog {
        if let Some(path) = &file {
            match Self::load(path) {
                Ok(Some(log)) => return log,
                Ok(None) => {}
                Err(e) => tracing::warn!(
                    "change log {} unreadable, starting anew: {e}",
                    path.display()
                ),
            }
        }
        let mut log = ChangeLog {
            id: format!("{:016x}", rand::random::<u64>()),
            seq: 0,
            floor: 0,
            latest: HashMap::new(),
            file,
            lines_in_file: 0,
        };
        log.rewrite();
        log
    }

    fn load(path: &Path) -> io::Result<Option<ChangeLog>> {
        let text = match fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut lines = text.lines();
        let header = lines.next().unwrap_or_default();
        let mut parts = header.split(' ');
        let (Some("caldir-log"), Some(id), Some(floor)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "bad header"));
        };
        let floor: u64 = floor
            .parse()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad floor"))?;
        let mut log = ChangeLog {
            id: id.to_string(),
            seq: floor,
            floor,
            latest: HashMap::new(),
            file: Some(path.to_path_buf()),
            lines_in_file: 0,
        };
        for line in lines {
            // A torn last line after a crash is skipped; the token it would
            // have produced was never handed out durably.
            let Some((seq, name)) = line.split_once('\t') else {
                continue;
            };
            let Ok(seq) = seq.parse::<u64>() else {
                continue;
            };
            log.seq = log.seq.max(seq);
            if !name.is_empty() {
                log.latest.insert(name.to_string(), seq);
            }
            log.lines_in_file += 1;
        }
        Ok(Some(log))
    }

    /// The current sync token (a URI, as RFC 6578 requires).
    pub fn token(&self) -> String {
        format!("{TOKEN_PREFIX}{}-{}", self.id, self.seq)
    }

    /// A short value that moves with every change (getctag).
    pub fn ctag(&self) -> String {
        format!("{}-{}", self.id, self.seq)
    }

    /// Records that the object `name` was created, changed or removed.
    pub fn record(&mut self, name: &str) {
        self.record_all(std::slice::from_ref(&name));
    }

    /// Records several changes with one append (a rescan may find thousands).
    pub fn record_all<S: AsRef<str>>(&mut self, names: &[S]) {
        let mut lines = String::new();
        for name in names {
            self.seq += 1;
            self.latest.insert(name.as_ref().to_string(), self.seq);
            lines.push_str(&format!("{}\t{}\n", self.seq, name.as_ref()));
        }
        self.append(&lines, names.len());
    }

    /// Records a change of the collection itself (its properties).
    pub fn bump(&mut self) {
        self.seq += 1;
        let line = format!("{}\t\n", self.seq);
        self.append(&line, 1);
    }

    /// A token standing for the state after change number `seq`.
    pub fn token_at(&self, seq: u64) -> String {
        format!("{TOKEN_PREFIX}{}-{seq}", self.id)
    }

    /// The change number of an object's latest change (0 if unknown).
    pub fn seq_of(&self, name: &str) -> u64 {
        self.latest.get(name).copied().unwrap_or(0)
    }

    /// Names changed after `token` with their change numbers, oldest first;
    /// `None` when the token is not one this log can answer.
    pub fn changed_since(&self, token: &str) -> Option<Vec<(String, u64)>> {
        let rest = token.strip_prefix(TOKEN_PREFIX)?;
        let (id, seq) = rest.rsplit_once('-')?;
        let seq: u64 = seq.parse().ok()?;
        if id != self.id || seq < self.floor || seq > self.seq {
            return None;
        }
        let mut names: Vec<(String, u64)> = self
            .latest
            .iter()
            .filter(|(_, s)| **s > seq)
            .map(|(n, s)| (n.clone(), *s))
            .collect();
        names.sort_by_key(|(_, s)| *s);
        Some(names)
    }

    /// Forgets names that no longer exist once there are too many, moving the
    /// floor past them, so the log stays bounded by the calendar's size.
    pub fn compact(&mut self, exists: impl Fn(&str) -> bool) {
        let mut gone: Vec<(String, u64)> = self
            .latest
            .iter()
            .filter(|(n, _)| !exists(n))
            .map(|(n, s)| (n.clone(), *s))
            .collect();
        if gone.len() > KEEP_DELETED {
            gone.sort_by_key(|(_, s)| *s);
            let drop = gone.len() - KEEP_DELETED;
            for (name, seq) in gone.into_iter().take(drop) {
                self.latest.remove(&name);
                self.floor = self.floor.max(seq);
            }
        }
        if self.lines_in_file > 2 * self.latest.len() + 1024 || self.floor > 0 {
            self.rewrite();
        }
    }

    fn append(&mut self, lines: &str, count: usize) {
        let Some(path) = &self.file else { return };
        if lines.is_empty() {
            return;
        }
        let result = OpenOptions::new()
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(lines.as_bytes()));
        match result {
            Ok(()) => self.lines_in_file += count,
            Err(e) => tracing::warn!("cannot append to change log {}: {e}", path.display()),
        }
        if self.lines_in_file > 2 * self.latest.len() + 1024 {
            self.rewrite();
        }
    }

    /// Writes the whole log anew (header with floor, then latest per name).
    fn rewrite(&mut self) {
        let Some(path) = &self.file else { return };
        let mut entries: Vec<(&String, &u64)> = self.latest.iter().collect();
        entries.sort_by_key(|(_, s)| **s);
        // The current seq is kept as the floor when nothing else records it.
        let mut text = format!("caldir-log {} {}\n", self.id, self.floor);
        for (name, seq) in &entries {
            text.push_str(&format!("{seq}\t{name}\n"));
        }
        if entries.last().map(|(_, s)| **s) != Some(self.seq) && self.seq > self.floor {
            text.push_str(&format!("{}\t\n", self.seq));
        }
        let result = path
            .parent()
            .map(|dir| {
                fs::create_dir_all(dir)?;
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("log");
                durable::write_file(dir, name, text.as_bytes())
            })
            .unwrap_or(Ok(()));
        match result {
            Ok(()) => self.lines_in_file = text.lines().count() - 1,
            Err(e) => tracing::warn!("cannot write change log {}: {e}", path.display()),
        }
    }

    /// Removes the log file, e.g. when its calendar is deleted.
    pub fn discard(self) {
        if let Some(path) = self.file {
            let _ = fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_move_and_answer_differences() {
        let mut log = ChangeLog::open(None);
        let t0 = log.token();
        log.record("a.ics");
        let t1 = log.token();
        assert_ne!(t0, t1);
        log.record("b.ics");
        log.record("a.ics");
        let names = |t: &str| {
            log.changed_since(t)
                .unwrap()
                .into_iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&t0), vec!["b.ics", "a.ics"]);
        assert_eq!(names(&t1), vec!["b.ics", "a.ics"]);
        assert!(names(&log.token()).is_empty());
        assert_eq!(log.token_at(log.seq_of("a.ics")), log.token());
        assert!(log
            .changed_since("http://caldir.invalid/sync/other-1")
            .is_none());
        assert!(log.changed_since("garbage").is_none());
        let ahead = format!("{}{}-{}", TOKEN_PREFIX, log.id, log.seq + 5);
        assert!(log.changed_since(&ahead).is_none());
    }

    #[test]
    fn survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("u").join("c.log");
        let mut log = ChangeLog::open(Some(path.clone()));
        let t0 = log.token();
        log.record("a.ics");
        log.bump();
        let token = log.token();
        let again = ChangeLog::open(Some(path));
        assert_eq!(again.token(), token);
        assert_eq!(
            again.changed_since(&t0).unwrap(),
            vec![("a.ics".to_string(), 1)]
        );
    }

    #[test]
    fn compaction_moves_floor() {
        let mut log = ChangeLog::open(None);
        let t0 = log.token();
        for i in 0..(KEEP_DELETED + 5) {
            log.record(&format!("{i}.ics"));
        }
        log.compact(|_| false);
        assert!(log.changed_since(&t0).is_none());
        assert_eq!(log.latest.len(), KEEP_DELETED);
    }
}
