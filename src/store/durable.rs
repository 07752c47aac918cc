//! Durable, atomic file replacement (DESIGN.md "Writes").
//!
//! A write goes to a hidden temp file in the same directory, is fsynced, renamed
//! over the target and the directory is fsynced, so a crash leaves either the
//! old or the new file and an acknowledged write survives power loss.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Atomically replaces `dir/name` with `bytes`, durable on return.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join(format!(".{name}.{:016x}.tmp", rand::random::<u64>()));
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, dir.join(name))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Removes `dir/name` durably.
pub fn remove_file(dir: &Path, name: &str) -> io::Result<()> {
    fs::remove_file(dir.join(name))?;
    sync_dir(dir)
}

/// Renames within or across directories of one file system, durably for both.
pub fn rename(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)?;
    if let Some(parent) = to.parent() {
        sync_dir(parent)?;
    }
    match from.parent() {
        Some(parent) if Some(parent) != to.parent() => sync_dir(parent),
        _ => Ok(()),
    }
}

/// Creates a directory and makes its entry durable in the parent.
pub fn create_dir(path: &Path) -> io::Result<()> {
    fs::create_dir(path)?;
    if let Some(parent) = path.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

/// fsync on a directory persists its entries (creations, renames, removals).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        write_file(dir.path(), "a.ics", b"one").unwrap();
        write_file(dir.path(), "a.ics", b"two").unwrap();
        assert_eq!(fs::read(dir.path().join("a.ics")).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.ics")]);
        remove_file(dir.path(), "a.ics").unwrap();
        assert!(!dir.path().join("a.ics").exists());
    }
}
