//! The optional `hook` command, run after each change the server makes so
//! that e.g. `git add -A && git commit` keeps the data directory versioned.
//! Runs one at a time on its own thread, in the data directory, with the
//! change in DAVDIR_USER, DAVDIR_COLLECTION, DAVDIR_PATHS (newline-separated
//! paths relative to the data directory) and DAVDIR_METHOD. Commits land in
//! `.git`, a hidden directory the watcher ignores, so they never loop back.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{channel, Sender};

use parking_lot::Mutex;

use crate::store::{names, CollectionKind};

pub struct Change {
    pub method: super::method::DavMethod,
    pub user: String,
    pub collection: String,
    /// `user/collection` or `user/collection/<URL name>` of what changed.
    pub paths: Vec<String>,
}

impl Change {
    /// The change as made in the owner's directory when it went through a
    /// view (`store::shares`): the hook is told of the files that changed.
    pub fn through_views(mut self, store: &crate::store::Store) -> Change {
        let owned = |user: &str, coll: &str| {
            crate::store::without_waiting(|| store.view(user, coll))
                .ok()
                .flatten()
                .filter(|_| {
                    store
                        .root()
                        .join(user)
                        .join(coll)
                        .symlink_metadata()
                        .is_err()
                })
        };
        if let Some(view) = owned(&self.user, &self.collection) {
            self.user = view.owner.clone();
            self.collection = view.collection.clone();
        }
        for path in &mut self.paths {
            let mut parts = path.splitn(3, '/');
            let (Some(user), Some(coll)) = (parts.next(), parts.next()) else {
                continue;
            };
            let rest = parts.next();
            if let Some(view) = owned(user, coll) {
                *path = match rest {
                    Some(rest) => format!("{}/{}/{rest}", view.owner, view.collection),
                    None => format!("{}/{}", view.owner, view.collection),
                };
            }
        }
        self
    }
}

/// DAVDIR_PATHS: each changed path as a file path. An object's URL name
/// becomes its file name (`store::names`), which depends on the kind of its
/// collection; that is read here, on the hook's thread, not on a worker.
fn file_paths(data: &Path, paths: &[String]) -> String {
    let file_path = |path: &String| {
        let mut parts = path.splitn(3, '/');
        let (Some(user), Some(coll), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            return path.clone();
        };
        let kind = CollectionKind::of_dir(&data.join(user).join(coll)).unwrap_or_default();
        match names::object_file_name(kind, name) {
            Ok(file) => format!("{user}/{coll}/{file}"),
            Err(_) => path.clone(),
        }
    };
    paths.iter().map(file_path).collect::<Vec<_>>().join("\n")
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
                        .env("DAVDIR_COLLECTION", &change.collection)
                        .env("DAVDIR_PATHS", file_paths(&data, &change.paths))
                        .output();
                    match result {
                        Ok(out) if out.status.success() => {}
                        // Both streams: git says "nothing to commit" on stdout.
                        Ok(out) => {
                            tracing::warn!("hook exited with {}: {}", out.status, output_text(&out))
                        }
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

/// What a failed hook printed, stderr then stdout, each cut at 2 KiB so a
/// chatty command cannot flood the log.
fn output_text(out: &std::process::Output) -> String {
    let cut = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)])
            .trim()
            .to_string();
        text
    };
    [cut(&out.stderr), cut(&out.stdout)]
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}
