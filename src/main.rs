use std::process::ExitCode;

use clap::Parser;

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
    davdir::cli::run(davdir::cli::Cli::parse())
}
