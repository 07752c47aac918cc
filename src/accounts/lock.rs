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

/// Locks `path` (a lock file), waiting for another holder to finish. An
/// existing lock file is opened read-only (flock needs no more), so the
/// server can lock one root made; a new one is made with mode 0640 and its
/// directory's owner and group, so the server's group can open it.
pub fn lock(path: &Path) -> Result<Locked, AccountError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dir = crate::file_owner::dir_of(path);
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .mode(0o640)
                .open(path)
                .map_err(|e| AccountError::Io {
                    path: path.to_path_buf(),
                    source: crate::file_owner::dir_write_error(dir, e),
                })?;
            let like = std::fs::metadata(dir).map_err(AccountError::io(dir))?;
            crate::file_owner::keep(&file, &like).map_err(AccountError::io(path))?;
            file
        }
        Err(e) => {
            return Err(AccountError::Io {
                path: path.to_path_buf(),
                source: crate::file_owner::dir_write_error(crate::file_owner::dir_of(path), e),
            })
        }
    };
    file.lock().map_err(AccountError::io(path))?;
    Ok(Locked { _file: file })
}
