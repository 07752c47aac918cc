//! Who owns the files the command line writes. The server runs as its own
//! user (systemd/davdir.service) while an admin runs `davdir user add` or
//! `davdir import` as root; a file root creates or replaces would then be
//! root's and unreadable to the server (new users get 401, every app
//! password fails, the next start fails). So a command running as root
//! either keeps the owner, group and mode of the file it replaces and gives
//! a new file the owner of its directory, or, for commands that write into
//! the data, acts as the data directory's owner from the start.

use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The directory a file path is in (`.` for a bare name).
pub fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Gives `file` the owner and group of `like` (the file it replaces, or the
/// directory a new file goes into) when this process is root; as anyone
/// else the file is already theirs and nothing changes.
pub fn keep(file: &File, like: &Metadata) -> io::Result<()> {
    if !is_root() {
        return Ok(());
    }
    let meta = file.metadata()?;
    if (meta.uid(), meta.gid()) == (like.uid(), like.gid()) {
        return Ok(());
    }
    std::os::unix::fs::fchown(file, Some(like.uid()), Some(like.gid()))
}

/// Makes the directory `dir` (mode 0700) owned by whoever owns `owner_of`,
/// when this process is root and `dir` is missing: the state directory an
/// admin's command creates must be the server's, not root's.
pub fn create_dir_as_owner_of(dir: &Path, owner_of: &Path) -> io::Result<()> {
    if !is_root() || dir.exists() {
        return Ok(());
    }
    let Ok(owner) = std::fs::metadata(owner_of) else {
        return Ok(());
    };
    std::fs::create_dir_all(dir)?;
    std::os::unix::fs::chown(dir, Some(owner.uid()), Some(owner.gid()))
}

/// Switches this process to the user and group that own `dir` when it runs
/// as root and `dir` is someone else's, so everything it then creates
/// (objects, collections, cache and trash entries) is that user's, as if the
/// server had written it. Returns the uid switched to. Call it once, before
/// any file is written and after any file only root may read is opened.
pub fn act_as_owner_of(dir: &Path) -> io::Result<Option<u32>> {
    if !is_root() {
        return Ok(None);
    }
    let meta = std::fs::metadata(dir)?;
    let (uid, gid) = (meta.uid(), meta.gid());
    if uid == 0 {
        return Ok(None);
    }
    // SAFETY: plain system calls with valid arguments; groups first, then
    // the group id, then the user id (after which the others are refused).
    let ok = unsafe {
        libc::setgroups(1, &gid) == 0
            && libc::setresgid(gid, gid, gid) == 0
            && libc::setresuid(uid, uid, uid) == 0
    };
    if !ok {
        return Err(io::Error::last_os_error());
    }
    Ok(Some(uid))
}

/// An error making a file in `dir`, with the fix when it is a permission
/// problem: files there are replaced atomically (a new file renamed over the
/// old), which needs the directory writable, and the server changes
/// passwords there too (the web page), so its user needs that as well.
pub fn dir_write_error(dir: &Path, e: io::Error) -> io::Error {
    if e.kind() != io::ErrorKind::PermissionDenied {
        return e;
    }
    io::Error::new(
        e.kind(),
        format!(
            "{e}; the directory {d} must be writable by the user editing it (the server's too, for the web page's password change): e.g. chgrp davdir {d} && chmod 0770 {d} (see systemd/davdir.service)",
            d = dir.display()
        ),
    )
}
