//! `davdir app-password add|list|revoke`: per-device passwords kept in the
//! server's state directory, with the same `--config` and flags as `serve`;
//! safe while the server runs.

use std::process::ExitCode;

use clap::Subcommand;

use super::accounts::{file_config, finish, state_path, Failure};
use super::SettingsArgs;
use crate::accounts::{AccountError, AppPasswords, HtpasswdFile};
use crate::config::FileConfig;
use crate::state_dir::StateDir;

#[derive(Subcommand, Debug)]
pub enum AppPasswordAction {
    /// Create an app password; its secret is printed alone on the last line
    Add {
        /// The user's name (as in the htpasswd file)
        user: String,
        /// A name for the device, unique per user
        #[arg(long)]
        label: String,
        #[command(flatten)]
        config: SettingsArgs,
    },
    /// List a user's app passwords with creation and last-use time
    List {
        /// The user's name (as in the htpasswd file)
        user: String,
        #[command(flatten)]
        config: SettingsArgs,
    },
    /// Revoke a user's app password by its label
    Revoke {
        /// The user's name (as in the htpasswd file)
        user: String,
        /// The device name given at `add`
        label: String,
        #[command(flatten)]
        config: SettingsArgs,
    },
}

/// The state directory the server with these settings uses.
fn state(args: &SettingsArgs) -> Result<(FileConfig, StateDir), Failure> {
    let fc = file_config(args)?;
    let path = state_path(&fc);
    // Made by root before the server's first start, it is still the data owner's.
    let data = fc
        .data
        .clone()
        .unwrap_or_else(crate::config::default_data_dir);
    crate::file_owner::create_dir_as_owner_of(&path, &data).map_err(AccountError::io(&path))?;
    let dir = StateDir::open(&path).map_err(AccountError::io(&path))?;
    Ok((fc, dir))
}

pub fn run(action: AppPasswordAction) -> ExitCode {
    finish(
        "app-password",
        (|| match action {
            AppPasswordAction::Add {
                user,
                label,
                config,
            } => {
                let (fc, dir) = state(&config)?;
                if let Some(path) = fc.htpasswd {
                    if !HtpasswdFile::new(path).list()?.contains(&user) {
                        return Err(AccountError::NoSuchUser(user).into());
                    }
                }
                let secret = AppPasswords::open(dir).create(&user, &label)?;
                println!("app password {label:?} for {user} (shown only now):");
                println!("{secret}");
                Ok(())
            }
            AppPasswordAction::List { user, config } => {
                let (_, dir) = state(&config)?;
                for p in AppPasswords::open(dir).list(&user)? {
                    let used = p.last_used.map_or_else(|| "never".to_string(), when);
                    println!("{}\tcreated {}\tlast used {used}", p.label, when(p.created));
                }
                Ok(())
            }
            AppPasswordAction::Revoke {
                user,
                label,
                config,
            } => {
                let (_, dir) = state(&config)?;
                if AppPasswords::open(dir).revoke(&user, &label)? {
                    println!("revoked app password {label:?} of {user}");
                    Ok(())
                } else {
                    Err(AccountError::NoSuchLabel { user, label }.into())
                }
            }
        })(),
    )
}

fn when(t: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}
