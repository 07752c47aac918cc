//! `davdir user add|passwd|remove|list` and `davdir app-password
//! add|list|revoke`: the account commands, reading the same `--config` and
//! flags as `serve`, and safe to run while the server runs (every edit is
//! locked and atomic, and the server re-reads what changed).

use std::io::{BufRead, IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use super::{AccountError, AppPasswords, HtpasswdFile};
use crate::config::FileConfig;
use crate::push::registrations::Registrations;
use crate::serve_args::SettingsArgs;
use crate::state_dir::StateDir;

/// Longest password line read from a non-terminal stdin.
const MAX_STDIN_LINE: u64 = 4096;

#[derive(Subcommand, Debug)]
pub enum UserAction {
    /// Add a user to the htpasswd file (password from a prompt, or one line of stdin)
    Add {
        /// The user's name (as in the htpasswd file)
        user: String,
        #[command(flatten)]
        config: SettingsArgs,
    },
    /// Change a user's password (from a prompt, or one line of stdin)
    Passwd {
        /// The user's name (as in the htpasswd file)
        user: String,
        #[command(flatten)]
        config: SettingsArgs,
    },
    /// Remove a user from the htpasswd file, with their app passwords and push registrations (their data stays)
    Remove {
        /// The user's name (as in the htpasswd file)
        user: String,
        #[command(flatten)]
        config: SettingsArgs,
    },
    /// List the users of the htpasswd file
    List {
        #[command(flatten)]
        config: SettingsArgs,
    },
}

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

/// Why a command failed: a usage/config problem, such as no htpasswd file
/// configured (exit 2), or a refused operation (exit 1).
enum Failure {
    Config(String),
    Refused(AccountError),
}

impl From<AccountError> for Failure {
    fn from(e: AccountError) -> Failure {
        Failure::Refused(e)
    }
}

fn finish(what: &str, result: Result<(), Failure>) -> ExitCode {
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

fn file_config(args: &SettingsArgs) -> Result<FileConfig, Failure> {
    let fc = args
        .file_config()
        .map_err(|e| Failure::Config(e.to_string()))?;
    super::users::set_min_password_length(
        fc.min_password_length
            .unwrap_or(super::users::DEFAULT_MIN_PASSWORD_LENGTH),
    );
    Ok(fc)
}

fn htpasswd(args: &SettingsArgs) -> Result<HtpasswdFile, Failure> {
    file_config(args)?
        .htpasswd
        .map(HtpasswdFile::new)
        .ok_or_else(|| Failure::Config(AccountError::NoHtpasswd.to_string()))
}

/// Where the server with these settings keeps its state directory.
fn state_path(fc: &FileConfig) -> PathBuf {
    fc.state.clone().unwrap_or_else(|| {
        let data = fc
            .data
            .clone()
            .unwrap_or_else(crate::config::default_data_dir);
        crate::state_dir::default_for(&data)
    })
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

/// Removes what the state directory holds for `user` (app passwords, push
/// registrations), so a user later made under the same name starts with
/// none of it; her web sessions end with her htpasswd entry. How many of
/// each were removed; none when there is no state directory yet.
fn forget(args: &SettingsArgs, user: &str) -> Result<(usize, usize), Failure> {
    let path = state_path(&file_config(args)?);
    if !path.is_dir() {
        return Ok((0, 0));
    }
    let dir = StateDir::open(&path).map_err(AccountError::io(&path))?;
    let apps = AppPasswords::open(dir.clone()).remove_user(user)?;
    let pushes = Registrations::load(dir)
        .and_then(|r| r.remove_user(user))
        .map_err(AccountError::io(&path))?;
    Ok((apps, pushes))
}

pub fn run_user(action: UserAction) -> ExitCode {
    let what = "user";
    finish(
        what,
        (|| match action {
            UserAction::Add { user, config } => {
                let file = htpasswd(&config)?;
                super::check_user_name(&user)?;
                // Refused before the prompt, not after the password is typed twice.
                if file.list()?.contains(&user) {
                    return Err(AccountError::UserExists(user).into());
                }
                let password = read_password(&user)?;
                // What an earlier user of this name left (a removal by an
                // older version, or racing the server) is not handed on.
                let (apps, pushes) = forget(&config, &user)?;
                if apps + pushes > 0 {
                    println!(
                        "removed {apps} app password(s) and {pushes} push registration(s) left by an earlier user {user}"
                    );
                }
                file.add(&user, &password)?;
                println!("added user {user}");
                Ok(())
            }
            UserAction::Passwd { user, config } => {
                let file = htpasswd(&config)?;
                if !file.list()?.contains(&user) {
                    return Err(AccountError::NoSuchUser(user).into());
                }
                let password = read_password(&user)?;
                file.set_password(&user, &password)?;
                println!("changed the password of {user}");
                Ok(())
            }
            UserAction::Remove { user, config } => {
                // The entry first: from then on nothing of hers is accepted.
                htpasswd(&config)?.remove(&user)?;
                let (apps, pushes) = forget(&config, &user)?;
                println!(
                    "removed user {user} with {apps} app password(s) and {pushes} push registration(s) (their data directory is left alone)"
                );
                Ok(())
            }
            UserAction::List { config } => {
                for user in htpasswd(&config)?.list()? {
                    println!("{user}");
                }
                Ok(())
            }
        })(),
    )
}

pub fn run_app_password(action: AppPasswordAction) -> ExitCode {
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

/// A new password: prompted twice on a terminal, else one line of stdin.
fn read_password(user: &str) -> Result<String, Failure> {
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        let first = rpassword::prompt_password(format!("new password for {user}: "))
            .map_err(|e| Failure::Config(format!("cannot read the password: {e}")))?;
        let again = rpassword::prompt_password("again: ")
            .map_err(|e| Failure::Config(format!("cannot read the password: {e}")))?;
        if first != again {
            return Err(Failure::Config("the passwords differ".into()));
        }
        first
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .take(MAX_STDIN_LINE)
            .read_line(&mut line)
            .map_err(|e| Failure::Config(format!("cannot read the password from stdin: {e}")))?;
        line.trim_end_matches(['\n', '\r']).to_string()
    };
    super::users::check_new_password(&password)?;
    Ok(password)
}
