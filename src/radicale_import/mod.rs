//! `davdir import-radicale`: turns Radicale's `collection-root/<user>/<collection>/`
//! (items plus a `.Radicale.props` JSON file) into davdir's layout
//! (docs/DESIGN.md): the vdir metadata files, `.calendar.toml` or
//! `.addressbook.toml`, and every item with its bytes unchanged. Radicale's
//! item names are kept when they are safe names of the right kind, else the
//! name comes from the UID as an import names it. Idempotent: what is there
//! with the same bytes is left alone, other bytes are never overwritten.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

mod run;

pub use run::{run, RadicaleArgs};

use crate::import::{object_name, Skipped};
use crate::store::{durable, names, CollectionKind};

/// Radicale's own files (props, cache, locks) all start with this.
const RADICALE_PREFIX: &str = ".Radicale";
/// Largest `.Radicale.props` read.
const MAX_PROPS: u64 = 1024 * 1024;

/// What a migration did.
#[derive(Debug, Default)]
pub struct MigrationReport {
    /// `user/collection` made by this run.
    pub collections_created: Vec<String>,
    pub items_written: usize,
    pub items_unchanged: usize,
    /// Property files (displayname, description, color, marker) written.
    pub props_written: usize,
    pub skipped: Vec<Skipped>,
}

impl MigrationReport {
    pub fn nothing_done(&self) -> bool {
        self.collections_created.is_empty() && self.items_written == 0 && self.props_written == 0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> MigrationError + '_ {
    move |e| MigrationError::Io(path.display().to_string(), e)
}

/// Migrates every collection under `root` (Radicale's `collection-root`)
/// into `data`.
pub fn migrate(root: &Path, data: &Path) -> Result<MigrationReport, MigrationError> {
    let mut report = MigrationReport::default();
    fs::create_dir_all(data).map_err(io(data))?;
    for (user, user_dir) in visible_dirs(root)? {
        for (name, dir) in visible_dirs(&user_dir)? {
            let label = format!("{user}/{name}");
            if names::check_segment(&user).is_err() || names::check_segment(&name).is_err() {
                report.skipped.push(Skipped {
                    item: label,
                    reason: "not a valid davdir name".into(),
                });
                continue;
            }
            migrate_collection(&dir, &data.join(&user), &name, &label, &mut report)?;
        }
    }
    Ok(report)
}

/// Subdirectories with visible, UTF-8 names, sorted.
fn visible_dirs(dir: &Path) -> Result<Vec<(String, std::path::PathBuf)>, MigrationError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(io(dir))?.flatten() {
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if !name.starts_with('.') && entry.file_type().is_ok_and(|t| t.is_dir()) {
            out.push((name, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Radicale's collection properties.
fn read_props(dir: &Path) -> BTreeMap<String, String> {
    use std::io::Read;
    let path = dir.join(".Radicale.props");
    let mut text = String::new();
    let read = fs::File::open(&path).and_then(|f| f.take(MAX_PROPS).read_to_string(&mut text));
    if read.is_err() {
        return BTreeMap::new();
    }
    match serde_json::from_str::<BTreeMap<String, serde_json::Value>>(&text) {
        Ok(map) => map
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
            .collect(),
        Err(e) => {
            tracing::warn!("{}: {e}", path.display());
            BTreeMap::new()
        }
    }
}

fn migrate_collection(
    src: &Path,
    home: &Path,
    name: &str,
    label: &str,
    report: &mut MigrationReport,
) -> Result<(), MigrationError> {
    let props = read_props(src);
    let kind = match props.get("tag").map(String::as_str) {
        Some("VCALENDAR") => CollectionKind::Calendar,
        Some("VADDRESSBOOK") => CollectionKind::AddressBook,
        // No tag: a plain Radicale collection (a principal), not calendar data.
        _ => return Ok(()),
    };
    let dst = home.join(name);
    if !home.exists() {
        durable::create_dir(home).map_err(io(home))?;
    }
    if !dst.exists() {
        durable::create_dir(&dst).map_err(io(&dst))?;
        report.collections_created.push(label.to_string());
    }
    let mut files: Vec<(&str, String)> = Vec::new();
    if let Some(v) = props.get("D:displayname") {
        files.push(("displayname", v.clone()));
    }
    let description = match kind {
        CollectionKind::Calendar => props.get("C:calendar-description"),
        CollectionKind::AddressBook => props.get("CR:addressbook-description"),
    };
    if let Some(v) = description {
        files.push(("description", v.clone()));
    }
    if let Some(v) = props.get("ICAL:calendar-color") {
        // vdir colours are #RRGGBB: an alpha part is dropped (DESIGN.md).
        let v = v.trim();
        let rgb = if v.len() == 9 && v.starts_with('#') {
            &v[..7]
        } else {
            v
        };
        files.push(("color", rgb.to_string()));
    }
    let mut settings = toml_edit::DocumentMut::new();
    if let Some(set) = props.get("C:supported-calendar-component-set") {
        let mut list = toml_edit::Array::new();
        for c in set.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            list.push(c.to_ascii_uppercase());
        }
        settings["components"] = toml_edit::value(list);
    }
    let marker = settings.to_string();
    if kind == CollectionKind::AddressBook || !marker.is_empty() {
        files.push((kind.marker(), marker));
    }
    for (file, text) in files {
        if fs::read(dst.join(file)).ok().as_deref() != Some(text.as_bytes()) {
            durable::write_file(&dst, file, text.as_bytes()).map_err(io(&dst))?;
            report.props_written += 1;
        }
    }
    let mut items: Vec<_> = fs::read_dir(src)
        .map_err(io(src))?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| !n.starts_with(RADICALE_PREFIX) && !n.starts_with('.'))
        .collect();
    items.sort();
    for item in items {
        let path = src.join(&item);
        let bytes = fs::read(&path).map_err(io(&path))?;
        let target = match target_name(&item, &bytes, kind) {
            Ok(t) => t,
            Err(reason) => {
                report.skipped.push(Skipped {
                    item: format!("{label}/{item}"),
                    reason,
                });
                continue;
            }
        };
        match fs::read(dst.join(&target)) {
            Ok(existing) if existing == bytes => report.items_unchanged += 1,
            Ok(_) => report.skipped.push(Skipped {
                item: format!("{label}/{item}"),
                reason: format!("{target} already exists with other content (not overwritten)"),
            }),
            Err(_) => {
                durable::write_file(&dst, &target, &bytes).map_err(io(&dst))?;
                report.items_written += 1;
            }
        }
    }
    Ok(())
}

/// Radicale's item name when it is a safe name with the kind's extension,
/// else one made from the item's UID; Err when the item is not valid data.
fn target_name(item: &str, bytes: &[u8], kind: CollectionKind) -> Result<String, String> {
    let ext_ok = item
        .rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && ext == kind.extension());
    if ext_ok && names::check_segment(item).is_ok() {
        return Ok(item.to_string());
    }
    let uid = match kind {
        CollectionKind::Calendar => crate::ical::inspect(bytes)
            .map(|i| i.uid)
            .map_err(|e| e.to_string()),
        CollectionKind::AddressBook => crate::vcard::inspect(bytes)
            .map(|i| i.uid)
            .map_err(|e| e.to_string()),
    };
    uid.map(|u| object_name(&u, kind))
        .map_err(|e| format!("invalid: {e}"))
}
