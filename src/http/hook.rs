//! The optional `hook` command, run after each change the server makes so
//! that e.g. `git add -A && git commit` keeps the data directory versioned.
//! Runs one at a time on its own thread, in the data directory, with the
//! change in DAVDIR_USER, DAVDIR_COLLECTION, DAVDIR_PATHS (newline-separated
//! paths relative to the data directory) and DAVDIR_METHOD. Commits land in
//! `.git`, a hidden directory the watcher ignores, so they never loop back.

use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc::{channel, Sender};

use parking_lot::Mutex;

pub struct Change {
    pub method: super::method::DavMethod,
    pub user: String,
    pub calendar: String,
    pub paths: Vec<String>,
}

pub struct Hook {
    tx: Mutex<Sender<Change>>,
}

impl Hook {
    pub fn start(command: String, data: PathBuf) -> Hook {
        let (tx, rx) = channel::<Change>();
        std::thread::Builder::new()
            .name("davdir-hook".into())
            .spawn(move || {
                for change in rx {
                    let result = Command::new("sh")
                        .arg("-c")
                        .arg(&command)
                        .current_dir(&data)
                        .env("DAVDIR_METHOD", change.method.as_str())
                        .env("DAVDIR_USER", &change.user)
                        .env("DAVDIR_COLLECTION", &change.calendar)
                        .env("DAVDIR_PATHS", change.paths.join("\n"))
                        .output();
                    match result {
                        Ok(out) if out.status.success() => {}
                        Ok(out) => tracing::warn!(
                            "hook exited with {}: {}",
                            out.status,
                            String::from_utf8_lossy(&out.stderr).trim()
                        ),
                        Err(e) => tracing::warn!("cannot run hook: {e}"),
                    }
                }
            })
            .expect("spawn hook thread");
        Hook { tx: Mutex::new(tx) }
    }

    pub fn fire(&self, change: Change) {
        let _ = self.tx.lock().send(change);
    }
}
