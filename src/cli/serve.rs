//! `davdir serve`: resolves the settings and runs the server until it is
//! stopped, telling systemd when it is ready. `demo` serves through here too.

use std::io::Write;
use std::process::ExitCode;

use super::ServeArgs;
use crate::config::{Config, FileConfig};

pub fn run(args: ServeArgs) -> ExitCode {
    match args.file_config().and_then(FileConfig::resolve) {
        Ok(config) => serve(config),
        Err(e) => fail(&e.to_string()),
    }
}

/// A start-up failure: one line on stderr, exit 2.
pub(super) fn fail(msg: &str) -> ExitCode {
    eprintln!("davdir: {msg}");
    ExitCode::from(2)
}

/// Runs the server of `config` on a runtime of its own until it stops.
pub fn serve(config: Config) -> ExitCode {
    let result = actix_web::rt::System::new().block_on(async move {
        let running = crate::router::run(&config)?;
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
