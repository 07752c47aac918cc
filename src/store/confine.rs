//! The symlink rule, in one place.
//!
//! A hand-made symbolic link inside the data directory is honoured only while
//! it stays inside the home it is found in: a link in `demo/` (a calendar
//! directory or an object file) is followed when its fully resolved target is
//! within `demo/` itself, and otherwise skipped: not listed, not served, never
//! written through, logged and reported by `davdir check`. A user's home must
//! be a real directory (a home that is a link is not served at all), so no
//! link reaches another user's data or anything outside the data directory.
//!
//! Writes never follow a link: an object is replaced by renaming a new file
//! over the name (which replaces a link, not its target), and files are
//! opened with `O_NOFOLLOW` on the already resolved path, so a link swapped
//! in between the check and the open fails instead of being followed.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Why a file or directory found in a home is not used.
pub const OUTSIDE: &str = "symbolic link leads outside the user's home; skipped";

/// What an object name in a calendar directory refers to.
pub enum Entry {
    /// A regular file (perhaps through a link within the home): the path to
    /// open (no links left in it) and its metadata.
    File { path: PathBuf, md: fs::Metadata },
    /// Something else (a directory, FIFO, dangling link): not an object.
    Other,
    /// A link whose target is outside the home; the link's own metadata.
    Outside(fs::Metadata),
}

/// Looks at `dir/name` where `dir` is a calendar directory directly in a
/// (real, link-free) home. Only a link costs more than one `lstat`.
pub fn object_entry(dir: &Path, name: &str) -> io::Result<Entry> {
    let path = dir.join(name);
    let own = fs::symlink_metadata(&path)?;
    let home = dir.parent().unwrap_or(dir);
    let real = if own.file_type().is_symlink() || !is_real_dir(dir) {
        match path.canonicalize() {
            Ok(real) if inside(home, &real) => real,
            Ok(_) => return Ok(Entry::Outside(own)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Entry::Other),
            Err(e) => return Err(e),
        }
    } else {
        path
    };
    let md = if real == dir.join(name) {
        own
    } else {
        fs::metadata(&real)?
    };
    Ok(if md.is_file() {
        Entry::File { path: real, md }
    } else {
        Entry::Other
    })
}

/// An object file opened for reading under the rule, with its metadata.
pub struct Opened {
    pub file: File,
    pub md: fs::Metadata,
    /// Where the file really is when `dir/name` is a link within the home;
    /// None when it is `dir/name` itself.
    pub via: Option<PathBuf>,
}

/// Opens object `name` of calendar directory `dir` (as `object_entry`
/// describes it) for reading; None when it is not a regular file the rule
/// lets us read. Reads are the hot path of queries and exports, so a plain
/// file in a real directory costs one `lstat` of the directory, the open
/// (`O_NOFOLLOW`: a link fails with `ELOOP`) and one `fstat`; only a link
/// or a linked directory goes through `object_entry`'s resolution.
pub fn open_object(dir: &Path, name: &str) -> io::Result<Option<Opened>> {
    if is_real_dir(dir) {
        match open_no_follow(&dir.join(name)) {
            Ok(file) => {
                let md = file.metadata()?;
                return Ok(md.is_file().then_some(Opened {
                    file,
                    md,
                    via: None,
                }));
            }
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {}
            Err(e) => return Err(e),
        }
    }
    let Entry::File { path, .. } = object_entry(dir, name)? else {
        return Ok(None);
    };
    let file = open_resolved(&path)?;
    let md = file.metadata()?;
    Ok(Some(Opened {
        file,
        md,
        via: Some(path),
    }))
}

/// Opens `path` for reading without following a final link; `O_NONBLOCK`
/// keeps a FIFO from blocking the open and `O_NOCTTY` a terminal from
/// becoming ours (callers refuse anything but a regular file after `fstat`).
fn open_no_follow(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

/// Opens a path already resolved by `object_entry` for reading, refusing a
/// link that appeared since. `O_NONBLOCK` keeps a FIFO swapped in since the
/// `lstat` from blocking the open; anything but a regular file is refused.
pub fn open_resolved(path: &Path) -> io::Result<File> {
    let file = open_no_follow(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(file)
}

/// Whether `dir` (an entry of `home`) is a directory that may be served as a
/// collection: a real directory, or a link resolving to a directory strictly
/// inside `home`.
pub fn collection_dir_ok(home: &Path, dir: &Path) -> bool {
    collection_dir_checked(home, dir).is_some()
}

/// `collection_dir_ok`, keeping what its one look found: `Some(Some(md))` for
/// a real directory, whose `lstat` is then also its `stat` (callers need no
/// second look); `Some(None)` for a link the rule lets through; `None` where
/// it refuses.
pub fn collection_dir_checked(home: &Path, dir: &Path) -> Option<Option<fs::Metadata>> {
    match fs::symlink_metadata(dir) {
        Ok(md) if md.is_dir() => Some(Some(md)),
        Ok(md) if md.file_type().is_symlink() => match dir.canonicalize() {
            Ok(real) => (real != home && inside(home, &real) && real.is_dir()).then_some(None),
            Err(_) => None,
        },
        _ => None,
    }
}

/// Whether `dir` is a directory and not a link (homes must be).
pub fn is_real_dir(dir: &Path) -> bool {
    fs::symlink_metadata(dir).is_ok_and(|md| md.is_dir())
}

/// Whether `dir` is a link that `collection_dir_ok` refuses (for `check`).
pub fn is_refused_link(home: &Path, dir: &Path) -> bool {
    fs::symlink_metadata(dir).is_ok_and(|md| md.file_type().is_symlink())
        && !collection_dir_ok(home, dir)
}

fn inside(home: &Path, real: &Path) -> bool {
    real.starts_with(home)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, MetadataExt};

    #[test]
    fn links_are_followed_only_within_the_home() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path().canonicalize().unwrap();
        let home = root.join("u");
        let cal = home.join("c");
        fs::create_dir_all(&cal).unwrap();
        fs::create_dir_all(root.join("v/c")).unwrap();
        fs::write(root.join("v/c/x.ics"), "x").unwrap();
        fs::write(home.join("c/own.ics"), "o").unwrap();
        fs::write(root.join("secret"), "s").unwrap();
        symlink(root.join("secret"), cal.join("out.ics")).unwrap();
        symlink(root.join("v/c/x.ics"), cal.join("other.ics")).unwrap();
        symlink(cal.join("own.ics"), cal.join("same.ics")).unwrap();
        symlink(cal.join("gone.ics"), cal.join("dangling.ics")).unwrap();
        assert!(matches!(
            object_entry(&cal, "own.ics"),
            Ok(Entry::File { .. })
        ));
        assert!(matches!(
            object_entry(&cal, "same.ics"),
            Ok(Entry::File { .. })
        ));
        assert!(matches!(
            object_entry(&cal, "out.ics"),
            Ok(Entry::Outside(_))
        ));
        assert!(matches!(
            object_entry(&cal, "other.ics"),
            Ok(Entry::Outside(_))
        ));
        assert!(matches!(
            object_entry(&cal, "dangling.ics"),
            Ok(Entry::Other)
        ));

        symlink(root.join("v/c"), home.join("theirs")).unwrap();
        symlink(&cal, home.join("alias")).unwrap();
        symlink(&home, home.join("self")).unwrap();
        assert!(collection_dir_ok(&home, &cal));
        assert!(collection_dir_ok(&home, &home.join("alias")));
        assert!(!collection_dir_ok(&home, &home.join("theirs")));
        assert!(!collection_dir_ok(&home, &home.join("self")));
        // The metadata kept is that of the real directory, and only for it:
        // through a link, `stat` and `lstat` differ.
        let real = collection_dir_checked(&home, &cal).unwrap().unwrap();
        assert_eq!(real.ino(), fs::metadata(&cal).unwrap().ino());
        assert!(collection_dir_checked(&home, &home.join("alias"))
            .unwrap()
            .is_none());
        assert!(collection_dir_checked(&home, &home.join("theirs")).is_none());
        assert!(is_refused_link(&home, &home.join("theirs")));
        assert!(!is_refused_link(&home, &cal));
        // Opening for a read follows exactly the same rule.
        let opened = |dir: &Path, name: &str| open_object(dir, name).unwrap();
        assert!(opened(&cal, "own.ics").is_some_and(|o| o.via.is_none()));
        assert!(opened(&cal, "same.ics").is_some_and(|o| o.via == Some(cal.join("own.ics"))));
        for refused in ["out.ics", "other.ics", "dangling.ics"] {
            assert!(opened(&cal, refused).is_none(), "{refused}");
        }
        fs::create_dir(cal.join("dir.ics")).unwrap();
        assert!(opened(&cal, "dir.ics").is_none());
        let fifo =
            std::ffi::CString::new(cal.join("fifo.ics").into_os_string().into_encoded_bytes())
                .unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        assert!(opened(&cal, "fifo.ics").is_none());
        assert!(open_object(&cal, "missing.ics").is_err());

        // Through a link-to-calendar within the home, objects resolve the same.
        let alias = home.join("alias");
        assert!(matches!(
            object_entry(&alias, "own.ics"),
            Ok(Entry::File { .. })
        ));
        assert!(matches!(
            object_entry(&alias, "out.ics"),
            Ok(Entry::Outside(_))
        ));
        assert!(opened(&alias, "own.ics").is_some_and(|o| o.via == Some(cal.join("own.ics"))));
        assert!(opened(&alias, "out.ics").is_none());
        assert!(opened(&home.join("theirs"), "x.ics").is_none());
    }
}
