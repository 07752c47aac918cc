//! Import of one `.ics` or `.vcf` file into a collection: split into one
//! object per UID (`split_ics`, `split_vcf`), each checked as a PUT body is
//! and written through the store, so the index, change log, sync tokens and
//! watcher see one change per object. Deterministic: the same file gives
//! the same names and bytes, so importing it again changes nothing.
//! Used by `davdir import` and the web page.

mod naming;
mod split_ics;
mod split_vcf;

use std::sync::Arc;

use crate::store::{Collection, CollectionKind, Etag, ObjectInfo, PropChange, Store, StoreError};

pub use naming::object_name;

/// Largest file an import reads (bounded where it is read: the CLI and
/// the web upload); each object in it is bounded by `max_resource_size`.
pub const MAX_IMPORT_SIZE: u64 = 64 * 1024 * 1024;

/// One object cut from the file, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// How the report names it: its UID, or the component and line.
    pub item: String,
    /// The object's bytes as they would be stored.
    pub bytes: Vec<u8>,
}

/// The outcome of splitting a file: the objects, and the components left
/// out already (no UID, duplicates) with a reason each.
#[derive(Debug, Default)]
pub struct Split {
    pub pieces: Vec<Piece>,
    pub skipped: Vec<Skipped>,
}

/// An item of the file that was not written, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub item: String,
    pub reason: String,
}

/// What an import did, item by item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub kind: CollectionKind,
    /// Whether the collection was made by this import.
    pub collection_created: bool,
    pub created: usize,
    /// Objects already there with the same bytes.
    pub unchanged: usize,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file has {size} bytes, more than the {max} an import takes")]
    TooLarge { size: u64, max: u64 },
    #[error("not an iCalendar (.ics) or vCard (.vcf) file")]
    UnknownFormat,
    #[error("{file} data cannot go into this {collection}")]
    WrongKind {
        collection: CollectionKind,
        file: CollectionKind,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which kind of collection a file's objects belong in, from its first line.
pub fn kind_of_file(bytes: &[u8]) -> Option<CollectionKind> {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let first = crate::bom::strip(&text)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())?;
    if first.eq_ignore_ascii_case("BEGIN:VCALENDAR") {
        Some(CollectionKind::Calendar)
    } else if first.eq_ignore_ascii_case("BEGIN:VCARD") {
        Some(CollectionKind::AddressBook)
    } else {
        None
    }
}

/// Imports `bytes` into `user`'s `collection`, creating it (of the file's
/// kind) when missing.
/// A collection it makes takes its name, description and colour from the
/// file (`X-WR-CALNAME`...), else its name from `file_name` (without the
/// extension), as a calendar app's import does.
pub fn import(
    store: &Arc<Store>,
    user: &str,
    collection: &str,
    bytes: &[u8],
    file_name: Option<&str>,
) -> Result<ImportReport, ImportError> {
    import_with_progress(store, user, collection, bytes, file_name, &mut |_, _| {})
}

/// `import`, calling `progress(done, total)` after each object.
pub fn import_with_progress(
    store: &Arc<Store>,
    user: &str,
    collection: &str,
    bytes: &[u8],
    file_name: Option<&str>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport, ImportError> {
    if bytes.len() as u64 > MAX_IMPORT_SIZE {
        return Err(ImportError::TooLarge {
            size: bytes.len() as u64,
            max: MAX_IMPORT_SIZE,
        });
    }
    let kind = kind_of_file(bytes).ok_or(ImportError::UnknownFormat)?;
    let text = String::from_utf8_lossy(bytes);
    let props = new_collection_props(kind, &text, file_name);
    let (coll, collection_created) = open_or_create(store, user, collection, kind, &props)?;
    let split = match kind {
        CollectionKind::Calendar => split_ics::split(&text),
        CollectionKind::AddressBook => split_vcf::split(&text),
    };
    let mut report = ImportReport {
        kind,
        collection_created,
        created: 0,
        unchanged: 0,
        skipped: split.skipped,
    };
    let total = split.pieces.len();
    let max = store.max_object_size();
    for (done, piece) in split.pieces.into_iter().enumerate() {
        match write_piece(&coll, &piece, max) {
            Ok(Written::Created) => report.created += 1,
            Ok(Written::Unchanged) => report.unchanged += 1,
            Err(reason) => report.skipped.push(Skipped {
                item: piece.item,
                reason,
            }),
        }
        progress(done + 1, total);
    }
    Ok(report)
}

/// The properties of a collection the import makes: the file's own
/// calendar name, description and colour (a colour that is none is left
/// out), else the file's name.
fn new_collection_props(
    kind: CollectionKind,
    text: &str,
    file_name: Option<&str>,
) -> Vec<PropChange> {
    let meta = match kind {
        CollectionKind::Calendar => split_ics::calendar_meta(text),
        CollectionKind::AddressBook => split_ics::CalendarMeta::default(),
    };
    let stem = file_name
        .map(std::path::Path::new)
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().trim().to_string())
        .filter(|s| !s.is_empty());
    let mut props = Vec::new();
    if let Some(name) = meta.name.or(stem) {
        props.push(PropChange::DisplayName(Some(name)));
    }
    if let Some(description) = meta.description {
        props.push(PropChange::Description(Some(description)));
    }
    if let Some(color) = meta
        .color
        .as_deref()
        .and_then(crate::dav::color::store_color)
    {
        props.push(PropChange::Color(Some(color)));
    }
    props
}

fn open_or_create(
    store: &Arc<Store>,
    user: &str,
    name: &str,
    kind: CollectionKind,
    props: &[PropChange],
) -> Result<(Collection, bool), ImportError> {
    let existing = match store.collection(user, name) {
        Err(StoreError::NotFound) => {
            // A user who never logged in gets the home a first login makes
            // (which may hold a collection of this name).
            store.ensure_home(user)?;
            store.collection(user, name)
        }
        other => other,
    };
    match existing {
        Ok(coll) if coll.kind() == kind => Ok((coll, false)),
        Ok(coll) => Err(ImportError::WrongKind {
            collection: coll.kind(),
            file: kind,
        }),
        Err(StoreError::NotFound) => Ok((store.create_collection(kind, user, name, props)?, true)),
        Err(e) => Err(e.into()),
    }
}

enum Written {
    Created,
    Unchanged,
}

/// Validates one object as PUT does and writes it unless an object with
/// its name or UID exists; the same bytes there count as unchanged, other
/// bytes are never overwritten. The error is the reason it was skipped.
fn write_piece(coll: &Collection, piece: &Piece, max: u64) -> Result<Written, String> {
    if piece.bytes.len() as u64 > max {
        return Err(format!(
            "invalid: {} bytes, more than max_resource_size ({max})",
            piece.bytes.len()
        ));
    }
    let info: ObjectInfo = match coll.kind() {
        CollectionKind::Calendar => {
            let info = crate::ical::inspect(&piece.bytes).map_err(|e| format!("invalid: {e}"))?;
            let props = coll.props().map_err(|e| e.to_string())?;
            if !props.accepts(info.component) {
                return Err(format!(
                    "invalid: {} is not accepted by this calendar",
                    info.component
                ));
            }
            info.into()
        }
        CollectionKind::AddressBook => crate::vcard::inspect(&piece.bytes)
            .map_err(|e| format!("invalid: {e}"))?
            .into(),
    };
    let name = object_name(info.uid(), coll.kind());
    // A re-run finds its own objects by name: compared by ETag, with no
    // write (and no fsync) at all.
    if let Some(meta) = coll.meta(&name).map_err(|e| e.to_string())? {
        if meta.etag == Etag::of_bytes(&piece.bytes) {
            return Ok(Written::Unchanged);
        }
        return Err(format!(
            "{name} already exists with other content (not overwritten)"
        ));
    }
    let existing = match coll.put(&name, &piece.bytes, info, |current| current.is_none()) {
        Ok(_) => return Ok(Written::Created),
        Err(StoreError::PreconditionFailed) => name,
        Err(StoreError::UidConflict { name, .. }) => name,
        Err(e) => return Err(e.to_string()),
    };
    match coll.read(&existing) {
        Ok((bytes, _)) if bytes == piece.bytes => Ok(Written::Unchanged),
        Ok(_) => Err(format!(
            "{existing} already exists with other content (not overwritten)"
        )),
        Err(e) => Err(format!("{existing}: {e}")),
    }
}
