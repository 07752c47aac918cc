//! Collection properties of a calendar directory (DESIGN.md "Collection properties").
//!
//! `displayname`, `description` and `color` are vdir metadata files so that
//! khal/todoman/vdirsyncer share them; everything else lives in the
//! hand-editable `.calendar.toml`, edited with toml_edit so that comments and
//! unknown keys survive our writes.

use std::fs;
use std::io;
use std::path::Path;

use toml_edit::{value, Array, DocumentMut, Item, Table};

use super::{durable, FileStamp};

pub const DISPLAYNAME_FILE: &str = "displayname";
pub const DESCRIPTION_FILE: &str = "description";
pub const COLOR_FILE: &str = "color";
pub const SETTINGS_FILE: &str = ".calendar.toml";

/// Whether a file in a calendar directory holds the calendar's properties.
pub fn is_property_file(name: &str) -> bool {
    [
        DISPLAYNAME_FILE,
        DESCRIPTION_FILE,
        COLOR_FILE,
        SETTINGS_FILE,
    ]
    .contains(&name)
}

/// Components a calendar accepts when `.calendar.toml` does not say.
pub const DEFAULT_COMPONENTS: [&str; 3] = ["VEVENT", "VTODO", "VJOURNAL"];

/// A snapshot of one calendar's collection properties as found on disk.
#[derive(Debug, Clone, Default)]
pub struct CalendarProps {
    pub displayname: Option<String>,
    pub description: Option<String>,
    /// `#RRGGBB` as the vdir file holds it.
    pub color: Option<String>,
    settings: DocumentMut,
    /// Hand-edited dead properties that do not read back as one element
    /// within the XML bounds: (key, reason). Never served; kept in the file.
    rejected: Vec<(String, String)>,
    /// The version of `.calendar.toml` read (None when there is none).
    version: Option<FileStamp>,
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
    /// A dead property, keyed `{namespace}name`, holding its element's XML.
    Dead(String, Option<String>),
}

impl CalendarProps {
    /// Reads the metadata files of a calendar directory. A malformed
    /// `.calendar.toml` is an error so that we never overwrite a hand edit.
    pub fn read(dir: &Path) -> io::Result<CalendarProps> {
        let (settings, version) = match fs::File::open(dir.join(SETTINGS_FILE)) {
            Ok(mut file) => {
                let version = FileStamp::of(&file.metadata()?);
                let mut text = String::new();
                io::Read::read_to_string(&mut file, &mut text)?;
                let doc = text.parse::<DocumentMut>().map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{}: {e}", dir.join(SETTINGS_FILE).display()),
                    )
                })?;
                (doc, Some(version))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => (DocumentMut::new(), None),
            Err(e) => return Err(e),
        };
        let rejected = rejected_dead(&settings);
        Ok(CalendarProps {
            displayname: read_meta(dir, DISPLAYNAME_FILE)?,
            description: read_meta(dir, DESCRIPTION_FILE)?,
            color: read_meta(dir, COLOR_FILE)?,
            settings,
            rejected,
            version,
        })
    }

    /// Dead properties skipped because they fail the XML bounds: (key, reason).
    pub fn rejected(&self) -> &[(String, String)] {
        &self.rejected
    }

    /// The version of `.calendar.toml` these properties were read from.
    pub fn version(&self) -> Option<FileStamp> {
        self.version
    }

    fn is_rejected(&self, key: &str) -> bool {
        self.rejected.iter().any(|(k, _)| k == key)
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

    pub fn accepts(&self, component: &str) -> bool {
        self.components().iter().any(|c| c == component)
    }

    /// The default time zone as an IANA name.
    pub fn timezone(&self) -> Option<&str> {
        self.settings.get("timezone").and_then(Item::as_str)
    }

    pub fn order(&self) -> Option<i64> {
        self.settings.get("order").and_then(Item::as_integer)
    }

    /// Dead properties: (`{namespace}name`, element XML).
    pub fn dead(&self) -> Vec<(String, String)> {
        match self.settings.get("dead").and_then(Item::as_table) {
            Some(t) => t
                .iter()
                .filter(|(k, _)| !self.is_rejected(k))
                .filter_map(|(k, v)| Some((k.to_string(), v.as_str()?.to_string())))
                .collect(),
            None => Vec::new(),
        }
    }

    pub fn dead_value(&self, key: &str) -> Option<String> {
        if self.is_rejected(key) {
            return None;
        }
        self.settings
            .get("dead")
            .and_then(|d| d.get(key))
            .and_then(Item::as_str)
            .map(str::to_string)
    }

    /// Applies changes and writes only the files whose content changed.
    pub fn apply(dir: &Path, changes: &[PropChange]) -> io::Result<()> {
        let mut props = CalendarProps::read(dir)?;
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
            let current = read_meta(dir, file)?;
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
            durable::write_file(dir, SETTINGS_FILE, after.as_bytes())?;
        }
        Ok(())
    }

    fn set(&mut self, key: &str, item: Option<Item>) {
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

/// The stored dead properties that do not parse as one XML element within
/// the bounds a request body has (a hand edit may hold anything).
fn rejected_dead(settings: &DocumentMut) -> Vec<(String, String)> {
    let Some(table) = settings.get("dead").and_then(Item::as_table) else {
        return Vec::new();
    };
    table
        .iter()
        .filter_map(|(k, v)| {
            let xml = v.as_str()?;
            let e = crate::dav::xml::parse(xml.as_bytes()).err()?;
            Some((k.to_string(), e.to_string()))
        })
        .collect()
}

/// A vdir metadata file's text, trailing whitespace removed; empty counts as absent.
fn read_meta(dir: &Path, file: &str) -> io::Result<Option<String>> {
    match fs::read(dir.join(file)) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let trimmed = text.trim_end();
            Ok((!trimmed.is_empty()).then(|| trimmed.to_string()))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_unknown_keys_and_comments() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(SETTINGS_FILE),
            "# mine\nfoo = \"bar\"\ncomponents = [\"VTODO\"]\n",
        )
        .unwrap();
        CalendarProps::apply(
            dir.path(),
            &[
                PropChange::DisplayName(Some("Work".into())),
                PropChange::Color(Some("#112233".into())),
                PropChange::Order(Some(3)),
                PropChange::Dead("{urn:x}y".into(), Some("<y xmlns=\"urn:x\">1</y>".into())),
            ],
        )
        .unwrap();
        let text = fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(text.contains("# mine") && text.contains("foo = \"bar\""));
        let p = CalendarProps::read(dir.path()).unwrap();
        assert_eq!(p.displayname.as_deref(), Some("Work"));
        assert_eq!(p.color.as_deref(), Some("#112233"));
        assert_eq!(p.components(), vec!["VTODO"]);
        assert_eq!(p.order(), Some(3));
        assert_eq!(
            p.dead_value("{urn:x}y").as_deref(),
            Some("<y xmlns=\"urn:x\">1</y>")
        );
        CalendarProps::apply(dir.path(), &[PropChange::DisplayName(None)]).unwrap();
        assert!(!dir.path().join(DISPLAYNAME_FILE).exists());
    }

    #[test]
    fn defaults_and_trailing_whitespace() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(COLOR_FILE), "#abcdef \n\n").unwrap();
        let p = CalendarProps::read(dir.path()).unwrap();
        assert_eq!(p.color.as_deref(), Some("#abcdef"));
        assert!(p.accepts("VJOURNAL"));
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
        let p = CalendarProps::read(dir.path()).unwrap();
        assert_eq!(p.rejected().len(), 1);
        assert_eq!(p.rejected()[0].0, "{urn:x}a");
        assert_eq!(p.dead_value("{urn:x}a"), None);
        assert_eq!(p.dead().len(), 1);
        assert!(p.version().is_some());
        // A write of another property keeps the hand edit in the file.
        CalendarProps::apply(dir.path(), &[PropChange::Order(Some(1))]).unwrap();
        let text = fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(text.contains(&deep));
    }

    #[test]
    fn malformed_settings_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(SETTINGS_FILE), "components = [").unwrap();
        assert!(CalendarProps::read(dir.path()).is_err());
    }
}
