//! Group commit: concurrent writers of one collection share the directory
//! fsync and the change-log fsync instead of paying one each.
//!
//! A PUT writes and fsyncs its temp file outside the collection lock; under
//! the lock it renames it into place, updates the index and appends its
//! change-log line (both written to the kernel, not yet synced), and takes a
//! ticket. With the lock released it waits until a sync of the directory and
//! of the log, started after its ticket was issued, has completed; one waiter
//! (the leader) runs that sync for every ticket issued so far, the others
//! wait for it. Only then is the write acknowledged, so the promise is what
//! it was: an acknowledged write is in its file, in the directory and in the
//! log on disk. A kill -9 loses nothing the kernel has been given; a power
//! loss can only lose writes whose waiters have not returned yet.
//!
//! What a reader can see before the sync: with the lock released early, the
//! index (ETags, sync tokens, the file itself) shows a write whose directory
//! entry and log line are not yet on disk. Today a reader never saw that (the
//! lock was held through both fsyncs), and a sync token handed out for such
//! a state could, after a power loss, be given out again for another change,
//! so a client would miss it. Readers therefore settle too: whatever reads
//! the collection's index under its lock takes `pending()` there and waits
//! for it after releasing the lock, joining the same group sync. An answer
//! thus never shows a state that is not yet durable, exactly as before; a
//! reader pays nothing when no write is in flight.
//!
//! A failed sync fails every ticket of its batch (the writers get an error,
//! not an acknowledgement) and marks the log as doubtful: its next writer
//! starts a new log id, so tokens handed out earlier become unknown and
//! clients resync rather than miss a change.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

/// The shared sync of one collection's directory and change log.
#[derive(Debug, Default)]
pub struct GroupCommit {
    progress: Mutex<Progress>,
    synced: Condvar,
}

#[derive(Debug, Default)]
struct Progress {
    /// Tickets handed out so far (the last one's number).
    issued: u64,
    /// Every ticket up to this one is durable.
    synced: u64,
    /// A leader is syncing now.
    syncing: bool,
    /// What the next sync covers: the collection directory and the log file.
    dir: Option<PathBuf>,
    log: Option<PathBuf>,
    /// The last failed batch: tickets in (from, to] get its error.
    failed: Option<Failure>,
    /// A log sync failed since the log last looked.
    log_doubtful: bool,
}

#[derive(Debug, Clone)]
struct Failure {
    from: u64,
    to: u64,
    kind: io::ErrorKind,
    message: String,
}

/// A change waiting for the group sync; `wait` returns once it is durable.
#[derive(Debug)]
#[must_use = "a pending change is durable only once waited for"]
pub struct Pending {
    commit: Arc<GroupCommit>,
    ticket: u64,
}

impl GroupCommit {
    pub fn new() -> Arc<GroupCommit> {
        Arc::new(GroupCommit::default())
    }

    /// Called under the collection lock once the change is in the directory
    /// and its log line appended: the ticket that covers it.
    pub fn issue(self: &Arc<Self>, dir: &Path, log: Option<&Path>) -> Pending {
        let mut p = self.progress.lock();
        p.issued += 1;
        if p.dir.as_deref() != Some(dir) {
            p.dir = Some(dir.to_path_buf());
        }
        if p.log.as_deref() != log {
            p.log = log.map(Path::to_path_buf);
        }
        Pending {
            commit: self.clone(),
            ticket: p.issued,
        }
    }

    /// Called under the collection lock by a reader: what it must wait for
    /// before answering, None when everything issued is already durable.
    pub fn pending(self: &Arc<Self>) -> Option<Pending> {
        let p = self.progress.lock();
        (p.issued > p.synced).then(|| Pending {
            commit: self.clone(),
            ticket: p.issued,
        })
    }

    /// Whether a log sync failed since the last call (the log then starts a
    /// new id: its tail may not be on disk).
    pub fn take_log_doubt(&self) -> bool {
        std::mem::take(&mut self.progress.lock().log_doubtful)
    }

    fn wait(&self, ticket: u64) -> io::Result<()> {
        let mut p = self.progress.lock();
        loop {
            if let Some(f) = &p.failed {
                if f.from < ticket && ticket <= f.to {
                    return Err(io::Error::new(f.kind, f.message.clone()));
                }
            }
            if p.synced >= ticket {
                return Ok(());
            }
            if p.syncing {
                self.synced.wait(&mut p);
                continue;
            }
            // Lead: one sync for every ticket issued so far.
            p.syncing = true;
            let (from, to) = (p.synced, p.issued);
            let (dir, log) = (p.dir.clone(), p.log.clone());
            let result = parking_lot::MutexGuard::unlocked(&mut p, || sync(dir, log));
            p.syncing = false;
            match result {
                Ok(()) => p.synced = p.synced.max(to),
                Err((e, log_failed)) => {
                    p.log_doubtful |= log_failed;
                    p.failed = Some(Failure {
                        from,
                        to,
                        kind: e.kind(),
                        message: e.to_string(),
                    });
                }
            }
            self.synced.notify_all();
        }
    }
}

impl Pending {
    /// Blocks until the change is on disk (leading the sync if nobody is).
    pub fn wait(self) -> io::Result<()> {
        self.commit.wait(self.ticket)
    }
}

/// fsync of the directory (its renames and removals), then of the log file
/// (its appended lines). The error says whether the log's sync failed.
fn sync(dir: Option<PathBuf>, log: Option<PathBuf>) -> Result<(), (io::Error, bool)> {
    if let Some(dir) = dir {
        super::durable::sync_dir(&dir).map_err(|e| (e, false))?;
    }
    if let Some(log) = log {
        match std::fs::File::open(&log).and_then(|f| f.sync_data()) {
            Ok(()) => {}
            // A log rewritten since is durable by its own rename and sync,
            // and one that is gone only makes tokens unknown.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err((e, true)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sync_covers_every_ticket_issued_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        std::fs::write(&log, "x").unwrap();
        let commit = GroupCommit::new();
        assert!(commit.pending().is_none());
        let a = commit.issue(dir.path(), Some(&log));
        let b = commit.issue(dir.path(), Some(&log));
        let reader = commit.pending().expect("writes in flight");
        b.wait().unwrap();
        // b's sync covered a and the reader's point: no second sync needed.
        assert_eq!(commit.progress.lock().synced, 2);
        a.wait().unwrap();
        reader.wait().unwrap();
        assert!(commit.pending().is_none());
    }

    #[test]
    fn concurrent_waiters_all_return_durable() {
        let dir = tempfile::tempdir().unwrap();
        let commit = GroupCommit::new();
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (commit, dir) = (commit.clone(), dir.path().to_path_buf());
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        let p = commit.issue(&dir, None);
                        let ticket = p.ticket;
                        p.wait().unwrap();
                        assert!(commit.progress.lock().synced >= ticket);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let p = commit.progress.lock();
        assert_eq!((p.issued, p.synced, p.syncing), (160, 160, false));
    }

    #[test]
    fn a_failed_sync_fails_its_batch_and_doubts_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let commit = GroupCommit::new();
        // A directory that is gone cannot be synced.
        let gone = dir.path().join("gone");
        let p = commit.issue(&gone, None);
        assert!(p.wait().is_err());
        assert!(!commit.take_log_doubt());
        // A later batch on a sound directory succeeds.
        let p = commit.issue(dir.path(), None);
        p.wait().unwrap();
        // A log that cannot be synced (a directory cannot be opened for
        // sync_data on every system, so use a path below a file).
        let file = dir.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let p = commit.issue(dir.path(), Some(&file.join("log")));
        assert!(p.wait().is_err());
        assert!(commit.take_log_doubt());
        assert!(!commit.take_log_doubt());
    }
}
