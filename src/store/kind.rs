//! Which kind a collection directory is (docs/DESIGN.md "Which kind a
//! directory is"): a calendar of `.ics` files or an address book of `.vcf`
//! files, decided by marker files and, without one, by the files present.
//! The facts the index keeps of an object depend on the kind too.

use std::fs;
use std::io;
use std::path::Path;

use super::names;

/// The marker (and settings file) of a calendar.
pub const CALENDAR_MARKER: &str = ".calendar.toml";
/// The marker (and settings file) of an address book.
pub const ADDRESSBOOK_MARKER: &str = ".addressbook.toml";

/// What a collection directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CollectionKind {
    #[default]
    Calendar,
    AddressBook,
}

impl CollectionKind {
    /// The file extension of this kind's objects, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            CollectionKind::Calendar => "ics",
            CollectionKind::AddressBook => "vcf",
        }
    }

    /// The hand-editable settings file that also marks the kind.
    pub fn marker(self) -> &'static str {
        match self {
            CollectionKind::Calendar => CALENDAR_MARKER,
            CollectionKind::AddressBook => ADDRESSBOOK_MARKER,
        }
    }

    /// The other kind.
    pub fn other(self) -> CollectionKind {
        match self {
            CollectionKind::Calendar => CollectionKind::AddressBook,
            CollectionKind::AddressBook => CollectionKind::Calendar,
        }
    }

    /// Whether a directory entry is an object of this kind: a visible file
    /// name with this kind's extension.
    pub fn is_object_name(self, name: &str) -> bool {
        name.strip_suffix(self.extension())
            .and_then(|stem| stem.strip_suffix('.'))
            .is_some_and(|stem| !stem.is_empty())
            && names::check_segment(name).is_ok()
    }

    /// The kind of collection directory `dir`, looking at markers first and
    /// at the objects only when there is none. Reads the directory until its
    /// first `.ics` at most.
    pub fn of_dir(dir: &Path) -> io::Result<CollectionKind> {
        Ok(Self::detect(dir, None)?.0)
    }

    /// The kind where a marker or the known witness settles it: a few
    /// `stat`s and no listing, so it may run where nothing may wait on a
    /// directory read (`no_wait`). None: only a listing can tell.
    pub(super) fn detect_by_stat(
        dir: &Path,
        witness: Option<&str>,
    ) -> Option<(CollectionKind, Option<String>)> {
        let has = |f: &str| fs::symlink_metadata(dir.join(f)).is_ok();
        if has(CALENDAR_MARKER) {
            return Some((CollectionKind::Calendar, None));
        }
        if has(ADDRESSBOOK_MARKER) {
            return Some((CollectionKind::AddressBook, None));
        }
        let w = witness.filter(|w| has(w))?;
        Some((CollectionKind::Calendar, Some(w.to_string())))
    }

    /// `of_dir`, also returning the `.ics` file that made a directory without
    /// markers a calendar (its witness). Given that witness from an earlier
    /// call, a directory where it still exists needs no listing: a listing
    /// of a large calendar costs far more than three `stat`s.
    pub(super) fn detect(
        dir: &Path,
        witness: Option<&str>,
    ) -> io::Result<(CollectionKind, Option<String>)> {
        if let Some(found) = Self::detect_by_stat(dir, witness) {
            return Ok(found);
        }
        let mut cards = false;
        for entry in fs::read_dir(dir)? {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            if CollectionKind::Calendar.is_object_name(name) {
                return Ok((CollectionKind::Calendar, Some(name.to_string())));
            }
            cards |= CollectionKind::AddressBook.is_object_name(name);
        }
        let kind = if cards {
            CollectionKind::AddressBook
        } else {
            CollectionKind::Calendar
        };
        Ok((kind, None))
    }

    /// What makes `dir` (of kind `self`) ambiguous, for `check`: both
    /// markers, and each file of the other kind (ignored), as (file, reason).
    pub fn conflicts(self, dir: &Path) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let marked = |f: &str| fs::symlink_metadata(dir.join(f)).is_ok();
        if marked(CALENDAR_MARKER) && marked(ADDRESSBOOK_MARKER) {
            out.push((
                ADDRESSBOOK_MARKER.to_string(),
                format!("both {CALENDAR_MARKER} and {ADDRESSBOOK_MARKER}: served as a calendar"),
            ));
        }
        let other = self.other();
        let mut found: Vec<String> = fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| other.is_object_name(n))
            .collect();
        found.sort();
        for name in found {
            out.push((
                name,
                format!(
                    "a .{} file in {}; ignored",
                    other.extension(),
                    self.describe()
                ),
            ));
        }
        out
    }

    /// "a calendar" / "an address book", for messages.
    pub fn describe(self) -> &'static str {
        match self {
            CollectionKind::Calendar => "a calendar",
            CollectionKind::AddressBook => "an address book",
        }
    }
}

impl std::fmt::Display for CollectionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CollectionKind::Calendar => "calendar",
            CollectionKind::AddressBook => "addressbook",
        })
    }
}

/// What a PUT stores, with the facts its validation found: a calendar
/// object (`ical::inspect`) or a contact (`vcard::inspect`).
#[derive(Debug, Clone)]
pub enum ObjectInfo {
    Calendar(crate::ical::ObjectInfo),
    Contact(crate::vcard::CardInfo),
}

impl ObjectInfo {
    pub fn uid(&self) -> &str {
        match self {
            ObjectInfo::Calendar(i) => &i.uid,
            ObjectInfo::Contact(c) => &c.uid,
        }
    }

    /// The kind of collection such an object belongs in.
    pub fn kind(&self) -> CollectionKind {
        match self {
            ObjectInfo::Calendar(_) => CollectionKind::Calendar,
            ObjectInfo::Contact(_) => CollectionKind::AddressBook,
        }
    }
}

impl From<crate::ical::ObjectInfo> for ObjectInfo {
    fn from(i: crate::ical::ObjectInfo) -> Self {
        ObjectInfo::Calendar(i)
    }
}

impl From<crate::vcard::CardInfo> for ObjectInfo {
    fn from(c: crate::vcard::CardInfo) -> Self {
        ObjectInfo::Contact(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_by_marker_then_by_files() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path();
        let kind = || CollectionKind::of_dir(dir).unwrap();
        assert_eq!(kind(), CollectionKind::Calendar, "empty");
        fs::write(dir.join("a.vcf"), "").unwrap();
        fs::write(dir.join("notes.txt"), "").unwrap();
        assert_eq!(kind(), CollectionKind::AddressBook);
        fs::write(dir.join("b.ics"), "").unwrap();
        assert_eq!(kind(), CollectionKind::Calendar, "mixed, no marker");
        assert_eq!(
            CollectionKind::Calendar.conflicts(dir),
            vec![(
                "a.vcf".to_string(),
                "a .vcf file in a calendar; ignored".into()
            )]
        );
        fs::write(dir.join(ADDRESSBOOK_MARKER), "").unwrap();
        assert_eq!(kind(), CollectionKind::AddressBook);
        fs::remove_file(dir.join("a.vcf")).unwrap();
        assert_eq!(kind(), CollectionKind::AddressBook, "marker, no cards");
        fs::write(dir.join(CALENDAR_MARKER), "").unwrap();
        assert_eq!(kind(), CollectionKind::Calendar, "both markers");
        assert!(CollectionKind::Calendar.conflicts(dir)[0]
            .1
            .contains("both"));
    }

    #[test]
    fn a_witness_spares_the_listing_only_while_it_exists() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path();
        fs::write(dir.join("a.ics"), "").unwrap();
        let (kind, witness) = CollectionKind::detect(dir, None).unwrap();
        assert_eq!(
            (kind, witness.as_deref()),
            (CollectionKind::Calendar, Some("a.ics"))
        );
        fs::remove_file(dir.join("a.ics")).unwrap();
        fs::write(dir.join("b.vcf"), "").unwrap();
        assert_eq!(
            CollectionKind::detect(dir, Some("a.ics")).unwrap(),
            (CollectionKind::AddressBook, None)
        );
        fs::write(dir.join(ADDRESSBOOK_MARKER), "").unwrap();
        fs::write(dir.join("c.ics"), "").unwrap();
        assert_eq!(
            CollectionKind::detect(dir, Some("c.ics")).unwrap().0,
            CollectionKind::AddressBook,
            "a marker outranks the witness"
        );
    }

    #[test]
    fn object_names_by_kind() {
        let ab = CollectionKind::AddressBook;
        assert!(ab.is_object_name("x.vcf"));
        assert!(!ab.is_object_name(".vcf"));
        assert!(!ab.is_object_name(".x.vcf"));
        assert!(!ab.is_object_name("x.ics"));
        assert!(!ab.is_object_name("xvcf"));
        assert!(CollectionKind::Calendar.is_object_name("x.ics"));
    }
}
