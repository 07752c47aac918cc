//! `davdir trash list|restore|purge`: works on the server's own cache,
//! moving the trashed collection's parked index and log, so it works while
//! the server runs (the trash lock orders it with the server's own moves).

use std::process::ExitCode;

use clap::Subcommand;

use super::store::{fail, open_store};
use super::SettingsArgs;
use crate::config::DEFAULT_TRASH_DAYS;

#[derive(Subcommand, Debug)]
pub enum TrashCommand {
    /// List deleted collections (every user's, or one user's)
    List {
        /// Only this user's trash
        #[arg(long)]
        user: Option<String>,
        #[command(flatten)]
        serve: SettingsArgs,
    },
    /// Put a deleted collection back, under its old name or `--as NAME`
    Restore {
        /// The user whose trash it is in
        user: String,
        /// The entry's id, as `trash list` shows it
        id: String,
        /// Restore under this collection name instead of the old one
        #[arg(long = "as", value_name = "NAME")]
        as_name: Option<String>,
        #[command(flatten)]
        serve: SettingsArgs,
    },
    /// Delete a trashed collection for good
    Purge {
        /// The user whose trash it is in
        user: String,
        /// The entry's id, as `trash list` shows it
        id: String,
        #[command(flatten)]
        serve: SettingsArgs,
    },
}

/// `davdir trash list|restore|purge`.
pub fn run(command: TrashCommand) -> ExitCode {
    let serve = match &command {
        TrashCommand::List { serve, .. }
        | TrashCommand::Restore { serve, .. }
        | TrashCommand::Purge { serve, .. } => serve,
    };
    let store = match open_store(serve, None) {
        Ok(s) => s,
        Err(e) => return fail("trash", e),
    };
    match &command {
        TrashCommand::List { user, .. } => {
            let users = match user {
                Some(u) => vec![u.clone()],
                None => store.user_names().unwrap_or_default(),
            };
            let days = serve
                .file_config()
                .ok()
                .and_then(|c| c.trash_days)
                .unwrap_or(DEFAULT_TRASH_DAYS);
            for user in users {
                match store.list_trash(&user) {
                    Ok(entries) => {
                        for e in entries {
                            let purge_at = e.deleted_at + chrono::Duration::days(days.into());
                            println!(
                                "{user}\t{}\t{}\t{}\t{} objects\tdeleted {}\tpurged after {}",
                                e.id,
                                e.name,
                                e.kind,
                                e.objects,
                                e.deleted_at.format("%Y-%m-%d %H:%M:%SZ"),
                                purge_at.format("%Y-%m-%d")
                            );
                        }
                    }
                    Err(e) => return fail("trash", format!("{user}: {e}")),
                }
            }
            ExitCode::SUCCESS
        }
        TrashCommand::Restore {
            user, id, as_name, ..
        } => match store.restore(user, id, as_name.as_deref()) {
            Ok(name) => {
                println!("restored {id} as {user}/{name}");
                ExitCode::SUCCESS
            }
            Err(e) => fail("trash restore", trash_error(user, id, e)),
        },
        TrashCommand::Purge { user, id, .. } => match store.purge(user, id) {
            Ok(()) => {
                println!("purged {user}/{id}");
                ExitCode::SUCCESS
            }
            Err(e) => fail("trash purge", trash_error(user, id, e)),
        },
    }
}

/// Why a restore or purge failed; an entry that is gone was most likely
/// taken by a restore or purge that ran first (the trash lock orders them).
fn trash_error(user: &str, id: &str, e: crate::store::StoreError) -> String {
    match e {
        crate::store::StoreError::NotFound => {
            format!("{user}/{id}: not in the trash (already restored or purged, or never there)")
        }
        e => format!("{user}/{id}: {e}"),
    }
}
