//! `davdir import`, `davdir export` and `davdir trash`: the library's
//! import, export and trash for scripts and first setup. Each reads the
//! same `--config` and flags as `serve` and works while the server runs:
//! import and export work on the files (through a scratch cache of their
//! own, so the server's change logs have one writer, and its watcher sees
//! each new object as one change); the trash commands move the trashed
//! collection's parked index and log in the server's cache.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};

use crate::config::{default_data_dir, FileConfig, DEFAULT_MAX_RESOURCE_SIZE, DEFAULT_TRASH_DAYS};
use crate::import::{self, MAX_IMPORT_SIZE};
use crate::serve_args::SettingsArgs;
use crate::store::Store;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The .ics or .vcf file
    pub file: PathBuf,
    /// The user whose collection it goes into
    #[arg(long)]
    pub user: String,
    /// Collection to import into; made (of the file's kind) when missing
    #[arg(long)]
    pub collection: String,
    #[command(flatten)]
    pub serve: SettingsArgs,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The user whose collection it is
    #[arg(long)]
    pub user: String,
    /// The calendar or address book (its directory name)
    #[arg(long)]
    pub collection: String,
    /// File to write [default: standard output]
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub serve: SettingsArgs,
}

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

pub(crate) fn fail(what: &str, msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("davdir {what}: {msg}");
    ExitCode::from(2)
}

/// The store over the configured data directory; with `scratch`, its cache
/// is a private directory, not the server's.
pub(crate) fn open_store(
    args: &SettingsArgs,
    scratch: Option<&Path>,
) -> Result<Arc<Store>, String> {
    let config: FileConfig = args.file_config().map_err(|e| e.to_string())?;
    let data = config.data.clone().unwrap_or_else(default_data_dir);
    if !data.is_dir() {
        return Err(format!("no data directory {}", data.display()));
    }
    act_as_data_owner(&data)?;
    let cache = scratch.map(Path::to_path_buf).or(config.cache.clone());
    let store = Store::open(&data, cache.as_deref()).map_err(|e| e.to_string())?;
    store.set_max_object_size(
        config
            .max_resource_size
            .unwrap_or(DEFAULT_MAX_RESOURCE_SIZE),
    );
    store.set_birthday_calendar(config.birthday_calendar.unwrap_or(true));
    store.set_first_collections(crate::store::FirstCollections::named(
        config.first_calendar.as_deref(),
        config.first_addressbook.as_deref(),
    ));
    // One scan per collection is enough for a short run: without this, every
    // access rescans the directory (1,000 objects imported = 1,000 scans).
    // A write still looks at its own file again under the lock.
    store.set_watched(true);
    Ok(store)
}

/// Run as root, a command that writes into the data acts as the data
/// directory's owner (the server's user), so the server can read and replace
/// everything it writes, its cache files included.
pub fn act_as_data_owner(data: &Path) -> Result<(), String> {
    match crate::file_owner::act_as_owner_of(data) {
        Ok(Some(uid)) => {
            eprintln!(
                "davdir: acting as uid {uid}, the owner of {}, so the server can use what this writes",
                data.display()
            );
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => Err(format!(
            "cannot act as the owner of {}: {e}; run this command as that user (sudo -u davdir davdir ...)",
            data.display()
        )),
    }
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_IMPORT_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(bytes)
}

/// `davdir import`: prints one line per skipped item and a summary; exits
/// 1 when something was skipped, 2 when nothing could be imported at all.
pub fn run_import(args: ImportArgs) -> ExitCode {
    let Ok(scratch) = tempfile::tempdir() else {
        return fail("import", "cannot make a scratch directory");
    };
    // Read before open_store, which may give up root for the data's owner.
    let bytes = match read_bounded(&args.file) {
        Ok(b) => b,
        Err(e) => return fail("import", e),
    };
    let store = match open_store(&args.serve, Some(scratch.path())) {
        Ok(s) => s,
        Err(e) => return fail("import", e),
    };
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(0)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let result = import::import_with_progress(
        &store,
        &args.user,
        &args.collection,
        &bytes,
        args.file.file_name().and_then(|n| n.to_str()),
        &mut progress,
    );
    bar.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        Err(e) => return fail("import", e),
    };
    for s in &report.skipped {
        println!("skipped {}: {}", s.item, s.reason);
    }
    println!(
        "{}/{}: {} created, {} unchanged, {} skipped{}",
        args.user,
        args.collection,
        report.created,
        report.unchanged,
        report.skipped.len(),
        if report.collection_created {
            format!(" (new {})", report.kind)
        } else {
            String::new()
        }
    );
    if report.skipped.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `davdir export`: the collection as one file, to `--output` or stdout.
pub fn run_export(args: ExportArgs) -> ExitCode {
    let Ok(scratch) = tempfile::tempdir() else {
        return fail("export", "cannot make a scratch directory");
    };
    let store = match open_store(&args.serve, Some(scratch.path())) {
        Ok(s) => s,
        Err(e) => return fail("export", e),
    };
    let coll = match store.collection(&args.user, &args.collection) {
        Ok(c) => c,
        Err(e) => return fail("export", format!("{}/{}: {e}", args.user, args.collection)),
    };
    let title = coll
        .props()
        .ok()
        .and_then(|p| p.displayname)
        .unwrap_or_else(|| args.collection.clone());
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Box::new(std::io::BufWriter::new(f)),
            Err(e) => return fail("export", format!("{}: {e}", path.display())),
        },
        None => Box::new(std::io::stdout().lock()),
    };
    let mut write_error = None;
    let written = crate::export::export(&coll, &title, &mut |text| {
        if write_error.is_none() {
            write_error = out.write_all(text.as_bytes()).err();
        }
    });
    if let Some(e) = write_error.or_else(|| out.flush().err()) {
        return fail("export", e);
    }
    match written {
        Ok(n) => {
            eprintln!("exported {n} objects of {}/{}", args.user, args.collection);
            ExitCode::SUCCESS
        }
        Err(e) => fail("export", e),
    }
}

/// `davdir trash list|restore|purge`.
pub fn run_trash(command: TrashCommand) -> ExitCode {
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
