//! What the index knows of one object file: its stamp (the cheap identity of
//! a file version), its ETag and size, and the facts queries are decided on
//! (kind, UID hash, time span, periodic summary). Kept apart from [`Index`],
//! which holds these per collection and keeps them in step with the files.
//!
//! [`Index`]: super::index::Index

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::ical;
use crate::ical::{Exact, Periodic, Span};

use super::etag::Etag;
use super::kind::{CollectionKind, ObjectInfo};

/// An object's file name as the index keys it. Names up to 24 bytes (such
/// as `<number>.ics` or `bench-000001.ics`) live inline in the 24 bytes a
/// `String` takes for its pointer alone, so they cost no heap block (32
/// bytes with malloc's header) per object; longer ones (UUIDs) cost what a
/// `String` does.
pub type Name = compact_str::CompactString;

/// The cheap identity of a file version: if none of these moved, neither did the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    pub size: u64,
    /// Nanoseconds since the epoch (fits i64 until 2262).
    pub mtime_ns: i64,
    /// The inode change time, in nanoseconds: it moves on every write even
    /// when a tool puts the old mtime back (`rsync --inplace -t`, `touch
    /// -r`), so a same-size edit in place cannot hide behind the mtime.
    pub ctime_ns: i64,
    pub ino: u64,
}

impl FileStamp {
    pub fn of(md: &fs::Metadata) -> FileStamp {
        FileStamp {
            size: md.len(),
            mtime_ns: md
                .mtime()
                .saturating_mul(1_000_000_000)
                .saturating_add(md.mtime_nsec()),
            ctime_ns: md
                .ctime()
                .saturating_mul(1_000_000_000)
                .saturating_add(md.ctime_nsec()),
            ino: md.ino(),
        }
    }

    /// Whether an open file still holds the bytes it was stamped with: the
    /// ctime is left out, since unlinking the file or renaming another over
    /// it moves the ctime of the inode being read without touching a byte.
    pub fn same_bytes(&self, other: &FileStamp) -> bool {
        (self.size, self.mtime_ns, self.ino) == (other.size, other.mtime_ns, other.ino)
    }

    pub fn mtime(&self) -> SystemTime {
        if self.mtime_ns >= 0 {
            UNIX_EPOCH + Duration::from_nanos(self.mtime_ns as u64)
        } else {
            UNIX_EPOCH
        }
    }
}

/// What the server knows about one valid object file.
#[derive(Debug, Clone)]
pub struct ObjectMeta {
    pub etag: Etag,
    pub stamp: FileStamp,
    pub info: IndexedInfo,
    /// Number of this object's latest change in the calendar's change log
    /// (0: none known); kept here so the log needs no per-name map.
    pub seq: u64,
}

/// What the index keeps of an object, by collection kind. The UID is kept as
/// a hash only: conflict checks need equality, and 100k UID strings cost
/// megabytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexedInfo {
    Calendar {
        uid_hash: u64,
        /// VEVENT, VTODO, VJOURNAL or VFREEBUSY.
        component: crate::ical::ComponentKind,
        span: Span,
        /// Its one instance within `span`, when plain time-range queries
        /// can be answered without reading it (5 bytes, in padding).
        exact: Option<Exact>,
    },
    /// A calendar object that recurs simply: its span lives in the boxed
    /// summary, so the entry stays as small as `Calendar`'s (40 bytes).
    Recurring {
        uid_hash: u64,
        component: crate::ical::ComponentKind,
        periodic: Box<Periodic>,
    },
    /// A contact: time ranges and components have no meaning; `search` holds
    /// the texts addressbook-query decides on (`crate::cardquery::decide`).
    Contact {
        uid_hash: u64,
        search: Option<Box<str>>,
    },
}

impl IndexedInfo {
    pub fn uid_hash(&self) -> u64 {
        match self {
            IndexedInfo::Calendar { uid_hash, .. }
            | IndexedInfo::Recurring { uid_hash, .. }
            | IndexedInfo::Contact { uid_hash, .. } => *uid_hash,
        }
    }

    /// The component of a calendar object; `None` for a contact.
    pub fn component(&self) -> Option<crate::ical::ComponentKind> {
        match self {
            IndexedInfo::Calendar { component, .. } | IndexedInfo::Recurring { component, .. } => {
                Some(*component)
            }
            IndexedInfo::Contact { .. } => None,
        }
    }

    /// Where a calendar object's instances fall; a contact has none
    /// (`Span::Unknown`), so no time-range filter ever excludes it wrongly.
    pub fn span(&self) -> Span {
        match self {
            IndexedInfo::Calendar { span, .. } => *span,
            IndexedInfo::Recurring { periodic, .. } => periodic.span(),
            IndexedInfo::Contact { .. } => Span::Unknown,
        }
    }

    /// The exact instance of a calendar object, when the index knows it.
    pub fn exact(&self) -> Option<Exact> {
        match self {
            IndexedInfo::Calendar { exact, .. } => *exact,
            IndexedInfo::Recurring { .. } | IndexedInfo::Contact { .. } => None,
        }
    }

    /// The periodic summary of a recurring calendar object, if it has one.
    pub fn periodic(&self) -> Option<&Periodic> {
        match self {
            IndexedInfo::Recurring { periodic, .. } => Some(periodic),
            _ => None,
        }
    }

    /// A contact's search text, when the index keeps one.
    pub fn search(&self) -> Option<&str> {
        match self {
            IndexedInfo::Contact { search, .. } => search.as_deref(),
            _ => None,
        }
    }

    /// The kind of collection this object lives in.
    pub fn kind(&self) -> CollectionKind {
        match self {
            IndexedInfo::Calendar { .. } | IndexedInfo::Recurring { .. } => {
                CollectionKind::Calendar
            }
            IndexedInfo::Contact { .. } => CollectionKind::AddressBook,
        }
    }
}

impl From<&ical::ObjectInfo> for IndexedInfo {
    fn from(info: &ical::ObjectInfo) -> Self {
        let uid_hash = uid_hash(&info.uid);
        match &info.periodic {
            Some(p) => IndexedInfo::Recurring {
                uid_hash,
                component: info.component,
                periodic: p.clone(),
            },
            None => IndexedInfo::Calendar {
                uid_hash,
                component: info.component,
                span: info.span,
                exact: info.exact,
            },
        }
    }
}

impl From<&crate::vcard::CardInfo> for IndexedInfo {
    fn from(info: &crate::vcard::CardInfo) -> Self {
        IndexedInfo::Contact {
            uid_hash: uid_hash(&info.uid),
            search: info.search.clone(),
        }
    }
}

impl From<&ObjectInfo> for IndexedInfo {
    fn from(info: &ObjectInfo) -> Self {
        match info {
            ObjectInfo::Calendar(i) => i.into(),
            ObjectInfo::Contact(c) => c.into(),
        }
    }
}

pub(super) fn name_hash(name: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(name)
}

/// A stable 64-bit UID hash (the first 8 bytes of its SHA-256), so saved
/// snapshots stay valid across builds.
pub fn uid_hash(uid: &str) -> u64 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(uid.as_bytes());
    u64::from_le_bytes(d[..8].try_into().expect("8 bytes"))
}
