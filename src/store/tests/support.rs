//! What the store's unit tests share: a store in a temp dir with one home,
//! an event body, and the names a collection lists.

use std::sync::Arc;

use crate::store::{Collection, Store};

/// A store over a fresh temp dir with the home of user `u`.
pub(super) fn store() -> (tempfile::TempDir, Arc<Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), None).unwrap();
    store.ensure_home("u").unwrap();
    (dir, store)
}

/// A one-event calendar object with this UID.
pub(super) fn event(uid: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
}

/// The object names a collection lists.
pub(super) fn names(c: &Collection) -> Vec<String> {
    c.objects().unwrap().into_iter().map(|(n, _)| n).collect()
}
