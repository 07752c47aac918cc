//! The outgoing mail queue: one file per message in `imip-queue/` of the
//! state directory, so an invitation accepted while the relay is down, or
//! just before a restart, is still sent. Each file is written atomically
//! and durably (temp file, fsync, rename, fsync of the directory) before
//! the request that made it answers; it holds a one-line JSON header
//! (envelope, tries, when to try next) and the RFC 5322 message as sent.
//! The queue is bounded in messages and bytes: past either bound a new
//! message is refused at once with a reason, never waited for.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::state_dir::StateDir;

/// The queue's directory under the state directory.
pub const DIR: &str = "imip-queue";
const SUFFIX: &str = ".msg";

/// How much mail may wait at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub messages: usize,
    pub bytes: u64,
}

/// 1,000 messages or 64 MiB: far more than a relay outage of a day makes
/// on a personal server, small enough that a loop cannot fill the disk.
pub const DEFAULT_LIMITS: Limits = Limits {
    messages: 1000,
    bytes: 64 << 20,
};

/// A queued message's header: what the sender needs without reading the
/// message itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// SMTP envelope sender and recipients.
    pub from: String,
    pub to: Vec<String>,
    /// What it is, for the log (`REQUEST "Team meeting"`).
    pub label: String,
    /// Unix seconds it was queued, tried last, and is due next.
    pub queued: u64,
    pub tries: u32,
    pub next: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the mail queue is full ({0}); the invitation is not sent")]
    Full(String),
    #[error("the mail queue cannot be written: {0}")]
    Io(#[from] io::Error),
}

struct Entry {
    meta: Meta,
    size: u64,
}

/// The queue directory and what is in it.
pub struct Queue {
    dir: StateDir,
    limits: Limits,
    entries: Mutex<BTreeMap<String, Entry>>,
}

impl Queue {
    /// Opens (or makes, mode 0700) `state/imip-queue`, removes the temp
    /// files of an interrupted write and reads the headers of what waits.
    pub fn open(state: &Path, limits: Limits) -> io::Result<Queue> {
        let dir = StateDir::open(&state.join(DIR))?;
        let mut entries = BTreeMap::new();
        for item in fs::read_dir(dir.path())? {
            let item = item?;
            let name = item.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                let _ = fs::remove_file(item.path());
                continue;
            }
            if !name.ends_with(SUFFIX) {
                continue;
            }
            match read_meta(&item.path()) {
                Ok(mut meta) => {
                    // A restart (often after fixing smtp_url) tries all at once.
                    meta.next = 0;
                    let size = item.metadata()?.len();
                    entries.insert(name, Entry { meta, size });
                }
                Err(e) => tracing::warn!(
                    "mail queue: {} is unreadable and stays unsent: {e}",
                    item.path().display()
                ),
            }
        }
        Ok(Queue {
            dir,
            limits,
            entries: Mutex::new(entries),
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Whether one more message fits, before it is built (scheduling
    /// decides the attendee's SCHEDULE-STATUS before it hands mail over).
    pub fn room(&self) -> Result<(), QueueError> {
        let entries = self.entries.lock();
        let used: u64 = entries.values().map(|e| e.size).sum();
        if entries.len() >= self.limits.messages || used >= self.limits.bytes {
            return Err(QueueError::Full(format!(
                "{} messages of {} bytes wait",
                entries.len(),
                used
            )));
        }
        Ok(())
    }

    /// Queues `message` durably; refused when a bound would be passed.
    pub fn add(&self, meta: Meta, message: &[u8]) -> Result<String, QueueError> {
        let bytes = file_bytes(&meta, message)?;
        let size = bytes.len() as u64;
        let mut entries = self.entries.lock();
        if entries.len() >= self.limits.messages {
            return Err(QueueError::Full(format!("{} messages wait", entries.len())));
        }
        let used: u64 = entries.values().map(|e| e.size).sum();
        if used + size > self.limits.bytes {
            return Err(QueueError::Full(format!(
                "{used} bytes wait, {size} more would pass the bound of {}",
                self.limits.bytes
            )));
        }
        // Names sort by queueing time, so older mail goes first; two in one
        // millisecond take the next one, so the order is still theirs.
        let newest = entries
            .keys()
            .next_back()
            .and_then(|n| n.get(..20)?.parse::<u64>().ok());
        let millis = unix_millis().max(newest.map_or(0, |m| m + 1));
        let name = format!("{millis:020}-{:016x}{SUFFIX}", rand::random::<u64>());
        self.dir.write(&name, &bytes)?;
        entries.insert(name.clone(), Entry { meta, size });
        Ok(name)
    }

    /// The messages due at `now` (unix seconds), oldest first.
    pub fn due(&self, now: u64) -> Vec<(String, Meta)> {
        self.entries
            .lock()
            .iter()
            .filter(|(_, e)| e.meta.next <= now)
            .map(|(n, e)| (n.clone(), e.meta.clone()))
            .collect()
    }

    /// When the next message is due, if any waits.
    pub fn next_due(&self) -> Option<u64> {
        self.entries.lock().values().map(|e| e.meta.next).min()
    }

    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The message of `name` as it goes over the wire.
    pub fn message(&self, name: &str) -> io::Result<Vec<u8>> {
        let bytes = fs::read(self.file(name))?;
        let start = memchr::memchr(b'\n', &bytes).map_or(bytes.len(), |i| i + 1);
        Ok(bytes[start..].to_vec())
    }

    /// Rewrites the header of `name` (a failed try), durably.
    pub fn update(&self, name: &str, meta: Meta) -> io::Result<()> {
        let message = self.message(name)?;
        let bytes = file_bytes(&meta, &message)?;
        let mut entries = self.entries.lock();
        // Held in memory even if the write fails, so the sender waits anyway.
        if let Some(entry) = entries.get_mut(name) {
            entry.meta = meta;
            entry.size = bytes.len() as u64;
        }
        self.dir.write(name, &bytes)
    }

    /// Takes `name` out of the queue (sent, or given up), durably.
    pub fn remove(&self, name: &str) -> io::Result<()> {
        let mut entries = self.entries.lock();
        match fs::remove_file(self.file(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        entries.remove(name);
        crate::store::durable::sync_dir(self.dir.path())
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Header line, then the message.
fn file_bytes(meta: &Meta, message: &[u8]) -> io::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec(meta).map_err(io::Error::other)?;
    bytes.push(b'\n');
    bytes.extend_from_slice(message);
    Ok(bytes)
}

fn read_meta(path: &Path) -> io::Result<Meta> {
    let mut line = Vec::new();
    io::BufReader::new(fs::File::open(path)?)
        .take(64 * 1024)
        .read_until(b'\n', &mut line)?;
    serde_json::from_slice(&line).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Now, in unix seconds.
pub fn unix_now() -> u64 {
    unix_millis() / 1000
}

fn unix_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(next: u64) -> Meta {
        Meta {
            from: "a@x.org".into(),
            to: vec!["b@y.org".into()],
            label: "REQUEST \"t\"".into(),
            queued: 1,
            tries: 0,
            next,
        }
    }

    #[test]
    fn messages_survive_a_reopen_and_leave_when_removed() {
        let state = tempfile::tempdir().unwrap();
        let q = Queue::open(state.path(), DEFAULT_LIMITS).unwrap();
        let first = q.add(meta(0), b"Subject: one\r\n\r\nbody\r\n").unwrap();
        let second = q.add(meta(50), b"Subject: two\r\n\r\n").unwrap();
        assert!(first < second);
        // A crash's half-written temp file is swept, never sent.
        fs::write(q.path().join(".half.tmp"), b"x").unwrap();
        drop(q);
        let q = Queue::open(state.path(), DEFAULT_LIMITS).unwrap();
        assert_eq!(q.len(), 2);
        assert!(!q.path().join(".half.tmp").exists());
        // Reopened, everything is due at once.
        assert_eq!(q.due(10).len(), 2);
        assert_eq!(q.message(&first).unwrap(), b"Subject: one\r\n\r\nbody\r\n");
        assert_eq!(q.next_due(), Some(0));
        let mut later = meta(100);
        later.tries = 1;
        q.update(&first, later.clone()).unwrap();
        assert_eq!(q.message(&first).unwrap(), b"Subject: one\r\n\r\nbody\r\n");
        q.remove(&second).unwrap();
        drop(q);
        let q = Queue::open(state.path(), DEFAULT_LIMITS).unwrap();
        assert_eq!(q.due(0), vec![(first, Meta { next: 0, ..later })]);
        let mode =
            std::os::unix::fs::PermissionsExt::mode(&fs::metadata(q.path()).unwrap().permissions());
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn a_full_queue_refuses_with_a_reason() {
        let state = tempfile::tempdir().unwrap();
        let q = Queue::open(
            state.path(),
            Limits {
                messages: 2,
                bytes: 1000,
            },
        )
        .unwrap();
        q.add(meta(0), b"one").unwrap();
        assert!(q.room().is_ok());
        q.add(meta(0), b"two").unwrap();
        assert!(q.room().is_err());
        let e = q.add(meta(0), b"three").unwrap_err();
        assert!(e.to_string().contains("2 messages wait"), "{e}");
        let other = tempfile::tempdir().unwrap();
        let q = Queue::open(
            other.path(),
            Limits {
                messages: 10,
                bytes: 200,
            },
        )
        .unwrap();
        q.add(meta(0), b"small").unwrap();
        let e = q.add(meta(0), &[b'x'; 150]).unwrap_err();
        assert!(e.to_string().contains("bound of 200"), "{e}");
        assert_eq!(q.len(), 1);
    }
}
