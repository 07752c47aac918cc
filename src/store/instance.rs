//! One server per data directory. Two servers on one directory would each
//! keep their own sync-token logs and index and answer clients differently,
//! so `serve` holds an exclusive lock for its lifetime and a second one
//! refuses to start, naming the first. The CLI's commands do not take it:
//! they write beside a running server the way any hand edit does.
//!
//! The lock is a `flock` on the data directory itself, so nothing is written
//! into the data (a read-only one included); where the file system cannot
//! lock a directory (NFS emulates flock with POSIX locks, which need a file
//! open for writing) it falls back to the hidden file `.davdir.lock`.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The fallback lock file at the top of the data directory (hidden: never served).
pub const LOCK_FILE: &str = ".davdir.lock";

/// Held for the server's lifetime; the kernel releases it when the process ends.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

/// Takes the lock on `data` without waiting. The error names the directory
/// and, when the holder can be found, its process.
pub fn acquire(data: &Path) -> io::Result<InstanceLock> {
    let dir = File::open(data)?;
    let file = match dir.try_lock() {
        Ok(()) => dir,
        Err(std::fs::TryLockError::WouldBlock) => return Err(held(data, &dir)),
        Err(std::fs::TryLockError::Error(e)) => {
            tracing::debug!(
                "cannot lock the directory {} ({e}); using {LOCK_FILE}",
                data.display()
            );
            let path = data.join(LOCK_FILE);
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?;
            match file.try_lock() {
                Ok(()) => file,
                Err(std::fs::TryLockError::WouldBlock) => return Err(held(data, &file)),
                Err(std::fs::TryLockError::Error(e)) => return Err(e),
            }
        }
    };
    Ok(InstanceLock { _file: file })
}

fn held(data: &Path, locked: &File) -> io::Error {
    let holder = locked
        .metadata()
        .ok()
        .and_then(|m| holder_of(m.dev(), m.ino()))
        .map(|(pid, cmd)| format!(" (pid {pid}: {cmd})"))
        .unwrap_or_default();
    io::Error::new(
        io::ErrorKind::AddrInUse,
        format!(
            "another davdir server{holder} is already serving {}; stop it first, or give this one another --data",
            data.display()
        ),
    )
}

/// The process holding a flock on the file `dev`/`ino`, from `/proc/locks`
/// (Linux), with its command line; None where that cannot be read.
fn holder_of(dev: u64, ino: u64) -> Option<(u32, String)> {
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    let wanted = format!("{major:02x}:{minor:02x}:{ino}");
    let pid: u32 = locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // "1: FLOCK  ADVISORY  WRITE 1234 fd:00:5678 0 EOF"
        let at = fields.iter().position(|f| *f == "FLOCK")?;
        let (pid, file) = (fields.get(at + 3)?, fields.get(at + 4)?);
        (*file == wanted).then(|| pid.parse().ok()).flatten()
    })?;
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| {
            raw.split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    Some((pid, cmd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path()).unwrap();
        let err = acquire(dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(&dir.path().display().to_string()), "{text}");
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        drop(first);
        acquire(dir.path()).unwrap();
        assert!(!dir.path().join(LOCK_FILE).exists());
    }
}
