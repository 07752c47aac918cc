//! The file store: users' homes, calendars and address books as directories,
//! one `.ics` or `.vcf` per object (docs/DESIGN.md). It knows nothing of HTTP or XML, so it is tested on its own.
//!
//! Each calendar has one lock that serialises its writers, so a conditional
//! request is checked and applied atomically, and an in-memory index that
//! answers listings without touching file contents.
//!
//! One module per concern, each stating its locking and durability rules:
//! `error` (what fails), `registry` (calendar cells, handles, cache flush),
//! `collections` (create/delete/copy/move/sweep), `objects` (CRUD, paging,
//! transfers), `reconcile` (start-up and watcher batches), `sync` (tokens).

mod bounded;
mod changelog;
pub use changelog::ChangeListener;
pub mod collection_props;
mod collections;
mod commit;
pub(crate) mod confine;
mod derived;
mod derived_state;
pub mod disk;
pub mod durable;
mod entry;
mod error;
pub mod etag;
mod groups;
mod index;
pub mod instance;
mod kind;
pub mod legacy_cache;
pub mod names;
mod no_wait;
mod object_body;
mod objects;
mod options;
mod reader;
mod reconcile;
mod registry;
mod shares;
mod snapshot;
mod sync;
mod trash;
mod uid_counts;
mod view_settings;
pub mod watcher;

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

pub use collection_props::{CollectionProps, PropChange};
pub use derived::BIRTHDAYS;
pub use error::{Result, StoreError};
pub use etag::Etag;
pub use index::{FileStamp, IndexedInfo, ObjectMeta};
pub use kind::{CollectionKind, ObjectInfo, ADDRESSBOOK_MARKER, CALENDAR_MARKER};
pub use no_wait::{check as refuse_where_no_wait, try_without_waiting, without_waiting};
pub use object_body::{ObjectBody, OpenObject, Served};
pub use objects::PutOutcome;
pub use options::{Members, Overwrite, Transfer};
pub use reader::Reader;
pub use registry::{Collection, CollectionRef};
pub use shares::{view_name, Access, View};
pub use sync::{SyncChange, SyncResult};
pub use trash::{TrashEntry, TRASH_DIR};

use registry::Cell;

/// Largest object file served or accepted unless configured otherwise (the
/// server's `max_resource_size` default).
pub const DEFAULT_MAX_OBJECT_SIZE: u64 = 10 * 1024 * 1024;

/// Name of the calendar created in a new user's home.
pub const DEFAULT_CALENDAR: &str = "calendar";
/// Name of the address book created in a new user's home.
pub const DEFAULT_ADDRESSBOOK: &str = "contacts";

/// The display names of the collections a new home starts with (config
/// `first_calendar`, `first_addressbook`); `None` makes no such collection.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstCollections {
    pub calendar: Option<String>,
    pub addressbook: Option<String>,
}

impl FirstCollections {
    /// From the configured names: unset is the default name, empty is none.
    pub fn named(calendar: Option<&str>, addressbook: Option<&str>) -> FirstCollections {
        let pick = |name: Option<&str>, default: &str| match name {
            None => Some(default.to_string()),
            Some(n) if n.trim().is_empty() => None,
            Some(n) => Some(n.to_string()),
        };
        FirstCollections {
            calendar: pick(calendar, "Calendar"),
            addressbook: pick(addressbook, "Contacts"),
        }
    }
}

impl Default for FirstCollections {
    fn default() -> Self {
        FirstCollections::named(None, None)
    }
}
/// Cache directory name under the data root when none is configured.
pub const DEFAULT_CACHE_DIR: &str = ".davdir-cache";
pub struct Store {
    root: PathBuf,
    cache: Option<PathBuf>,
    cells: Mutex<HashMap<(String, String), Arc<Cell>>>,
    /// True while a watcher keeps every index current; otherwise each access rescans.
    watched: AtomicBool,
    /// Largest object file read from disk (`max_resource_size`); larger ones
    /// are problems, skipped without being read.
    max_object_size: AtomicU64,
    /// Whether each home serves the derived birthday calendar (`derived`);
    /// off until the server's config turns it on, so a store opened by
    /// `check` or a test lists only directories.
    birthdays: AtomicBool,
    first_collections: Mutex<FirstCollections>,
    /// The cells of derived collections by user: in memory only, never flushed.
    derived: Mutex<HashMap<String, Arc<Cell>>>,
    /// Told of every new sync token of a collection (push delivery).
    listener: Arc<std::sync::OnceLock<changelog::ChangeListener>>,
    /// Who shares what with whom, from the `[share]` tables (`shares`).
    shares: Mutex<shares::Shares>,
    /// Whether a user name is an account (the htpasswd file); None: any
    /// valid name is (open access, `check` without htpasswd).
    user_known: parking_lot::RwLock<Option<shares::UserKnown>>,
}

impl Store {
    /// Opens a store on `root`; `cache` defaults to `<root>/.davdir-cache`.
    pub fn open(root: &Path, cache: Option<&Path>) -> io::Result<Arc<Store>> {
        fs::create_dir_all(root)?;
        let root = root.canonicalize()?;
        let cache = cache
            .map(Path::to_path_buf)
            .unwrap_or_else(|| root.join(DEFAULT_CACHE_DIR));
        Ok(Arc::new(Store {
            root,
            cache: Some(cache),
            cells: Mutex::new(HashMap::new()),
            watched: AtomicBool::new(false),
            max_object_size: AtomicU64::new(DEFAULT_MAX_OBJECT_SIZE),
            birthdays: AtomicBool::new(false),
            // A library user's default; the server and CLI set the configured ones.
            first_collections: Mutex::new(FirstCollections {
                calendar: Some("Calendar".into()),
                addressbook: None,
            }),
            derived: Mutex::new(HashMap::new()),
            listener: Arc::default(),
            shares: Mutex::default(),
            user_known: parking_lot::RwLock::new(None),
        }))
    }

    /// What a home made from now on starts with.
    pub fn set_first_collections(&self, first: FirstCollections) {
        *self.first_collections.lock() = first;
    }

    /// Sets the one listener told `(user, collection, sync token)` whenever a
    /// collection's sync token moves, from any source; the first call wins.
    pub fn on_change(&self, listener: changelog::ChangeListener) {
        let _ = self.listener.set(listener);
    }

    /// Sets the largest object file read from disk, the bound a PUT body has
    /// (`max_resource_size`). Call before the first scan: files already
    /// looked at are judged again only when they change.
    pub fn set_max_object_size(&self, max: u64) {
        self.max_object_size.store(max, Ordering::Relaxed);
    }

    pub fn max_object_size(&self) -> u64 {
        self.max_object_size.load(Ordering::Relaxed)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn cache_dir(&self) -> Option<&Path> {
        self.cache.as_deref()
    }

    /// Tells the store whether a watcher now keeps indexes current.
    pub fn set_watched(&self, on: bool) {
        self.watched.store(on, Ordering::SeqCst);
        if !on {
            for cell in self.cells.lock().values() {
                cell.state.lock().stale = true;
            }
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests;
