//! Store errors: what a store operation can fail with, in terms of files and
//! names, never HTTP. Each variant that needs its own status is its own
//! variant here; `http/error.rs` alone decides the status.
//!
//! Locking and durability: none; this module only classifies `io::Error`s
//! (read-only file system, full disk, over-long name) so callers need not.

use std::io;

/// Why a UID conflict was refused, in words for the client's log.
fn uid_conflict_text(user: &str, collection: &str, name: &str, changed: bool) -> String {
    if changed {
        format!("{user}/{collection}/{name} has another UID; an object keeps its UID (a new UID is a new object, under a new name)")
    } else {
        format!("UID already used by {user}/{collection}/{name}")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    AlreadyExists,
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("invalid name {0:?}")]
    InvalidName(String),
    /// An object URL name that is the file name of another URL name
    /// (`names::NO_EXTENSION_MARK`).
    #[error("{name:?} is reserved: it is how the file of the resource {owner:?} is named")]
    ReservedName { name: String, owner: String },
    /// The object of the same collection that already has the UID; or, when
    /// `changed`, the object written over, whose UID the write would change.
    #[error("{}", uid_conflict_text(user, collection, name, *changed))]
    UidConflict {
        user: String,
        collection: String,
        name: String,
        changed: bool,
    },
    #[error("component {0} not supported by this calendar")]
    UnsupportedComponent(crate::ical::ComponentKind),
    /// An object of one collection kind written into the other kind (a
    /// vCard into a calendar; a COPY/MOVE between the two kinds).
    #[error("{} object cannot go into {}", found.describe(), expected.describe())]
    WrongKind {
        expected: super::CollectionKind,
        found: super::CollectionKind,
    },
    #[error("the parent collection does not exist")]
    MissingParent,
    /// A write to a collection derived from other data (the birthday
    /// calendar), or of a directory under its reserved name.
    #[error("{0} is derived from other data and read-only")]
    Derived(String),
    /// A write a share does not grant: through a read-only view, or to a
    /// shared collection itself (`shares`); the text says which.
    #[error("{0}")]
    Shared(String),
    #[error("unknown or expired sync token")]
    InvalidSyncToken,
    /// The data directory's file system is mounted read-only.
    #[error("data directory is read-only")]
    ReadOnly,
    /// The disk (or the user's quota) is full; nothing was changed.
    #[error("no space left for the data directory")]
    StorageFull,
    /// The file system refuses a name this long (some allow fewer than 255 bytes).
    #[error("name too long for the file system")]
    NameTooLong,
    #[error("I/O error: {0}")]
    Io(io::Error),
    /// A read tried where nothing may wait would have had to (`no_wait`);
    /// it is run again where waiting is fine, never answered.
    #[error("the read would have to wait")]
    WouldBlock,
}

impl From<io::Error> for StoreError {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::NotFound => StoreError::NotFound,
            io::ErrorKind::ReadOnlyFilesystem => StoreError::ReadOnly,
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => StoreError::StorageFull,
            io::ErrorKind::InvalidFilename => StoreError::NameTooLong,
            _ => StoreError::Io(e),
        }
    }
}

impl StoreError {
    /// For a lookup of the collection a request writes into: its absence
    /// is a missing parent (RFC 4918 §9.7.1, §9.8.5: 409), not a 404.
    pub fn missing_parent(self) -> Self {
        match self {
            StoreError::NotFound => StoreError::MissingParent,
            e => e,
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;
