//! What a birthday calendar was built from, kept in its collection's
//! `State` (`registry`) and read and rebuilt by `derived`: its own module so
//! the registry holds it without importing the code that makes it.

use std::collections::{BTreeMap, HashMap};

use super::index::Name;
use super::{Etag, IndexedInfo};

/// What a birthday calendar was built from, beside its index under the
/// same lock.
#[derive(Default)]
pub(super) struct Derived {
    /// Address book names and the sync tokens the events were made at.
    pub(super) sources: Vec<(String, String)>,
    /// Per contact (address book, file name): its ETag and its events, so
    /// a rebuild reads only contacts that changed. Names are inline
    /// `CompactString`s: no heap block per contact for usual names.
    pub(super) contacts: BTreeMap<(Name, Name), Contact>,
    /// The contact (address book, file name) each served event is made
    /// from, by object name: a read makes its bytes again from there.
    pub(super) origin: HashMap<Name, (Name, Name)>,
}

pub(super) struct Contact {
    pub(super) etag: Etag,
    pub(super) mtime_ns: i64,
    pub(super) events: Box<[Made]>,
}

/// What is kept of one generated event object (its bytes are not).
#[derive(Clone)]
pub(super) struct Made {
    pub(super) file_name: Name,
    pub(super) size: u64,
    pub(super) etag: Etag,
    pub(super) info: IndexedInfo,
}
