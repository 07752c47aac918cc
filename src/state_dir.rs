//! The server's own state directory: secrets and state that are not derived
//! from the data (app passwords, session keys, the VAPID key, push
//! registrations). It lives outside the data directory, because users put
//! that in git and copy it around (docs/DESIGN.md, "Trash, secrets and server
//! state"), and only the server's user may read it. Deleting the cache never
//! touches it.

use std::fs;
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A directory with mode 0700 whose files are written atomically with mode
/// 0600 and the directory's owner.
#[derive(Debug, Clone)]
pub struct StateDir {
    path: PathBuf,
}

impl StateDir {
    /// Opens the directory, creating it (and its parents) when missing, and
    /// tightens its mode to 0700 so a lax umask cannot expose the secrets.
    pub fn open(path: &Path) -> io::Result<StateDir> {
        fs::create_dir_all(path)?;
        fs::set_permissions(path, fs::Permissions::from_mode(0o700))?;
        Ok(StateDir {
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads `name`, `None` when it does not exist yet.
    pub fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        match fs::read(self.path.join(name)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces `name` durably (temp file with mode 0600, fsync, rename, fsync
    /// of the directory): a crash leaves the old or the new content.
    pub fn write(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        use std::io::Write;
        let tmp = self
            .path
            .join(format!(".{name}.{}.tmp", rand::random::<u64>()));
        let result = (|| {
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            // Written by root (an admin's CLI command), it is still the server's.
            crate::file_owner::keep(&file, &fs::metadata(&self.path)?)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            fs::rename(&tmp, self.path.join(name))?;
            crate::store::durable::sync_dir(&self.path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

/// A state file's contents, read again only when the file changed (inode,
/// size or modification time), so an edit by the CLI is seen at the next use
/// without a read per use. A missing file is read each time.
pub struct Reloaded<T> {
    loaded: parking_lot::Mutex<(Stamp, T)>,
}

/// What tells one version of a file from another.
type Stamp = Option<(u64, u64, i64, i64)>;

impl<T: Clone + Default> Reloaded<T> {
    pub fn new() -> Self {
        Reloaded {
            loaded: parking_lot::Mutex::new((None, T::default())),
        }
    }

    /// The contents of `path`: the last read, or `read()` when it changed.
    pub fn get(&self, path: &Path, read: impl FnOnce() -> T) -> T {
        use std::os::unix::fs::MetadataExt;
        let stamp = fs::metadata(path)
            .ok()
            .map(|m| (m.ino(), m.len(), m.mtime(), m.mtime_nsec()));
        let mut loaded = self.loaded.lock();
        if loaded.0 != stamp || stamp.is_none() {
            *loaded = (stamp, read());
        }
        loaded.1.clone()
    }
}

impl<T: Clone + Default> Default for Reloaded<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The default state directory for a data directory: its sibling
/// `<data>.state` (`/var/lib/davdir` → `/var/lib/davdir.state`), outside the
/// tree users copy, and distinct for every data directory a test starts.
pub fn default_for(data: &Path) -> PathBuf {
    let mut name = data
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "davdir".into());
    name.push(".state");
    match data.parent() {
        Some(parent) => parent.join(name),
        None => PathBuf::from(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_private_and_replaced_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = StateDir::open(&tmp.path().join("a/state")).unwrap();
        let mode = fs::metadata(dir.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        assert_eq!(dir.read("key").unwrap(), None);
        dir.write("key", b"one").unwrap();
        dir.write("key", b"two").unwrap();
        assert_eq!(dir.read("key").unwrap().as_deref(), Some(&b"two"[..]));
        let mode = fs::metadata(dir.path().join("key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn default_is_a_sibling_of_the_data() {
        assert_eq!(
            default_for(Path::new("/var/lib/davdir")),
            PathBuf::from("/var/lib/davdir.state")
        );
        assert_eq!(
            default_for(Path::new("data-sample")),
            PathBuf::from("data-sample.state")
        );
    }
}
