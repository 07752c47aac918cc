//! Collection properties of a calendar directory (docs/DESIGN.md "Collection properties").
//!
//! `displayname`, `description` and `color` are vdir metadata files so that
//! khal/todoman/vdirsyncer share them; everything else lives in the
//! hand-editable `.calendar.toml`, edited with toml_edit so that comments and
//! unknown keys survive our writes.

use std::io;
use std::path::Path;

use crate::dav::property::PropName;
use toml_edit::{value, Array, DocumentMut, Item, Table};

use super::{bounded, confine, durable, CollectionKind, FileStamp};

pub const DISPLAYNAME_FILE: &str = "displayname";
pub const DESCRIPTION_FILE: &str = "description";
pub const COLOR_FILE: &str = "color";
/// The settings file of a calendar (`CollectionKind::marker` names both).
pub const SETTINGS_FILE: &str = super::kind::CALENDAR_MARKER;

/// The files in a collection directory that hold the collection's
/// properties (either kind's settings file among them).
pub const PROPERTY_FILES: [&str; 5] = [
    DISPLAYNAME_FILE,
    DESCRIPTION_FILE,
    COLOR_FILE,
    SETTINGS_FILE,
    super::kind::ADDRESSBOOK_MARKER,
];

/// Whether a file in a collection directory holds the collection's
/// properties.
pub fn is_property_file(name: &str) -> bool {
    PROPERTY_FILES.contains(&name)
}

/// The settings key of schedule-calendar-transp and its one written value.
const SCHEDULE_TRANSP: &str = "schedule_transp";
const TRANSPARENT: &str = "transparent";

/// Components a calendar accepts when `.calendar.toml` does not say.
pub const DEFAULT_COMPONENTS: [&str; 3] = ["VEVENT", "VTODO", "VJOURNAL"];

/// A snapshot of one calendar's collection properties as found on disk.
#[derive(Debug, Clone, Default)]
pub struct CollectionProps {
    pub displayname: Option<String>,
    pub description: Option<String>,
    /// `#RRGGBB` as the vdir file holds it.
    pub color: Option<String>,
    settings: DocumentMut,
    /// The sound dead properties as they go out: (`{namespace}name`, the
    /// element re-serialised, so it is well-formed wherever it is embedded).
    /// Hand-edited ones that do not read back as one element within the XML
    /// bounds, named as their key, are left out (and kept in the file).
    dead: Vec<(String, String)>,
    /// (file name, reason) for everything skipped; see `problems`.
    problems: Vec<(String, String)>,
    /// Stamps of the property files read.
    version: Vec<FileStamp>,
}

/// One change to a collection property; `None` removes it.
#[derive(Debug, Clone, PartialEq)]
pub enum PropChange {
    DisplayName(Option<String>),
    Description(Option<String>),
    Color(Option<String>),
    Components(Option<Vec<String>>),
    Timezone(Option<String>),
    Order(Option<i64>),
    /// CALDAV:schedule-calendar-transp (RFC 6638 §9.1): true leaves the
    /// calendar out of free-busy; false (opaque) is the default, not written.
    ScheduleTransparent(bool),
    /// A dead property, keyed `{namespace}name`, holding its element's XML.
    Dead(String, Option<String>),
}

impl CollectionProps {
    /// Reads the metadata files of a calendar directory, each within `max`
    /// bytes (`max_resource_size`). A malformed, over-size or outside-linked
    /// `.calendar.toml` is an error so that we never overwrite a hand edit;
    /// such a vdir file (`displayname`...) is skipped and listed in `problems`.
    pub fn read(dir: &Path, max: u64) -> io::Result<CollectionProps> {
        Self::read_as(dir, CollectionKind::Calendar, max)
    }

    /// `read` for a collection of `kind`, whose settings live in its marker
    /// file (`.calendar.toml` or `.addressbook.toml`).
    pub fn read_as(dir: &Path, kind: CollectionKind, max: u64) -> io::Result<CollectionProps> {
        let settings_file = kind.marker();
        let mut stamps = Vec::new();
        let settings = match read_property_file(dir, settings_file, max)? {
            Found::Absent => DocumentMut::new(),
            Found::Skipped(reason) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: {reason}", dir.join(settings_file).display()),
                ))
            }
            Found::Bytes(bytes, stamp) => {
                stamps.push(stamp);
                String::from_utf8(bytes)
                    .map_err(|e| e.to_string())
                    .and_then(|text| text.parse::<DocumentMut>().map_err(|e| e.to_string()))
                    .map_err(|e| {
                        io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("{}: {e}", dir.join(settings_file).display()),
                        )
                    })?
            }
        };
        let mut dead = Vec::new();
        let mut problems = Vec::new();
        for (key, found) in read_dead(&settings) {
            match found {
                Ok(xml) => dead.push((key, xml)),
                Err(e) => {
                    let reason = format!("dead property {key} skipped: {e}");
                    problems.push((settings_file.to_string(), reason));
                }
            }
        }
        let mut meta = |file: &str| -> io::Result<Option<String>> {
            match read_property_file(dir, file, max)? {
                Found::Absent => Ok(None),
                Found::Skipped(reason) => {
                    problems.push((file.to_string(), reason));
                    Ok(None)
                }
                Found::Bytes(bytes, stamp) => {
                    stamps.push(stamp);
                    Ok(meta_text(&bytes))
                }
            }
        };
        let displayname = meta(DISPLAYNAME_FILE)?;
        let description = meta(DESCRIPTION_FILE)?;
        let color = meta(COLOR_FILE)?;
        Ok(CollectionProps {
            displayname,
            description,
            color,
            settings,
            dead,
            problems,
            version: stamps,
        })
    }

    /// What a hand edit broke and is skipped: (file name, reason), e.g. a
    /// dead property beyond the XML bounds or a `color` file over the bound.
    pub fn problems(&self) -> &[(String, String)] {
        &self.problems
    }

    /// The versions of the property files these properties were read from,
    /// so a problem can be logged once per version, not once per request.
    pub fn version(&self) -> &[FileStamp] {
        &self.version
    }

    /// The properties of a collection that has no directory (a derived
    /// one): a name and the components it holds, nothing else.
    pub fn derived(displayname: &str, components: &[&str]) -> CollectionProps {
        let mut settings = DocumentMut::new();
        settings["components"] =
            toml_edit::value(components.iter().copied().collect::<toml_edit::Array>());
        CollectionProps {
            displayname: Some(displayname.to_string()),
            settings,
            ..CollectionProps::default()
        }
    }

    /// supported-calendar-component-set.
    pub fn components(&self) -> Vec<String> {
        match self.settings.get("components").and_then(Item::as_array) {
            Some(list) => list
                .iter()
                .filter_map(|v| v.as_str())
                .map(|s| s.to_ascii_uppercase())
                .collect(),
            None => DEFAULT_COMPONENTS.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn accepts(&self, component: crate::ical::ComponentKind) -> bool {
        self.components().iter().any(|c| c == component.as_str())
    }

    /// The default time zone as an IANA name.
    pub fn timezone(&self) -> Option<&str> {
        self.settings.get("timezone").and_then(Item::as_str)
    }

    /// Whether free-busy leaves this calendar out (`schedule_transp =
    /// "transparent"`, set by PROPPATCH of schedule-calendar-transp).
    pub fn schedule_transparent(&self) -> bool {
        self.settings
            .get(SCHEDULE_TRANSP)
            .and_then(Item::as_str)
            .is_some_and(|v| v.eq_ignore_ascii_case(TRANSPARENT))
    }

    pub fn order(&self) -> Option<i64> {
        self.settings.get("order").and_then(Item::as_integer)
    }

    /// The `[share]` table as written: (sharee, access or why the value
    /// grants nothing). Whether each sharee exists is `shares`' business.
    pub fn share_entries(&self) -> Vec<(String, std::result::Result<super::Access, String>)> {
        let Some(table) = self.settings.get("share") else {
            return Vec::new();
        };
        let Some(table) = table.as_table_like() else {
            return vec![("[share]".into(), Err("is not a table".into()))];
        };
        table
            .iter()
            .map(|(user, v)| {
                let access = match v.as_str().and_then(super::Access::parse) {
                    Some(access) => Ok(access),
                    None => Err(format!(
                        "share with {user:?}: the value must be \"read\" or \"read-write\""
                    )),
                };
                (user.to_string(), access)
            })
            .collect()
    }

    /// Dead properties: (`{namespace}name`, element XML), sound ones only.
    pub fn dead(&self) -> &[(String, String)] {
        &self.dead
    }

    pub fn dead_value(&self, key: &str) -> Option<&str> {
        self.dead
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, xml)| xml.as_str())
    }

    /// Sets (`Some`) or removes (`None`) each user's entry in the `[share]`
    /// table of the settings file, keeping everything else as written
    /// (comments too); a table left empty goes. One write for them all.
    pub fn set_shares(
        dir: &Path,
        kind: CollectionKind,
        changes: &[(String, Option<super::Access>)],
        max: u64,
    ) -> io::Result<()> {
        let mut props = CollectionProps::read_as(dir, kind, max)?;
        let before = props.settings.to_string();
        for (user, access) in changes {
            match access {
                Some(access) => {
                    let table = props
                        .settings
                        .entry("share")
                        .or_insert_with(|| Item::Table(Table::new()));
                    let Some(table) = table.as_table_like_mut() else {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "{}: share is not a table",
                                dir.join(kind.marker()).display()
                            ),
                        ));
                    };
                    table.insert(user, value(access.as_str()));
                }
                None => {
                    if let Some(table) = props
                        .settings
                        .get_mut("share")
                        .and_then(Item::as_table_like_mut)
                    {
                        table.remove(user);
                    }
                }
            }
        }
        if props
            .settings
            .get("share")
            .and_then(Item::as_table_like)
            .is_some_and(|t| t.is_empty())
        {
            props.settings.remove("share");
        }
        let after = props.settings.to_string();
        if after != before {
            durable::write_file(dir, kind.marker(), after.as_bytes())?;
        }
        Ok(())
    }

    /// Applies changes and writes only the files whose content changed.
    pub fn apply(dir: &Path, changes: &[PropChange], max: u64) -> io::Result<()> {
        Self::apply_as(dir, CollectionKind::Calendar, changes, max)
    }

    /// `apply` for a collection of `kind` (see `read_as`).
    pub fn apply_as(
        dir: &Path,
        kind: CollectionKind,
        changes: &[PropChange],
        max: u64,
    ) -> io::Result<()> {
        let mut props = CollectionProps::read_as(dir, kind, max)?;
        let before = props.settings.to_string();
        let mut files: Vec<(&str, Option<String>)> = Vec::new();
        for change in changes {
            match change {
                PropChange::DisplayName(v) => files.push((DISPLAYNAME_FILE, v.clone())),
                PropChange::Description(v) => files.push((DESCRIPTION_FILE, v.clone())),
                PropChange::Color(v) => files.push((COLOR_FILE, v.clone())),
                PropChange::Components(v) => props.set(
                    "components",
                    v.as_ref().map(|list| value(list.iter().collect::<Array>())),
                ),
                PropChange::Timezone(v) => {
                    props.set("timezone", v.as_ref().map(|s| value(s.as_str())))
                }
                PropChange::Order(v) => props.set("order", v.map(value)),
                PropChange::ScheduleTransparent(t) => {
                    props.set(SCHEDULE_TRANSP, t.then(|| value(TRANSPARENT)))
                }
                PropChange::Dead(key, xml) => {
                    let dead = props
                        .settings
                        .entry("dead")
                        .or_insert_with(|| Item::Table(Table::new()));
                    if let Some(table) = dead.as_table_mut() {
                        match xml {
                            Some(x) => {
                                table.insert(key, value(x.as_str()));
                            }
                            None => {
                                table.remove(key);
                            }
                        }
                    }
                }
            }
        }
        for (file, content) in files {
            let current = match file {
                DISPLAYNAME_FILE => &props.displayname,
                DESCRIPTION_FILE => &props.description,
                _ => &props.color,
            };
            match content {
                Some(text) if current.as_deref() != Some(text.as_str()) => {
                    durable::write_file(dir, file, format!("{text}\n").as_bytes())?
                }
                None if current.is_some() => durable::remove_file(dir, file)?,
                _ => {}
            }
        }
        if let Some(t) = props.settings.get("dead").and_then(Item::as_table) {
            if t.is_empty() {
                props.settings.remove("dead");
            }
        }
        let after = props.settings.to_string();
        if after != before {
            durable::write_file(dir, kind.marker(), after.as_bytes())?;
        }
        Ok(())
    }

    /// Sets or removes one setting, in this snapshot only.
    pub(super) fn set(&mut self, key: &str, item: Option<Item>) {
        match item {
            Some(i) => {
                self.settings.insert(key, i);
            }
            None => {
                self.settings.remove(key);
            }
        }
    }
}

/// Each stored dead property, read back once: its element re-serialised,
/// or why it is skipped. A hand edit may hold anything, so it must parse as
/// one element within the bounds a request body has and be named as its key.
fn read_dead(settings: &DocumentMut) -> Vec<(String, Result<String, String>)> {
    let Some(table) = settings.get("dead").and_then(Item::as_table) else {
        return Vec::new();
    };
    table
        .iter()
        .filter_map(|(k, v)| {
            let found = match crate::dav::xml::parse(v.as_str()?.as_bytes()) {
                Ok(el) => {
                    let named = PropName::new(&el.ns, &el.name).key();
                    if named == k {
                        Ok(el.to_xml())
                    } else {
                        Err(format!("its element is {named}"))
                    }
                }
                Err(e) => Err(e.to_string()),
            };
            Some((k.to_string(), found))
        })
        .collect()
}

/// A vdir metadata file's text, trailing whitespace removed; empty counts as absent.
fn meta_text(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let trimmed = text.trim_end();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// A property file as found in a calendar directory.
pub(super) enum Found {
    /// Absent, or not a regular file (a FIFO or directory holds no property).
    Absent,
    Bytes(Vec<u8>, FileStamp),
    /// Not read, with the reason: over the size bound, or a link out of the home.
    Skipped(String),
}

/// Reads a property file as object files are read: links followed only
/// within the home, never opening a FIFO, never more than `max` bytes.
pub(super) fn read_property_file(dir: &Path, file: &str, max: u64) -> io::Result<Found> {
    let entry = match confine::object_entry(dir, file) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Found::Absent),
        entry => entry?,
    };
    let path = match entry {
        confine::Entry::Other => return Ok(Found::Absent),
        confine::Entry::Outside(_) => return Ok(Found::Skipped(confine::OUTSIDE.to_string())),
        confine::Entry::File { path, .. } => path,
    };
    let f = confine::open_resolved(&path)?;
    let stamp = FileStamp::of(&f.metadata()?);
    match bounded::read_all(f, stamp.size, max) {
        Ok(bytes) => Ok(Found::Bytes(bytes, stamp)),
        Err(bounded::ReadError::TooLarge { max }) => Ok(Found::Skipped(
            bounded::too_large(max).trim_start().to_string(),
        )),
        Err(bounded::ReadError::Io(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn round_trip_keeps_unknown_keys_and_comments() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(SETTINGS_FILE),
            "# mine\nfoo = \"bar\"\ncomponents = [\"VTODO\"]\n",
        )
        .unwrap();
        CollectionProps::apply(
            dir.path(),
            &[
                PropChange::DisplayName(Some("Work".into())),
                PropChange::Color(Some("#112233".into())),
                PropChange::Order(Some(3)),
                PropChange::Dead("{urn:x}y".into(), Some("<y xmlns=\"urn:x\">1</y>".into())),
            ],
            u64::MAX,
        )
        .unwrap();
        let text = fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(text.contains("# mine") && text.contains("foo = \"bar\""));
        let p = CollectionProps::read(dir.path(), u64::MAX).unwrap();
        assert_eq!(p.displayname.as_deref(), Some("Work"));
        assert_eq!(p.color.as_deref(), Some("#112233"));
        assert_eq!(p.components(), vec!["VTODO"]);
        assert_eq!(p.order(), Some(3));
        assert_eq!(p.dead_value("{urn:x}y"), Some("<y xmlns=\"urn:x\">1</y>"));
        CollectionProps::apply(dir.path(), &[PropChange::DisplayName(None)], u64::MAX).unwrap();
        assert!(!dir.path().join(DISPLAYNAME_FILE).exists());
    }

    #[test]
    fn defaults_and_trailing_whitespace() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(COLOR_FILE), "#abcdef \n\n").unwrap();
        let p = CollectionProps::read(dir.path(), u64::MAX).unwrap();
        assert_eq!(p.color.as_deref(), Some("#abcdef"));
        assert!(p.accepts(crate::ical::ComponentKind::Journal));
    }

    #[test]
    fn dead_properties_outside_the_xml_bounds_are_rejected_not_served() {
        let dir = tempfile::tempdir().unwrap();
        let deep = format!(
            "{}{}",
            "<a xmlns=\"urn:x\">".repeat(100),
            "</a>".repeat(100)
        );
        let text = format!(
            "[dead]\n\"{{urn:x}}a\" = '{deep}'\n\"{{urn:x}}ok\" = '<ok xmlns=\"urn:x\"/>'\n"
        );
        fs::write(dir.path().join(SETTINGS_FILE), text).unwrap();
        let p = CollectionProps::read(dir.path(), u64::MAX).unwrap();
        assert_eq!(p.problems().len(), 1);
        assert_eq!(p.problems()[0].0, SETTINGS_FILE);
        assert!(p.problems()[0]
            .1
            .starts_with("dead property {urn:x}a skipped: "));
        assert_eq!(p.dead_value("{urn:x}a"), None);
        assert_eq!(p.dead().len(), 1);
        assert_eq!(p.version().len(), 1);
        // A write of another property keeps the hand edit in the file.
        CollectionProps::apply(dir.path(), &[PropChange::Order(Some(1))], u64::MAX).unwrap();
        let text = fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(text.contains(&deep));
    }

    #[test]
    fn property_files_are_read_within_the_bound_and_the_home() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path().canonicalize().unwrap();
        let dir = root.join("u").join("c");
        fs::create_dir_all(&dir).unwrap();
        fs::write(root.join("secret"), "outside").unwrap();
        std::os::unix::fs::symlink(root.join("secret"), dir.join(DISPLAYNAME_FILE)).unwrap();
        fs::write(dir.join(COLOR_FILE), "#abcdef").unwrap();
        fs::write(dir.join(DESCRIPTION_FILE), "d".repeat(100)).unwrap();
        let fifo = std::ffi::CString::new(dir.join(SETTINGS_FILE).to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        // The FIFO is no settings file (and is not opened: this would block).
        let p = CollectionProps::read(&dir, 50).unwrap();
        assert_eq!(
            p.displayname, None,
            "a link out of the home is not followed"
        );
        assert_eq!(p.description, None, "over the bound");
        assert_eq!(p.color.as_deref(), Some("#abcdef"));
        let files: Vec<&str> = p.problems().iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(files, vec![DISPLAYNAME_FILE, DESCRIPTION_FILE]);
        assert!(p.problems()[1]
            .1
            .contains("larger than max_resource_size (50 bytes)"));
        // An over-size settings file is an error: never overwritten.
        fs::remove_file(dir.join(SETTINGS_FILE)).unwrap();
        fs::write(dir.join(SETTINGS_FILE), format!("# {}\n", "x".repeat(100))).unwrap();
        assert!(CollectionProps::read(&dir, 50).is_err());
        assert!(CollectionProps::apply(&dir, &[PropChange::Order(Some(1))], 50).is_err());
        assert!(CollectionProps::read(&dir, 500).is_ok());
    }

    #[test]
    fn malformed_settings_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(SETTINGS_FILE), "components = [").unwrap();
        assert!(CollectionProps::read(dir.path(), u64::MAX).is_err());
    }
}
