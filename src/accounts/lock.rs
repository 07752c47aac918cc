//! An exclusive advisory lock (flock) held for one read-modify-write of a
//! file that both the CLI and the running server may edit.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::AccountError;

/// Held while it lives; dropping it (closing the file) releases the lock.
pub struct Locked {
    _file: File,
}

/// Locks `path` (a lock file, created with mode 0600 when missing),
/// waiting for another holder to finish.
pub fn lock(path: &Path) -> Result<Locked, AccountError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(path)
        .map_err(AccountError::io(path))?;
    file.lock().map_err(AccountError::io(path))?;
    Ok(Locked { _file: file })
}
