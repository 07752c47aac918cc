//! `davdir check`: reports what `check::problems` finds in the data
//! directory (and htpasswd file) of `--config` or the flags, with the
//! server's size bound; exits 1 when there is a problem, 2 when the check
//! itself cannot run.

use std::process::ExitCode;

use super::SettingsArgs;

/// `davdir check`: the data directory (and htpasswd file) of `--config`
/// or the flags, with the server's size bound.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Largest object file, in bytes (larger files are reported) [default: the config's max_resource_size, else 10485760]
    #[arg(long, value_name = "BYTES")]
    pub max_resource_size: Option<u64>,
}

pub fn run(args: CheckArgs) -> ExitCode {
    let config = match args.settings.file_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("davdir check: {e}");
            return ExitCode::from(2);
        }
    };
    let data = config
        .data
        .clone()
        .unwrap_or_else(crate::config::default_data_dir);
    let max = args
        .max_resource_size
        .or(config.max_resource_size)
        .unwrap_or(crate::config::DEFAULT_MAX_RESOURCE_SIZE);
    match crate::check::problems(
        &data,
        max,
        config.htpasswd.as_deref(),
        config.groups.as_deref(),
    ) {
        Ok(list) if list.is_empty() => {
            println!("no problems found");
            ExitCode::SUCCESS
        }
        Ok(list) => {
            for p in list {
                println!("{p}");
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("davdir check: {}: {e}", data.display());
            ExitCode::from(2)
        }
    }
}
