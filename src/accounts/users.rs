//! Editing the htpasswd file the server authenticates against: add, change
//! and remove users with bcrypt `$2y$` hashes (what Apache's `htpasswd -B`
//! writes and `htpasswd -v` checks). Comments, blank lines, other users and
//! argon2 entries are kept byte for byte. Each edit locks the file, reads it,
//! and replaces it atomically, so two edits never interleave and the server
//! (which re-reads it when it changes) never sees half a file.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{check_user_name, AccountError};

/// bcrypt cost of new hashes: Apache's default is 5, far too cheap today.
pub const BCRYPT_COST: u32 = 12;
/// bcrypt reads at most 72 bytes of a password; longer ones are refused
/// rather than silently cut.
const MAX_PASSWORD: usize = 72;
/// Largest htpasswd file read for an edit.
const MAX_FILE: u64 = 16 << 20;

/// The htpasswd file, for editing.
pub struct HtpasswdFile {
    path: PathBuf,
}

impl HtpasswdFile {
    pub fn new(path: PathBuf) -> HtpasswdFile {
        HtpasswdFile { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `path:line: reason` for every line naming a user again (`davdir check`).
    pub fn problems(&self) -> Result<Vec<String>, AccountError> {
        let text = read_bounded(&self.path)?;
        Ok(duplicates(&text)
            .into_iter()
            .map(|d| format!("{}:{d}", self.path.display()))
            .collect())
    }

    /// The user names in file order, each once.
    pub fn list(&self) -> Result<Vec<String>, AccountError> {
        let text = match read_bounded(&self.path) {
            Ok(t) => t,
            Err(AccountError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                return Ok(Vec::new())
            }
            Err(e) => return Err(e),
        };
        let mut names: Vec<String> = Vec::new();
        for user in text.lines().filter_map(user_of) {
            if !names.iter().any(|n| n == user) {
                names.push(user.to_string());
            }
        }
        Ok(names)
    }

    /// Adds a user; refused when the name is taken.
    pub fn add(&self, user: &str, password: &str) -> Result<(), AccountError> {
        check_user_name(user)?;
        let line = format!("{user}:{}", hash(password)?);
        self.edit(|lines| {
            if lines.iter().any(|l| user_of(l) == Some(user)) {
                return Err(AccountError::UserExists(user.to_string()));
            }
            lines.push(line);
            Ok(())
        })
    }

    /// Replaces an existing user's password; returns the hash written.
    pub fn set_password(&self, user: &str, password: &str) -> Result<String, AccountError> {
        let hash = hash(password)?;
        let line = format!("{user}:{hash}");
        self.edit(|lines| {
            let slot = lines
                .iter_mut()
                .find(|l| user_of(l) == Some(user))
                .ok_or_else(|| AccountError::NoSuchUser(user.to_string()))?;
            *slot = line;
            Ok(())
        })?;
        Ok(hash)
    }

    /// Removes a user (every line naming it).
    pub fn remove(&self, user: &str) -> Result<(), AccountError> {
        self.edit(|lines| {
            let before = lines.len();
            lines.retain(|l| user_of(l) != Some(user));
            if lines.len() == before {
                return Err(AccountError::NoSuchUser(user.to_string()));
            }
            Ok(())
        })
    }

    /// One locked read-modify-replace of the file (created when missing).
    fn edit(
        &self,
        change: impl FnOnce(&mut Vec<String>) -> Result<(), AccountError>,
    ) -> Result<(), AccountError> {
        let _lock = super::lock::lock(&lock_path(&self.path))?;
        // The new file keeps the old one's mode, owner and group (a new
        // file: its directory's, readable by the group, as the server's
        // group is in the documented layout).
        let (text, like) = match read_bounded(&self.path) {
            Ok(t) => (
                t,
                fs::metadata(&self.path).map_err(AccountError::io(&self.path))?,
            ),
            Err(AccountError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                let dir = crate::file_owner::dir_of(&self.path);
                (
                    String::new(),
                    fs::metadata(dir).map_err(AccountError::io(dir))?,
                )
            }
            Err(e) => return Err(e),
        };
        let mode = if like.is_dir() {
            0o640
        } else {
            like.mode() & 0o7777
        };
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        change(&mut lines)?;
        let mut out = lines.join("\n");
        out.push('\n');
        replace(&self.path, out.as_bytes(), mode, &like)
    }
}

/// The lock file beside the htpasswd file: the file itself is replaced by
/// each edit, so a lock on it would not exclude an edit that opens the new one.
fn lock_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.lock"))
}

/// The user and hash a line holds, the way the server reads it; none for
/// comments and blank lines. Where two lines name one user, the first
/// counts everywhere: the server checks it and `passwd` edits it.
pub fn entry(line: &str) -> Option<(&str, &str)> {
    if line.trim().is_empty() || line.starts_with('#') {
        return None;
    }
    line.split_once(':').map(|(u, h)| (u.trim(), h.trim()))
}

fn user_of(line: &str) -> Option<&str> {
    entry(line).map(|(u, _)| u)
}

/// A line naming a user an earlier line already names: ignored.
#[derive(Debug, PartialEq, Eq)]
pub struct Duplicate {
    /// Line numbers from 1.
    pub line: usize,
    pub first: usize,
    pub user: String,
}

impl std::fmt::Display for Duplicate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: user {:?} is named again (first on line {}); only the first line counts",
            self.line, self.user, self.first
        )
    }
}

/// Every line of `text` that names a user again.
pub fn duplicates(text: &str) -> Vec<Duplicate> {
    let mut first = std::collections::HashMap::new();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(user) = user_of(line) else { continue };
        match first.entry(user) {
            std::collections::hash_map::Entry::Occupied(e) => out.push(Duplicate {
                line: i + 1,
                first: *e.get(),
                user: user.to_string(),
            }),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(i + 1);
            }
        }
    }
    out
}

fn read_bounded(path: &Path) -> Result<String, AccountError> {
    let meta = fs::metadata(path).map_err(AccountError::io(path))?;
    if meta.len() > MAX_FILE {
        return Err(AccountError::Corrupt {
            path: path.to_path_buf(),
            message: format!("larger than {MAX_FILE} bytes"),
        });
    }
    let bytes = fs::read(path).map_err(AccountError::io(path))?;
    String::from_utf8(bytes).map_err(|_| AccountError::Corrupt {
        path: path.to_path_buf(),
        message: "not UTF-8".into(),
    })
}

/// Writes a temp file beside `path` with `mode` and the owner and group of
/// `like`, syncs, and renames it over.
fn replace(path: &Path, bytes: &[u8], mode: u32, like: &fs::Metadata) -> Result<(), AccountError> {
    let dir = crate::file_owner::dir_of(path);
    let err = AccountError::io;
    let mut tmp = tempfile::Builder::new()
        .prefix(".htpasswd.")
        .tempfile_in(dir)
        .map_err(|e| AccountError::Io {
            path: dir.to_path_buf(),
            source: crate::file_owner::dir_write_error(dir, e),
        })?;
    crate::file_owner::keep(tmp.as_file(), like).map_err(err(path))?;
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))
        .map_err(err(path))?;
    tmp.write_all(bytes).map_err(err(path))?;
    tmp.as_file().sync_all().map_err(err(path))?;
    tmp.persist(path).map_err(|e| AccountError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    crate::store::durable::sync_dir(dir).map_err(err(dir))
}

/// Checks a new password and hashes it as `$2y$` bcrypt.
pub fn hash(password: &str) -> Result<String, AccountError> {
    check_password(password)?;
    bcrypt::hash_with_result(password, BCRYPT_COST)
        .map(|h| h.format_for_version(bcrypt::Version::TwoY))
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// The shortest new password by default (`min_password_length`).
pub const DEFAULT_MIN_PASSWORD_LENGTH: usize = 8;

/// The shortest new password this process accepts: set once at start from
/// the configuration (the server's, or the CLI command's), so every path
/// that sets a password checks the same rule.
static MIN_PASSWORD_LENGTH: AtomicUsize = AtomicUsize::new(DEFAULT_MIN_PASSWORD_LENGTH);

pub fn set_min_password_length(chars: usize) {
    MIN_PASSWORD_LENGTH.store(chars.max(1), Ordering::Relaxed);
}

/// A password a person chooses (`user add`, `user passwd`, the web page)
/// must also be long enough; `hash` alone checks only what bcrypt needs.
pub fn check_new_password(password: &str) -> Result<(), AccountError> {
    let min = MIN_PASSWORD_LENGTH.load(Ordering::Relaxed);
    if password.chars().count() < min {
        return Err(AccountError::BadPassword(format!(
            "it is shorter than {min} characters (min_password_length)"
        )));
    }
    check_password(password)
}

/// A password must be non-empty, one line, and fit bcrypt's 72 bytes.
pub fn check_password(password: &str) -> Result<(), AccountError> {
    if password.is_empty() {
        return Err(AccountError::BadPassword("it is empty".into()));
    }
    if password.len() > MAX_PASSWORD {
        return Err(AccountError::BadPassword(
            "it is longer than 72 bytes".into(),
        ));
    }
    if password.chars().any(char::is_control) {
        return Err(AccountError::BadPassword(
            "it holds control characters".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_keep_other_lines_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("htpasswd");
        let argon = "ann:$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$AAAA";
        fs::write(&path, format!("# users\n{argon}\n\nbob:$2y$05$x\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let file = HtpasswdFile::new(path.clone());
        file.add("carol", "carol-pw").unwrap();
        assert!(matches!(
            file.add("carol", "long-enough"),
            Err(AccountError::UserExists(_))
        ));
        assert!(matches!(
            file.add("a:b", "long-enough"),
            Err(AccountError::InvalidUser(_))
        ));
        file.set_password("bob", "new-password").unwrap();
        assert!(matches!(
            file.set_password("zed", "long-enough"),
            Err(AccountError::NoSuchUser(_))
        ));
        assert_eq!(file.list().unwrap(), ["ann", "bob", "carol"]);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(&format!("# users\n{argon}\n\nbob:$2y$12$")));
        let bob = text.lines().find(|l| l.starts_with("bob:")).unwrap();
        assert!(bcrypt::verify("new-password", &bob[4..]).unwrap());
        file.remove("carol").unwrap();
        assert!(matches!(
            file.remove("carol"),
            Err(AccountError::NoSuchUser(_))
        ));
        assert_eq!(file.list().unwrap(), ["ann", "bob"]);
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }

    #[test]
    fn the_first_of_two_lines_counts() {
        let text = "# c\nbob:$2y$05$a\nann:x\n bob :$2y$05$b\nbob:c\n";
        let found = duplicates(text);
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].line, found[0].first), (4, 2));
        assert_eq!(
            found[1].to_string(),
            "5: user \"bob\" is named again (first on line 2); only the first line counts"
        );
        assert_eq!(entry(" bob :$2y$05$b"), Some(("bob", "$2y$05$b")));
        assert_eq!(entry("# bob:x"), None);
    }

    #[test]
    fn passwords_are_bounded() {
        assert!(check_password("").is_err());
        assert!(check_new_password("seven77").is_err());
        assert!(check_new_password("eight888").is_ok());
        assert!(check_password("seven77").is_ok());
        assert!(check_password(&"x".repeat(73)).is_err());
        assert!(check_password("a\nb").is_err());
        assert!(check_password("correct horse").is_ok());
    }
}
