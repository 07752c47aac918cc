//! The cache directory of versions from before the rename to davdir.
//!
//! It held only derived state (sync-token logs, the index), which
//! `.davdir-cache` now holds, so an old one is dead weight: it is removed at
//! start when the cache sits in its default place under the data directory.

use std::fs;
use std::io;
use std::path::Path;

/// Default cache directory name used before the project was renamed from
/// caldir to davdir; the only place the old name remains in code.
pub const LEGACY_CACHE_DIR: &str = ".caldir-cache";

/// Removes `<root>/.caldir-cache` if present. A symlink there is removed
/// itself, never followed, so nothing outside the data directory is touched.
/// Returns whether something was removed.
pub fn remove(root: &Path) -> io::Result<bool> {
    let path = root.join(LEGACY_CACHE_DIR);
    let kind = match fs::symlink_metadata(&path) {
        Ok(meta) => meta.file_type(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    if kind.is_dir() {
        fs::remove_dir_all(&path)?;
    } else {
        fs::remove_file(&path)?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_an_old_cache_and_reports_absence() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(LEGACY_CACHE_DIR);
        fs::create_dir_all(old.join("logs")).unwrap();
        fs::write(old.join("logs/x"), b"token log").unwrap();
        assert!(remove(dir.path()).unwrap());
        assert!(!old.exists());
        assert!(!remove(dir.path()).unwrap());
    }

    #[test]
    fn a_symlinked_old_cache_goes_but_its_target_stays() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("keep"), b"not ours").unwrap();
        let link = dir.path().join(LEGACY_CACHE_DIR);
        std::os::unix::fs::symlink(outside.path(), &link).unwrap();
        assert!(remove(dir.path()).unwrap());
        assert!(fs::symlink_metadata(&link).is_err());
        assert_eq!(fs::read(outside.path().join("keep")).unwrap(), b"not ours");
    }
}
