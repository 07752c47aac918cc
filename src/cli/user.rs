//! `davdir user add|passwd|remove|list|email`: the htpasswd file's users
//! (and their calendar-user addresses), with
//! the same `--config` and flags as `serve`; safe while the server runs
//! (every edit is locked and atomic, and the server re-reads what changed).

use std::io::{BufRead, IsTerminal, Read};
use std::process::ExitCode;

use clap::Subcommand;

use super::accounts::{file_config, finish, state_path, Failure};
use super::SettingsArgs;
use crate::accounts::{AccountError, AppPasswords, HtpasswdFile};
use crate::push::registrations::Registrations;
use crate::schedule::Addresses;
use crate::state_dir::StateDir;

/// Longest password line read from a non-terminal stdin.
const MAX_STDIN_LINE: u64 = 4096;

#[derive(Subcommand, Debug)]
pub enum UserAction {
    /// Add a user to the htpasswd file (password from a prompt, or one line of stdin)
    Add {
        /// The user's name (as in the htpasswd file)
        user: String,
        /// A calendar-user address for invitations (repeatable), besides <USER>@<email_domain>
        #[arg(long = "email", value_name = "ADDR")]
        emails: Vec<String>,
        #[command(flatten)]
        config: SettingsArgs,
    },
    /// Set a user's calendar-user addresses for invitations (besides <USER>@<email_domain>), or print them
    Email {
        /// The user's name (as in the htpasswd file)
        user: String,
        /// The addresses (they replace the user's; none: print them)
        addresses: Vec<String>,
        /// Remove all of the user's addresses
        #[arg(long, conflicts_with = "addresses")]
        clear: bool,
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

fn htpasswd(args: &SettingsArgs) -> Result<HtpasswdFile, Failure> {
    file_config(args)?
        .htpasswd
        .map(HtpasswdFile::new)
        .ok_or_else(|| Failure::Config(AccountError::NoHtpasswd.to_string()))
}

/// The users' addresses in the server's state directory (made if missing).
fn addresses(args: &SettingsArgs) -> Result<Addresses, Failure> {
    let fc = file_config(args)?;
    let path = state_path(&fc);
    let dir = StateDir::open(&path).map_err(AccountError::io(&path))?;
    Ok(Addresses::open(Some(dir), fc.email_domain))
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
    Addresses::open(Some(dir.clone()), None).set(user, &[])?;
    let pushes = Registrations::load(dir)
        .and_then(|r| r.remove_user(user))
        .map_err(AccountError::io(&path))?;
    Ok((apps, pushes))
}

pub fn run(action: UserAction) -> ExitCode {
    let what = "user";
    finish(
        what,
        (|| match action {
            UserAction::Add {
                user,
                emails,
                config,
            } => {
                let file = htpasswd(&config)?;
                crate::accounts::check_user_name(&user)?;
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
                if !emails.is_empty() {
                    addresses(&config)?.set(&user, &emails)?;
                }
                file.add(&user, &password)?;
                println!("added user {user}");
                Ok(())
            }
            UserAction::Email {
                user,
                addresses: list,
                clear,
                config,
            } => {
                if !htpasswd(&config)?.list()?.contains(&user) {
                    return Err(AccountError::NoSuchUser(user).into());
                }
                let book = addresses(&config)?;
                if clear || !list.is_empty() {
                    book.set(&user, &list)?;
                }
                for a in book.of(&user) {
                    println!("{a}");
                }
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
    crate::accounts::users::check_new_password(&password)?;
    Ok(password)
}
