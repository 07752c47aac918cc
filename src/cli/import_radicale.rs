//! The `davdir import-radicale` command: arguments, the run and its report;
//! the migration itself is `radicale_import::migrate`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::SettingsArgs;
use crate::radicale_import::{migrate, Rules};

#[derive(Args, Debug)]
pub struct RadicaleArgs {
    /// Radicale's collection-root directory (holding <user>/<collection>/)
    pub collection_root: PathBuf,
    #[command(flatten)]
    pub serve: SettingsArgs,
}

/// Prints what was done (or that there was nothing to do); exits 1 when
/// an item was skipped, 2 on an error.
pub fn run(args: RadicaleArgs) -> ExitCode {
    let config = match args.serve.file_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("davdir import-radicale: {e}");
            return ExitCode::from(2);
        }
    };
    let data = config
        .data
        .clone()
        .unwrap_or_else(crate::config::default_data_dir);
    if data.is_dir() {
        if let Err(e) = super::store::act_as_data_owner(&data) {
            eprintln!("davdir import-radicale: {e}");
            return ExitCode::from(2);
        }
    }
    let rules = Rules {
        max_resource_size: config
            .max_resource_size
            .unwrap_or(crate::config::DEFAULT_MAX_RESOURCE_SIZE),
        birthday_calendar: config.birthday_calendar.unwrap_or(true),
    };
    let report = match migrate(&args.collection_root, &data, &rules) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("davdir import-radicale: {e}");
            return ExitCode::from(2);
        }
    };
    for c in &report.collections_created {
        println!("created {c}");
    }
    for s in &report.skipped {
        println!("skipped {}: {}", s.item, s.reason);
    }
    if report.nothing_done() && report.skipped.is_empty() {
        println!(
            "nothing to do: {} items already there",
            report.items_unchanged
        );
    } else {
        println!(
            "{} collections created, {} items written, {} unchanged, {} property files written, {} skipped",
            report.collections_created.len(),
            report.items_written,
            report.items_unchanged,
            report.props_written,
            report.skipped.len()
        );
    }
    if report.skipped.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
