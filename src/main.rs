use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use davdir::cli::{Cli, Command};
use davdir::config::FileConfig;

fn main() -> ExitCode {
    davdir::memory::limit_arenas();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DAVDIR_LOG")
                .unwrap_or_else(|_| "davdir=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check(args),
        Command::Serve(args) => {
            let config = match args.file_config().and_then(FileConfig::resolve) {
                Ok(c) => c,
                Err(e) => return fail(&e.to_string()),
            };
            serve(config)
        }
        Command::Demo(args) => match davdir::demo::prepare(&args) {
            Ok(config) => serve(config),
            Err(e) => fail(&e),
        },
        Command::User { action } => davdir::accounts::cli::run_user(action),
        Command::AppPassword { action } => davdir::accounts::cli::run_app_password(action),
        Command::Import(args) => davdir::data_cli::run_import(args),
        Command::Export(args) => davdir::data_cli::run_export(args),
        Command::Trash(command) => davdir::data_cli::run_trash(command),
        Command::Share(command) => davdir::share_cli::run_share(command),
        Command::ImportRadicale(args) => davdir::radicale_import::run(args),
    }
}

fn check(args: davdir::cli::CheckArgs) -> ExitCode {
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
        .unwrap_or_else(davdir::config::default_data_dir);
    let max = args
        .max_resource_size
        .or(config.max_resource_size)
        .unwrap_or(davdir::config::DEFAULT_MAX_RESOURCE_SIZE);
    match davdir::check::problems(
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

fn fail(msg: &str) -> ExitCode {
    eprintln!("davdir: {msg}");
    ExitCode::from(2)
}

fn serve(config: davdir::config::Config) -> ExitCode {
    let result = actix_web::rt::System::new().block_on(async move {
        let running = davdir::http::run(&config)?;
        let scheme = if config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        tracing::info!(
            "serving {} on {scheme}://{}/",
            config.data.display(),
            running.addr
        );
        println!("listening on {scheme}://{}/", running.addr);
        let _ = std::io::stdout().flush();
        // systemd's Type=notify: bound and running, so requests are answered
        // from now on (the startup scan goes on in the background).
        if let Err(e) = sd_notify::notify(&[sd_notify::NotifyState::Ready]) {
            tracing::warn!("cannot tell systemd the server is ready: {e}");
        }
        let store = running.store.clone();
        let result = running.server.await;
        store.flush();
        result
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e.to_string()),
    }
}
