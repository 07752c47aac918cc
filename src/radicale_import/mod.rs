//! `davdir import-radicale`: turns Radicale's `collection-root/<user>/<collection>/`
//! (items plus a `.Radicale.props` JSON file) into davdir's layout
//! (docs/DESIGN.md): the vdir metadata files, `.calendar.toml` or
//! `.addressbook.toml`, and every item with its bytes unchanged. Radicale's
//! item names are kept when they are safe names of the right kind, else the
//! name comes from the UID as an import names it. Idempotent: what is there
//! with the same bytes is left alone, other bytes are never overwritten.
//!
//! The server's own rules apply, so nothing is imported that it would not
//! serve, and every skip is reported: a collection whose props cannot be
//! read, a name reserved for the birthday calendar, a home or collection
//! that is a link leading out of the home (never written through), an item
//! over `max_resource_size`, a colour the colour parser refuses.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::import::{object_name, Skipped};
use crate::store::{confine, durable, names, CollectionKind, BIRTHDAYS};

/// Radicale's own files (props, cache, locks) all start with this.
const RADICALE_PREFIX: &str = ".Radicale";
/// Largest `.Radicale.props` read.
const MAX_PROPS: u64 = 1024 * 1024;

/// The server settings the imported data must satisfy.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Largest item the server serves (`max_resource_size`).
    pub max_resource_size: u64,
    /// Whether `birthdays` in a home is the derived calendar's name.
    pub birthday_calendar: bool,
}

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
pub fn migrate(root: &Path, data: &Path, rules: &Rules) -> Result<MigrationReport, MigrationError> {
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
            let found = Found {
                src: &dir,
                home: &data.join(&user),
                name: &name,
                label: &label,
            };
            migrate_collection(&found, rules, &mut report)?;
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

/// Radicale's collection properties; None when the collection has no props
/// file (a plain collection, such as a principal), Err (why) when it has one
/// that cannot be read. A UTF-8 byte order mark, which editors add, is fine.
fn read_props(dir: &Path) -> Result<Option<BTreeMap<String, String>>, String> {
    use std::io::Read;
    let path = dir.join(".Radicale.props");
    let mut text = String::new();
    let file = match fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    file.take(MAX_PROPS + 1)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    if text.len() as u64 > MAX_PROPS {
        return Err(format!("larger than {MAX_PROPS} bytes"));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let map = serde_json::from_str::<BTreeMap<String, serde_json::Value>>(text)
        .map_err(|e| e.to_string())?;
    Ok(Some(
        map.into_iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
            .collect(),
    ))
}

/// One Radicale collection and where it goes.
struct Found<'a> {
    src: &'a Path,
    /// The user's home in the data directory.
    home: &'a Path,
    name: &'a str,
    /// `user/collection`, for the report.
    label: &'a str,
}

fn migrate_collection(
    found: &Found,
    rules: &Rules,
    report: &mut MigrationReport,
) -> Result<(), MigrationError> {
    let Found {
        src,
        home,
        name,
        label,
    } = *found;
    let skip = |report: &mut MigrationReport, item: String, reason: String| {
        report.skipped.push(Skipped { item, reason });
    };
    let props = match read_props(src) {
        Ok(Some(props)) => props,
        // No props: a plain Radicale collection (a principal), not data.
        Ok(None) => return Ok(()),
        Err(e) => {
            skip(
                report,
                label.to_string(),
                format!(".Radicale.props cannot be read ({e}); collection not imported"),
            );
            return Ok(());
        }
    };
    let kind = match props.get("tag").map(String::as_str) {
        Some("VCALENDAR") => CollectionKind::Calendar,
        Some("VADDRESSBOOK") => CollectionKind::AddressBook,
        // No tag: a plain Radicale collection (a principal), not calendar data.
        _ => return Ok(()),
    };
    if rules.birthday_calendar && name == BIRTHDAYS {
        skip(
            report,
            label.to_string(),
            "the name is reserved for the birthday calendar, which the server serves instead; \
             rename the collection in Radicale (or set birthday_calendar = false) and import again"
                .into(),
        );
        return Ok(());
    }
    let dst = home.join(name);
    if let Err(why) = confined(home, &dst) {
        skip(report, label.to_string(), format!("{why}; nothing written"));
        return Ok(());
    }
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
        // The server's own parser: vdir colours are #RRGGBB (DESIGN.md).
        match crate::dav::color::store_color(v) {
            Some(rgb) => files.push(("color", rgb)),
            None => skip(
                report,
                format!("{label}/color"),
                format!("{v:?} is not a colour (#RRGGBB, #RRGGBBAA or a CSS name); not imported"),
            ),
        }
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
        let bytes = match read_item(&path, rules.max_resource_size)? {
            Ok(bytes) => bytes,
            Err(reason) => {
                skip(report, format!("{label}/{item}"), reason);
                continue;
            }
        };
        let target = match target_name(&item, &bytes, kind) {
            Ok(t) => t,
            Err(reason) => {
                skip(report, format!("{label}/{item}"), reason);
                continue;
            }
        };
        match fs::read(dst.join(&target)) {
            Ok(existing) if existing == bytes => report.items_unchanged += 1,
            Ok(_) => skip(
                report,
                format!("{label}/{item}"),
                format!("{target} already exists with other content (not overwritten)"),
            ),
            Err(_) => {
                durable::write_file(&dst, &target, &bytes).map_err(io(&dst))?;
                report.items_written += 1;
            }
        }
    }
    Ok(())
}

/// Whether the server's symlink rule lets `dst` (a collection in `home`)
/// be written: the home a real directory, the collection a real directory
/// or a link staying inside the home; either may not exist yet.
fn confined(home: &Path, dst: &Path) -> Result<(), String> {
    let exists = |p: &Path| fs::symlink_metadata(p).is_ok();
    if exists(home) && !confine::is_real_dir(home) {
        return Err(format!(
            "{} is a symbolic link or not a directory; the server does not serve such a home",
            home.display()
        ));
    }
    if exists(dst) && !confine::collection_dir_ok(home, dst) {
        return Err(format!(
            "{} is a symbolic link leading outside the user's home, or not a directory",
            dst.display()
        ));
    }
    Ok(())
}

/// An item's bytes, or why it is skipped: the server skips, unread, any
/// file over `max_resource_size`, so it is not copied.
fn read_item(path: &Path, max: u64) -> Result<Result<Vec<u8>, String>, MigrationError> {
    use std::io::Read;
    let too_large = |size: u64| {
        Err(format!(
            "{size} bytes, larger than max_resource_size ({max} bytes): the server would not serve it"
        ))
    };
    let file = fs::File::open(path).map_err(io(path))?;
    let size = file.metadata().map_err(io(path))?.len();
    if size > max {
        return Ok(too_large(size));
    }
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(io(path))?;
    if bytes.len() as u64 > max {
        return Ok(too_large(bytes.len() as u64));
    }
    Ok(Ok(bytes))
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
