//! Durable, atomic file replacement (docs/DESIGN.md "Writes").
//!
//! A write goes to a hidden temp file in the same directory, is fsynced, renamed
//! over the target and the directory is fsynced, so a crash leaves either the
//! old or the new file and an acknowledged write survives power loss.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::names::TEMP_PREFIX;

/// A fresh temp file path in `dir`: fixed length whatever the target's name
/// (so a 255-byte name still has one), hidden and never a `.ics`, so it is
/// neither served nor indexed; a crash's leftovers are swept at start.
fn temp_path(dir: &Path) -> PathBuf {
    dir.join(format!("{TEMP_PREFIX}{:016x}", rand::random::<u64>()))
}

/// Atomically replaces `dir/name` with `bytes`, durable on return.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    Prepared::write(dir, bytes)?.place(name)?;
    sync_dir(dir)
}

/// File contents written and synced under a hidden temp name, ready to be
/// renamed into place. Written before the collection lock is taken, so
/// writers of one collection sync their files in parallel; dropped unplaced
/// (a failed condition), it is removed.
#[derive(Debug)]
pub struct Prepared {
    tmp: Option<PathBuf>,
    dir: PathBuf,
}

impl Prepared {
    pub fn write(dir: &Path, bytes: &[u8]) -> io::Result<Prepared> {
        let tmp = temp_path(dir);
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        let prepared = Prepared {
            tmp: Some(tmp),
            dir: dir.to_path_buf(),
        };
        f.write_all(bytes)?;
        f.sync_all()?;
        Ok(prepared)
    }

    /// Renames the file over `name` in its directory. The rename is durable
    /// only once the directory is synced (`sync_dir` or the group commit).
    pub fn place(mut self, name: &str) -> io::Result<()> {
        let tmp = self.tmp.take().expect("placed once");
        let result = fs::rename(&tmp, self.dir.join(name));
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        if let Some(tmp) = &self.tmp {
            let _ = fs::remove_file(tmp);
        }
    }
}

/// A replacement for `dir/name` being written; `commit` makes it durable
/// and puts it in place, dropping it uncommitted removes it.
pub struct TempFile {
    writer: Option<io::BufWriter<File>>,
    tmp: PathBuf,
    dir: PathBuf,
    name: String,
}

impl TempFile {
    pub fn create(dir: &Path, name: &str) -> io::Result<TempFile> {
        let tmp = temp_path(dir);
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        Ok(TempFile {
            writer: Some(io::BufWriter::new(file)),
            tmp,
            dir: dir.to_path_buf(),
            name: name.to_string(),
        })
    }

    pub fn writer(&mut self) -> &mut io::BufWriter<File> {
        self.writer.as_mut().expect("not committed")
    }

    /// fsync, rename over the target, fsync the directory.
    pub fn commit(mut self) -> io::Result<()> {
        let writer = self.writer.take().expect("not committed");
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&self.tmp, self.dir.join(&self.name))?;
        sync_dir(&self.dir)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.writer.is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Removes `dir/name` durably.
pub fn remove_file(dir: &Path, name: &str) -> io::Result<()> {
    fs::remove_file(dir.join(name))?;
    sync_dir(dir)
}

/// Swaps two directory entries atomically (renameat2 RENAME_EXCHANGE), then
/// syncs their directories: each name always names one of the two.
pub fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let path = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
    };
    let (ca, cb) = (path(a)?, path(b)?);
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    for dir in [a.parent(), b.parent()].into_iter().flatten() {
        sync_dir(dir)?;
    }
    Ok(())
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

    #[test]
    fn prepared_is_placed_or_vanishes() {
        let dir = tempfile::tempdir().unwrap();
        Prepared::write(dir.path(), b"kept")
            .unwrap()
            .place("a")
            .unwrap();
        drop(Prepared::write(dir.path(), b"dropped").unwrap());
        assert_eq!(fs::read(dir.path().join("a")).unwrap(), b"kept");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        // A failed rename (over a non-empty directory) leaves no temp.
        fs::create_dir(dir.path().join("d")).unwrap();
        fs::write(dir.path().join("d/x"), "x").unwrap();
        let p = Prepared::write(dir.path(), b"no").unwrap();
        assert!(p.place("d").is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn temp_file_commits_or_vanishes() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = TempFile::create(dir.path(), "x").unwrap();
        io::Write::write_all(t.writer(), b"kept").unwrap();
        t.commit().unwrap();
        assert_eq!(fs::read(dir.path().join("x")).unwrap(), b"kept");
        let mut t = TempFile::create(dir.path(), "x").unwrap();
        io::Write::write_all(t.writer(), b"dropped").unwrap();
        drop(t);
        assert_eq!(fs::read(dir.path().join("x")).unwrap(), b"kept");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
