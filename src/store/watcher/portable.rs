//! The watcher's OS side where inotify is not available: notify's
//! recommended backend (FSEvents, kqueue, ReadDirectoryChangesW).
//!
//! Some of these report reads; `content_neutral` events are dropped in
//! notify's callback, before they wake the batching thread. Compiled on
//! Linux too (there `linux.rs` is used instead), so it cannot rot unseen.

use std::path::Path;
use std::sync::mpsc::Sender;

use notify::{Event, RecommendedWatcher, RecursiveMode, Watcher};

/// notify's watcher, whose callback feeds the batching thread.
pub struct Backend {
    watcher: RecommendedWatcher,
}

impl Backend {
    /// Starts notify's watcher; its events go to `tx`.
    pub fn start(tx: Sender<notify::Result<Event>>) -> notify::Result<Self> {
        let watcher = notify::recommended_watcher(move |ev: notify::Result<Event>| {
            if ev.as_ref().is_ok_and(super::content_neutral) {
                return;
            }
            let _ = tx.send(ev);
        })?;
        Ok(Backend { watcher })
    }

    /// Watches `dir` (not its subdirectories).
    pub fn watch(&mut self, dir: &Path) -> notify::Result<()> {
        self.watcher.watch(dir, RecursiveMode::NonRecursive)
    }
}
