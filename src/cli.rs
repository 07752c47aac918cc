//! The command line: `davdir serve`, `davdir check`, and the account
//! commands (`user`, `app-password`) defined in `accounts::cli`.

use clap::{Parser, Subcommand};

pub use crate::serve_args::ServeArgs;

#[derive(Parser, Debug)]
#[command(
    name = "davdir",
    version,
    about = "A CalDAV and CardDAV server whose storage is plain .ics and .vcf files in vdir directories"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// `davdir check`: the data directory (and htpasswd file) of `--config`
/// or the flags, with the server's size bound.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub settings: crate::serve_args::SettingsArgs,
    /// Largest object file, in bytes (larger files are reported) [default: the config's max_resource_size, else 10485760]
    #[arg(long, value_name = "BYTES")]
    pub max_resource_size: Option<u64>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the data directory over CalDAV and CardDAV.
    Serve(ServeArgs),
    /// Try davdir: serve a working copy of the sample data (users demo/demo and alice/alice).
    Demo(crate::demo::DemoArgs),
    /// List every file the server cannot serve (file:line: reason), each once; exit 1 if any.
    Check(CheckArgs),
    /// Manage the users of the htpasswd file (works while the server runs).
    User {
        #[command(subcommand)]
        action: crate::accounts::cli::UserAction,
    },
    /// Manage per-device app passwords (works while the server runs).
    AppPassword {
        #[command(subcommand)]
        action: crate::accounts::cli::AppPasswordAction,
    },
    /// Import an .ics or .vcf file into a collection, one object per UID (made when missing).
    Import(crate::data_cli::ImportArgs),
    /// Write a calendar as one .ics or an address book as one .vcf.
    Export(crate::data_cli::ExportArgs),
    /// Share a collection with other users, end a share, or list shares.
    #[command(subcommand)]
    Share(crate::share_cli::ShareCommand),
    /// List, restore or purge deleted collections.
    #[command(subcommand)]
    Trash(crate::data_cli::TrashCommand),
    /// Turn a Radicale collection-root into davdir's layout (items byte for byte); safe to re-run.
    ImportRadicale(crate::radicale_import::RadicaleArgs),
}
