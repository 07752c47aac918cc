//! `davdir share add|remove|list`: the `[share]` tables (docs/DESIGN.md
//! "Sharing") from the command line, for scripts and owners who would rather
//! not edit TOML. Works while the server runs: it writes the settings file
//! as a hand edit would (other keys and comments kept), and the server's
//! watcher picks the change up within its batch.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;

use super::settings::SettingsArgs;
use super::store::{fail, open_store};
use crate::store::{Access, Store};

#[derive(Subcommand, Debug)]
pub enum ShareCommand {
    /// Share OWNER's COLLECTION with SHAREE, a user or `@group` (read-only unless --read-write)
    Add {
        /// The user whose collection it is
        owner: String,
        /// The calendar or address book (its directory name)
        collection: String,
        /// A user, or `@group` of the groups file
        sharee: String,
        /// Let the sharee write objects, not only read them
        #[arg(long)]
        read_write: bool,
        #[command(flatten)]
        serve: SettingsArgs,
    },
    /// End SHAREE's share of OWNER's COLLECTION
    Remove {
        /// The user whose collection it is
        owner: String,
        /// The calendar or address book (its directory name)
        collection: String,
        /// A user, or `@group` of the groups file
        sharee: String,
        #[command(flatten)]
        serve: SettingsArgs,
    },
    /// Print each share as owner/collection, sharee and access (tab-separated), then the entries that grant nothing
    List {
        /// Only this owner's collections
        #[arg(long)]
        user: Option<String>,
        #[command(flatten)]
        serve: SettingsArgs,
    },
}

pub fn run_share(command: ShareCommand) -> ExitCode {
    let serve = match &command {
        ShareCommand::Add { serve, .. }
        | ShareCommand::Remove { serve, .. }
        | ShareCommand::List { serve, .. } => serve,
    };
    // A private cache: the server's change logs keep one writer.
    let scratch = match tempfile::Builder::new().prefix("davdir-share-").tempdir() {
        Ok(dir) => dir,
        Err(e) => return fail("share", e),
    };
    let store = match open_store(serve, Some(scratch.path())) {
        Ok(s) => s,
        Err(e) => return fail("share", e),
    };
    let users = known_users(serve, &store);
    store.set_groups_file(serve.file_config().ok().and_then(|c| c.groups));
    match command {
        ShareCommand::Add {
            owner,
            collection,
            sharee,
            read_write,
            ..
        } => {
            // A group (`@name`) is checked against the groups file by `list`.
            if !sharee.starts_with('@') && users.as_ref().is_some_and(|u| !u.contains(&sharee)) {
                return fail("share", format!("no such user {sharee:?}"));
            }
            let access = if read_write {
                Access::ReadWrite
            } else {
                Access::Read
            };
            match store.set_share(&owner, &collection, &sharee, Some(access)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail("share", format!("{owner}/{collection}: {e}")),
            }
        }
        ShareCommand::Remove {
            owner,
            collection,
            sharee,
            ..
        } => match store.set_share(&owner, &collection, &sharee, None) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail("share", format!("{owner}/{collection}: {e}")),
        },
        ShareCommand::List { user, .. } => {
            let owners = match user {
                Some(u) => vec![u],
                None => store.user_names().unwrap_or_default(),
            };
            let mut problems = Vec::new();
            for owner in owners {
                for (collection, _) in store.collection_names(&owner).unwrap_or_default() {
                    let (entries, found) = store.read_share_table(&owner, &collection);
                    for (sharee, access) in entries {
                        println!("{owner}/{collection}\t{sharee}\t{}", access.as_str());
                    }
                    problems.extend(found);
                }
            }
            for problem in problems {
                println!("{problem}");
            }
            ExitCode::SUCCESS
        }
    }
}

/// The accounts of the configured htpasswd file, also told to `store` so
/// shares naming others are reported; None without one (open access).
fn known_users(serve: &SettingsArgs, store: &Arc<Store>) -> Option<Vec<String>> {
    let path = serve.file_config().ok()?.htpasswd?;
    let users = crate::accounts::HtpasswdFile::new(path).list().ok()?;
    let known = users.clone();
    store.set_user_check(Arc::new(move |u| known.iter().any(|k| k == u)));
    Some(users)
}
