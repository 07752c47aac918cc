//! User accounts beside the calendars: the htpasswd users (`users`), per-device
//! app passwords kept hashed in the state directory (`app_passwords`), the
//! lock that keeps the CLI and the running server from losing each other's
//! edits (`lock`), and the `davdir user` / `davdir app-password` commands
//! (`cli`).

pub mod app_passwords;
pub(crate) mod lock;
mod secret;
pub mod users;

pub use app_passwords::{AppPasswordInfo, AppPasswords};
pub use users::HtpasswdFile;

use std::path::PathBuf;

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("invalid user name {0:?} (it must be usable as a directory name, without ':' or '%')")]
    InvalidUser(String),
    #[error("user {0:?} already exists")]
    UserExists(String),
    #[error("no user {0:?}")]
    NoSuchUser(String),
    #[error("unacceptable password: {0}")]
    BadPassword(String),
    #[error("unacceptable label: {0}")]
    BadLabel(&'static str),
    #[error("user {user:?} already has an app password labelled {label:?}")]
    DuplicateLabel { user: String, label: String },
    #[error("user {user:?} has no app password labelled {label:?}")]
    NoSuchLabel { user: String, label: String },
    #[error("user {0:?} has the most app passwords allowed ({max}); revoke one first", max = app_passwords::MAX_PER_USER)]
    TooMany(String),
    #[error("unacceptable address: {0}")]
    BadAddress(String),
    #[error("wrong password")]
    WrongPassword,
    #[error("no htpasswd file is configured (--htpasswd or `htpasswd` in --config)")]
    NoHtpasswd,
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

impl AccountError {
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> AccountError + '_ {
        move |source| AccountError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A user name that can be written to htpasswd and name a home directory.
pub fn check_user_name(user: &str) -> Result<(), AccountError> {
    let ok = crate::store::names::check_segment(user).is_ok()
        && !user.contains([':', '%'])
        && user.trim() == user;
    if ok {
        Ok(())
    } else {
        Err(AccountError::InvalidUser(user.chars().take(64).collect()))
    }
}
