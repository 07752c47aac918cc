//! Who hears of a change: the store's one listener (push delivery), told
//! the collection and its new sync token each time the token moves.

use std::sync::Arc;

use super::ChangeLog;

/// Told the collection and its new sync token each time the token moves,
/// whatever moved it (a request, the watcher, a rescan); it runs under the
/// collection's lock, so it must only hand the news on (push delivery).
pub type ChangeListener = Arc<dyn Fn(&str, &str, &str) + Send + Sync>;

/// Where a collection's log announces its changes: the store's one listener
/// slot (set once, possibly after the log was made) and whose log this is.
#[derive(Clone)]
pub struct Notice {
    pub listener: Arc<std::sync::OnceLock<ChangeListener>>,
    pub user: String,
    pub collection: String,
}

impl std::fmt::Debug for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Notice({}/{})", self.user, self.collection)
    }
}

impl ChangeLog {
    /// Announces every later change of this log through `notice`.
    pub fn announce_to(&mut self, notice: Notice) {
        self.notice = Some(notice);
    }

    pub(super) fn announce(&self) {
        if let Some(n) = &self.notice {
            if let Some(listener) = n.listener.get() {
                listener(&n.user, &n.collection, &self.token());
            }
        }
    }
}
