//! `davdir import`: one .ics or .vcf file into a collection, through a
//! scratch cache of its own (so the server's change logs have one writer,
//! and its watcher sees each new object as one change); the work is
//! `import::import_with_progress`. Works while the server runs.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::store::{fail, open_store};
use super::SettingsArgs;
use crate::import::{self, MAX_IMPORT_SIZE};

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
pub fn run(args: ImportArgs) -> ExitCode {
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
