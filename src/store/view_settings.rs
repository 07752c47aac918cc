//! A sharee's own display name, colour and order for the views shared with
//! him (docs/DESIGN.md "Sharing"), kept in his home as `.views.toml`, a
//! table per view name:
//!
//! ```toml
//! [alice--family]
//! displayname = "Family"
//! color = "#2E7D32"
//! order = 3
//! ```
//!
//! Why in his home and not in the owner's settings file: they are his, so
//! they change nothing of the owner's (whose files no sharee writes), go
//! with the sharee's own backup, and each sharee has his own. The name
//! starts with a dot, so the watcher and the listing of a home never take
//! it for a collection; it is read per use (a small file), edited with
//! toml_edit so hand edits and comments survive, and a table outlives its
//! share (harmless; it applies again if the share comes back).

use std::collections::HashSet;
use std::io;

use parking_lot::Mutex;
use toml_edit::{value, DocumentMut, Item, Table};

use super::collection_props::{read_property_file, CollectionProps, Found};
use super::{durable, PropChange, Result, Store, StoreError};

/// The file, in the sharee's home.
pub const VIEWS_FILE: &str = ".views.toml";

/// What a new file starts with.
const HEADER: &str = "# Your own display name, colour and order of the calendars and address\n\
                      # books shared with you, a table per view. The owner's files are not changed.\n";

/// One writer of any `.views.toml` at a time: a read-modify-write of one
/// sharee's file must not interleave with another of his PROPPATCHes.
static WRITING: Mutex<()> = Mutex::new(());

/// Problems already logged, so each is logged once.
static LOGGED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// A sharee's own settings for one view; None: the owner's apply.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ViewSettings {
    pub displayname: Option<String>,
    /// `#RRGGBB[AA]`, as a collection's `color` file holds it.
    pub color: Option<String>,
    pub order: Option<i64>,
}

impl ViewSettings {
    /// Puts the sharee's own settings over the owner's in `props`, in that
    /// snapshot only.
    pub(super) fn overlay(self, props: &mut CollectionProps) {
        if self.displayname.is_some() {
            props.displayname = self.displayname;
        }
        if self.color.is_some() {
            props.color = self.color;
        }
        if let Some(order) = self.order {
            props.set("order", Some(value(order)));
        }
    }
}

impl Store {
    /// `sharee`'s own settings for his view `name`. An absent file has
    /// none; an unreadable or malformed one is logged (once per version)
    /// and has none, so the owner's apply.
    pub(super) fn view_settings(&self, sharee: &str, name: &str) -> ViewSettings {
        let doc = match self.read_views_file(sharee) {
            Ok(doc) => doc,
            Err(e) => {
                let mut logged = LOGGED.lock();
                if logged
                    .get_or_insert_with(HashSet::new)
                    .insert(e.to_string())
                {
                    tracing::warn!("{e}; your own view settings are not applied");
                }
                return ViewSettings::default();
            }
        };
        let Some(table) = doc.get(name).and_then(Item::as_table_like) else {
            return ViewSettings::default();
        };
        let text = |key: &str| {
            table
                .get(key)
                .and_then(Item::as_str)
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        };
        ViewSettings {
            displayname: text("displayname"),
            color: text("color"),
            order: table.get("order").and_then(Item::as_integer),
        }
    }

    /// Applies a sharee's PROPPATCH of his view `name` to his own file:
    /// only display name, colour and order are his; anything else is the
    /// owner's and refused, with nothing written.
    pub(super) fn set_view_settings(
        &self,
        sharee: &str,
        name: &str,
        changes: &[PropChange],
    ) -> Result<()> {
        if let Some(other) = changes.iter().find(|c| {
            !matches!(
                c,
                PropChange::DisplayName(_) | PropChange::Color(_) | PropChange::Order(_)
            )
        }) {
            return Err(StoreError::Shared(format!(
                "{name} is shared with you; only its owner may change its properties \
                 (you may set your own display name, colour and order, not {})",
                change_name(other)
            )));
        }
        let _writing = WRITING.lock();
        let mut doc = self.read_views_file(sharee)?;
        let before = doc.to_string();
        let table = doc
            .entry(name)
            .or_insert_with(|| Item::Table(Table::new()))
            .as_table_like_mut()
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{VIEWS_FILE}: {name:?} is not a table"),
                )
            })?;
        for change in changes {
            let (key, item) = match change {
                PropChange::DisplayName(v) => ("displayname", v.as_deref().map(value)),
                PropChange::Color(v) => ("color", v.as_deref().map(value)),
                PropChange::Order(v) => ("order", v.map(value)),
                _ => continue,
            };
            match item {
                Some(item) => {
                    table.insert(key, item);
                }
                None => {
                    table.remove(key);
                }
            }
        }
        if table.is_empty() {
            doc.remove(name);
        }
        let mut after = doc.to_string();
        if after != before {
            if before.is_empty() {
                after.insert_str(0, HEADER);
            }
            durable::write_file(&self.home_dir(sharee)?, VIEWS_FILE, after.as_bytes())?;
        }
        Ok(())
    }

    /// The sharee's file as written; empty when absent. Read as settings
    /// files are: within the object size bound, no link out of the home.
    fn read_views_file(&self, sharee: &str) -> io::Result<DocumentMut> {
        let home = self.home_dir(sharee).map_err(io::Error::other)?;
        let path = home.join(VIEWS_FILE);
        match read_property_file(&home, VIEWS_FILE, self.max_object_size())? {
            Found::Absent => Ok(DocumentMut::new()),
            Found::Skipped(reason) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {reason}", path.display()),
            )),
            Found::Bytes(bytes, _) => String::from_utf8(bytes)
                .map_err(|e| e.to_string())
                .and_then(|t| t.parse::<DocumentMut>().map_err(|e| e.to_string()))
                .map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{}: {}", path.display(), e.trim_end()),
                    )
                }),
        }
    }
}

/// The property a refused change would have set, for the reason given.
fn change_name(change: &PropChange) -> &'static str {
    match change {
        PropChange::Description(_) => "its description",
        PropChange::Components(_) => "its component set",
        PropChange::Timezone(_) => "its time zone",
        PropChange::Dead(..) => "other properties",
        PropChange::ScheduleTransparent(_) => "its free-busy transparency",
        PropChange::DisplayName(_) | PropChange::Color(_) | PropChange::Order(_) => "this",
    }
}
