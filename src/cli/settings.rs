//! The settings flags every command shares with `serve` (`--data`,
//! `--config`, `--htpasswd`, `--state`...): declared once here, and
//! flattened into each command's arguments.

use std::path::PathBuf;

use clap::Args;

use crate::config::FileConfig;

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
    /// PEM certificate chain to serve HTTPS with (give --tls-key too); renewed files are picked up without a restart
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// TOML file with the same keys as these flags (data, listen, htpasswd, no_auth, cache, base_path, state, tls_cert, tls_key, hook, watch, max_resource_size, request_timeout); flags win
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl ServeArgs {
    /// The flags merged over the `--config` file (flags win): what every
    /// command that works on the data, the htpasswd file or the state
    /// directory reads, so it finds what the running server uses.
    pub fn file_config(&self) -> Result<FileConfig, crate::config::ConfigError> {
        over_config_file(self.config.as_ref(), self.as_file_config())
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
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            ..FileConfig::default()
        }
    }
}

/// The settings flags of the commands that work beside a running server
/// (`user`, `app-password`, `import`, `export`, `trash`, `import-radicale`,
/// `check`): where the data, the users and the state are, and nothing about
/// serving, so each command's `--help` lists only what it uses.
#[derive(Args, Debug, Default)]
pub struct SettingsArgs {
    /// The server's TOML config file (e.g. /etc/davdir/config.toml): the places below are read from it; flags win
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory [default: from --config, else ~/.local/share/davdir]
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// htpasswd file of the users [default: from --config]
    #[arg(long, value_name = "FILE")]
    pub htpasswd: Option<PathBuf>,
    /// Directory of secrets and server state (app passwords) [default: from --config, else <DATA>.state]
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Cache directory (sync-token logs) [default: from --config, else <DATA>/.davdir-cache]
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
}

impl SettingsArgs {
    /// The flags merged over the `--config` file (flags win), so a command
    /// finds what the running server uses.
    pub fn file_config(&self) -> Result<FileConfig, crate::config::ConfigError> {
        let flags = FileConfig {
            data: self.data.clone(),
            htpasswd: self.htpasswd.clone(),
            state: self.state.clone(),
            cache: self.cache.clone(),
            ..FileConfig::default()
        };
        over_config_file(self.config.as_ref(), flags)
    }
}

/// `flags` merged over the `--config` file, if one is given (flags win).
fn over_config_file(
    config: Option<&PathBuf>,
    flags: FileConfig,
) -> Result<FileConfig, crate::config::ConfigError> {
    let file = match config {
        Some(path) => FileConfig::read(path)?,
        None => FileConfig::default(),
    };
    Ok(flags.or(file))
}
