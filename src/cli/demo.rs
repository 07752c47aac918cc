//! `davdir demo`: README's first command. It serves a working copy of the
//! repository's `data-sample/` rather than the sample itself, so a
//! newcomer's clicks, PUTs and web logins (and the derived cache and state
//! they create) never touch the tracked files the test suite copies.

use std::fs;
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::config::{Config, ConfigError, FileConfig};
use crate::demo::copy_sample;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// The sample data to start from (a data directory with an `htpasswd` file at its top)
    #[arg(long, value_name = "DIR", default_value = "data-sample")]
    pub sample: PathBuf,
    /// Where the working copy, its cache and its state live (made from the sample when missing)
    #[arg(long, value_name = "DIR", default_value = "target/demo")]
    pub into: PathBuf,
    /// Start again from the sample, discarding the working copy's changes
    #[arg(long)]
    pub fresh: bool,
    /// Address and port to listen on; port 0 picks a free one
    #[arg(long, value_name = "ADDR", default_value = crate::config::DEFAULT_LISTEN)]
    pub listen: String,
}

/// Serves the working copy until stopped; exit 2 when it cannot be made.
pub fn run(args: DemoArgs) -> ExitCode {
    match prepare(&args) {
        Ok(config) => super::serve::serve(config),
        Err(e) => super::serve::fail(&e),
    }
}

/// Makes (or reuses) the working copy and returns the configuration that
/// serves it: data `<into>/data`, its own htpasswd, state `<into>/data.state`.
pub fn prepare(args: &DemoArgs) -> Result<Config, String> {
    if !args.sample.join("htpasswd").is_file() {
        return Err(format!(
            "{} is not the sample data (no htpasswd file in it); run the demo from the repository's top directory or give --sample DIR",
            args.sample.display()
        ));
    }
    let data = args.into.join("data");
    if args.fresh {
        for stale in [data.clone(), args.into.join("data.state")] {
            match fs::remove_dir_all(&stale) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(format!("cannot remove {}: {e}", stale.display()))
                }
                _ => {}
            }
        }
    }
    if !data.exists() {
        let partial = args.into.join(".data.partial");
        let _ = fs::remove_dir_all(&partial);
        copy_sample(&args.sample, &partial)
            .and_then(|()| fs::rename(&partial, &data))
            .map_err(|e| {
                format!(
                    "cannot copy {} to {}: {e}",
                    args.sample.display(),
                    data.display()
                )
            })?;
        println!("copied {} to {}", args.sample.display(), data.display());
    } else {
        println!(
            "serving the existing copy {} (--fresh starts again from the sample)",
            data.display()
        );
    }
    FileConfig {
        htpasswd: Some(data.join("htpasswd")),
        data: Some(data),
        listen: Some(args.listen.clone()),
        ..FileConfig::default()
    }
    .resolve()
    .map_err(|e: ConfigError| e.to_string())
}
