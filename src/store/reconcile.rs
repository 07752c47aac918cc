//! Reconcile: bringing indexes in line with files edited while the server
//! was down (at start) or behind its back (watcher batches).
//!
//! Locking: each collection's lock is taken once per batch, with its files
//! grouped, so one batch is one log append per calendar; `Store::cells` is
//! released before a collection lock is taken. Durability: changes enter the
//! synced change log; the index itself is saved by `flush`.

use std::collections::HashMap;
use std::sync::Arc;

use super::{index, watcher, Result, Store};

impl Store {
    /// Loads every calendar and brings its index in line with the files:
    /// edits made while the server was down enter the change logs now, so
    /// tokens issued before the restart answer with exactly those changes.
    pub fn reconcile_all(self: &Arc<Self>) -> Result<usize> {
        let mut objects = 0;
        for user in self.user_names()? {
            for (name, _) in self.collection_names(&user).unwrap_or_default() {
                match self
                    .collection(&user, &name)
                    .and_then(|c| c.objects_where(|_| false).map(|_| c))
                {
                    Ok(cal) => objects += cal.cell.state.lock().index.objects.len(),
                    Err(e) => tracing::warn!("{user}/{name}: {e}"),
                }
            }
        }
        self.flush();
        Ok(objects)
    }

    /// Applies a batch of watcher observations: re-reads touched files of
    /// calendars in memory and moves their tokens. Calendars not loaded yet
    /// are compared against their saved index when first used.
    pub fn apply(&self, batch: watcher::Batch) {
        if batch.rescan {
            self.shares_lost();
            for cell in self.cells.lock().values() {
                cell.state.lock().stale = true;
            }
        }
        for (user, cal) in &batch.collections {
            self.shares_touched(user, cal);
            let cell = self.cells.lock().get(&(user.clone(), cal.clone())).cloned();
            if let Some(cell) = cell {
                let mut state = cell.state.lock();
                // Metadata moved (or the directory came or went): move the
                // ctag and look at every file again on next use.
                tracing::debug!("{user}/{cal}: collection changed on disk");
                state.stale = true;
                state.bump();
            }
        }
        // Grouped per collection: one lock and one (synced) log append each.
        let mut by_collection: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
        for (user, cal, file) in &batch.files {
            by_collection.entry((user, cal)).or_default().push(file);
        }
        for ((user, cal), files) in by_collection {
            let cell = self
                .cells
                .lock()
                .get(&(user.to_string(), cal.to_string()))
                .cloned();
            let Some(cell) = cell else { continue };
            let mut state = cell.state.lock();
            let dir = self.root.join(user).join(cal);
            let mut changed = Vec::new();
            for file in files {
                if let index::Observed::Changed =
                    state.index.refresh_file(&dir, file, self.max_object_size())
                {
                    tracing::info!("{user}/{cal}/{file}: changed on disk");
                    changed.push(file);
                }
            }
            state.record_all(&changed);
        }
    }
}
