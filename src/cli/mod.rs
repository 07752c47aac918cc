//! The command line, one file per command: this module holds the `davdir`
//! parser and its dispatch; each command's arguments, printing and exit
//! codes live in its own file, and the work itself in the library modules
//! they call (`accounts`, `import`, `export`, `check`, `radicale_import`...).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod accounts;
pub mod app_password;
pub mod check;
pub mod demo;
pub mod export;
pub mod imip_receive;
pub mod import;
pub mod import_radicale;
pub mod serve;
pub mod settings;
pub mod share;
mod store;
pub mod trash;
pub mod user;

pub use settings::{ServeArgs, SettingsArgs};

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

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the data directory over CalDAV and CardDAV.
    Serve(ServeArgs),
    /// Try davdir: serve a working copy of the sample data (users demo/demo and alice/alice).
    Demo(demo::DemoArgs),
    /// List every file the server cannot serve (file:line: reason), each once; exit 1 if any.
    Check(check::CheckArgs),
    /// Manage the users of the htpasswd file (works while the server runs).
    User {
        #[command(subcommand)]
        action: user::UserAction,
    },
    /// Manage per-device app passwords (works while the server runs).
    AppPassword {
        #[command(subcommand)]
        action: app_password::AppPasswordAction,
    },
    /// Import an .ics or .vcf file into a collection, one object per UID (made when missing).
    Import(import::ImportArgs),
    /// Write a calendar as one .ics or an address book as one .vcf.
    Export(export::ExportArgs),
    /// Share a collection with other users, end a share, or list shares.
    #[command(subcommand)]
    Share(share::ShareCommand),
    /// List, restore or purge deleted collections.
    #[command(subcommand)]
    Trash(trash::TrashCommand),
    /// Turn a Radicale collection-root into davdir's layout (items byte for byte); safe to re-run.
    ImportRadicale(import_radicale::RadicaleArgs),
    /// Apply an outside attendee's iMIP REPLY (one mail on stdin, as an MTA pipes it); exit 1 refuses it.
    ImipReceive(imip_receive::ImipReceiveArgs),
}

/// Runs the parsed command; its exit code is the process's.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Check(args) => check::run(args),
        Command::User { action } => user::run(action),
        Command::AppPassword { action } => app_password::run(action),
        Command::Import(args) => import::run(args),
        Command::Export(args) => export::run(args),
        Command::Share(command) => share::run_share(command),
        Command::Trash(command) => trash::run(command),
        Command::ImportRadicale(args) => import_radicale::run(args),
        Command::ImipReceive(args) => imip_receive::run(args),
    }
}
