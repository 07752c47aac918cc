//! The command line: `davdir serve`, `davdir check`, and the account
//! commands (`user`, `app-password`) defined in `accounts::cli`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::FileConfig;

#[derive(Parser, Debug)]
#[command(
    name = "davdir",
    version,
    about = "A CalDAV server whose storage is plain .ics files in vdir directories"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the data directory over CalDAV.
    Serve(ServeArgs),
    /// List every file the server cannot serve (file:line: reason); exit 1 if any.
    Check {
        /// Data directory to check.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Largest object file, in bytes: the server's max_resource_size (larger files are reported)
        #[arg(long, value_name = "BYTES", default_value_t = crate::config::DEFAULT_MAX_RESOURCE_SIZE)]
        max_resource_size: u64,
    },
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
    /// List, restore or purge deleted collections.
    #[command(subcommand)]
    Trash(crate::data_cli::TrashCommand),
    /// Turn a Radicale collection-root into davdir's layout (items byte for byte); safe to re-run.
    ImportRadicale(crate::radicale_import::RadicaleArgs),
}

#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    /// Data directory: <DIR>/<user>/<calendar>/<object>.ics [default: ~/.local/share/davdir]
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Address and port to listen on; port 0 picks a free one [default: 127.0.0.1:5232]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// htpasswd file with bcrypt (`htpasswd -B`) or argon2 hashes; users log in with HTTP Basic
    #[arg(long, value_name = "FILE")]
    pub htpasswd: Option<PathBuf>,
    /// Run without authentication (allowed on loopback addresses only)
    #[arg(long)]
    pub no_auth: bool,
    /// Cache directory for sync tokens and the index [default: <DIR>/.davdir-cache]
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// URL path the server is reached under behind a reverse proxy, e.g. /caldav (hrefs carry it; requests may come with or without it)
    #[arg(long, value_name = "PATH")]
    pub base_path: Option<String>,
    /// Directory for secrets and server state, outside the data directory [default: <DIR>.state]
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// TOML file with the same keys as these flags (data, listen, htpasswd, no_auth, cache, base_path, state, hook, watch, max_resource_size, request_timeout); flags win
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl ServeArgs {
    /// The flags merged over the `--config` file (flags win): what every
    /// command that works on the data, the htpasswd file or the state
    /// directory reads, so it finds what the running server uses.
    pub fn file_config(&self) -> Result<FileConfig, crate::config::ConfigError> {
        let file = match &self.config {
            Some(path) => FileConfig::read(path)?,
            None => FileConfig::default(),
        };
        Ok(self.as_file_config().or(file))
    }

    pub fn as_file_config(&self) -> FileConfig {
        FileConfig {
            data: self.data.clone(),
            listen: self.listen.clone(),
            htpasswd: self.htpasswd.clone(),
            no_auth: self.no_auth.then_some(true),
            cache: self.cache.clone(),
            base_path: self.base_path.clone(),
            state: self.state.clone(),
            ..FileConfig::default()
        }
    }
}
