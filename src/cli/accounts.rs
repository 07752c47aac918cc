//! What the account commands (`user`, `app-password`) share: their exit
//! codes (2 for a usage or config problem, 1 for a refused operation), the
//! settings they read (which also set the password policy) and where the
//! server keeps its state directory.

use std::path::PathBuf;
use std::process::ExitCode;

use super::SettingsArgs;
use crate::accounts::AccountError;
use crate::config::FileConfig;

/// Why a command failed: a usage/config problem, such as no htpasswd file
/// configured (exit 2), or a refused operation (exit 1).
pub(super) enum Failure {
    Config(String),
    Refused(AccountError),
}

impl From<AccountError> for Failure {
    fn from(e: AccountError) -> Failure {
        Failure::Refused(e)
    }
}

/// The command's exit code, with its failure on stderr.
pub(super) fn finish(what: &str, result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Refused(e)) => {
            eprintln!("davdir {what}: {e}");
            ExitCode::FAILURE
        }
        Err(Failure::Config(e)) => {
            eprintln!("davdir {what}: {e}");
            ExitCode::from(2)
        }
    }
}

/// The settings (flags over `--config`); sets the server's password
/// length rule too, so a new password is held to the same policy.
pub(super) fn file_config(args: &SettingsArgs) -> Result<FileConfig, Failure> {
    let fc = args
        .file_config()
        .map_err(|e| Failure::Config(e.to_string()))?;
    crate::accounts::users::set_min_password_length(
        fc.min_password_length
            .unwrap_or(crate::accounts::users::DEFAULT_MIN_PASSWORD_LENGTH),
    );
    Ok(fc)
}

/// Where the server with these settings keeps its state directory.
pub(super) fn state_path(fc: &FileConfig) -> PathBuf {
    fc.state.clone().unwrap_or_else(|| {
        let data = fc
            .data
            .clone()
            .unwrap_or_else(crate::config::default_data_dir);
        crate::state_dir::default_for(&data)
    })
}
