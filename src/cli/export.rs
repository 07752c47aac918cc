//! `davdir export`: a calendar as one .ics or an address book as one .vcf,
//! read through a scratch cache of its own so it works while the server
//! runs; the work is `export::export`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::store::{fail, open_store};
use super::SettingsArgs;

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

/// `davdir export`: the collection as one file, to `--output` or stdout.
pub fn run(args: ExportArgs) -> ExitCode {
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
