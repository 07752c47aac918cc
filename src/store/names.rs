//! Which path segments may name users, calendars and objects on disk.
//!
//! Names come from URLs, so they are checked before they ever touch a path:
//! no separators, no dot-files (those are temp files, the cache and git), no
//! control characters.
//!
//! An object's URL name and its file name are one and the same, except
//! where the URL name lacks its kind's extension: the file then gets the
//! reserved `.noext` mark before the extension (docs/DESIGN.md "Object
//! names"). Every translation between the two goes through the functions
//! below, so the mapping is declared once and needs no state.

use std::borrow::Cow;

use super::{CollectionKind, StoreError};

/// Prefix of the durable writer's temp files (`.davdir-tmp.` + 16 hex digits).
pub const TEMP_PREFIX: &str = ".davdir-tmp.";

/// Whether a file name is a temp file of an interrupted write by davdir: the
/// current fixed-length form, or the older `.<name>.<16 hex>.tmp` form. Only
/// davdir writes these names, so at start any of them is a crash's leftover.
pub fn is_temp_name(name: &str) -> bool {
    let hex16 = |s: &str| s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(token) = name.strip_prefix(TEMP_PREFIX) {
        return hex16(token);
    }
    let Some(inner) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    matches!(inner.rsplit_once('.'), Some((target, token)) if !target.is_empty() && hex16(token))
}

/// A user, calendar or object name that is safe as one path component.
pub fn check_segment(name: &str) -> Result<(), StoreError> {
    let bad = name.is_empty()
        || name.len() > 255
        || name.starts_with('.')
        || name.contains('/')
        || name.contains('\\')
        || name.chars().any(|c| c.is_control());
    if bad {
        Err(StoreError::InvalidName(name.to_string()))
    } else {
        Ok(())
    }
}

/// The mark between the URL name and the extension in the file name of an
/// object whose URL name lacks the extension: URL `N` ⇄ file `N.noext.ics`
/// (`N.noext.vcf` in an address book). No client names a resource so, and
/// a URL name that would collide with such a file is refused.
pub const NO_EXTENSION_MARK: &str = ".noext";

/// `name` without `.<ext>` at its end (the stem may be empty), if it has it.
fn strip_extension<'a>(name: &'a str, ext: &str) -> Option<&'a str> {
    name.strip_suffix(ext)?.strip_suffix('.')
}

/// The URL name of a file marked by [`NO_EXTENSION_MARK`]: `N` for
/// `N.noext.<ext>` unless `N` itself ends in `.<ext>` (such a file, which
/// only a person can make, keeps its name as its URL name).
fn marked_url_name<'a>(file: &'a str, ext: &str) -> Option<&'a str> {
    let url = strip_extension(file, ext)?.strip_suffix(NO_EXTENSION_MARK)?;
    (!url.is_empty() && strip_extension(url, ext).is_none()).then_some(url)
}

/// Whether the URL name `url` of an object of `kind` needs the mark to make
/// its file name: Ok(false) when it is its own file name, Err when it is
/// the file name of another URL name (so reserved).
fn needs_mark(kind: CollectionKind, url: &str) -> Result<bool, StoreError> {
    let ext = kind.extension();
    if strip_extension(url, ext).is_none() {
        Ok(true)
    } else if let Some(owner) = marked_url_name(url, ext) {
        Err(StoreError::ReservedName {
            name: url.to_string(),
            owner: owner.to_string(),
        })
    } else {
        Ok(false)
    }
}

/// The file name of the object whose URL name is `url` in a collection of
/// `kind`; borrowed (nothing allocated) when the two are the same.
pub fn object_file_name(kind: CollectionKind, url: &str) -> Result<Cow<'_, str>, StoreError> {
    Ok(if needs_mark(kind, url)? {
        Cow::Owned(format!("{url}{NO_EXTENSION_MARK}.{}", kind.extension()))
    } else {
        Cow::Borrowed(url)
    })
}

/// [`object_file_name`] in place: the URL name's own buffer becomes the
/// file name, for callers that own it (multiget, per href).
pub fn into_object_file_name(kind: CollectionKind, mut url: String) -> Result<String, StoreError> {
    if needs_mark(kind, &url)? {
        url.push_str(NO_EXTENSION_MARK);
        url.push('.');
        url.push_str(kind.extension());
    }
    Ok(url)
}

/// The URL name of the object file `file` of either kind (a calendar's
/// objects all end in `.ics`, an address book's in `.vcf`, so the kind
/// follows from the name); a slice of it, nothing allocated.
pub fn object_url_name(file: &str) -> &str {
    [CollectionKind::Calendar, CollectionKind::AddressBook]
        .into_iter()
        .find_map(|kind| marked_url_name(file, kind.extension()))
        .unwrap_or(file)
}

/// Whether a directory entry is a calendar object resource: a visible `.ics` file name.
pub fn is_object_name(name: &str) -> bool {
    name.ends_with(".ics") && name.len() > 4 && check_segment(name).is_ok()
}

/// An object name must be a valid segment ending in `.ics`.
pub fn check_object_name(name: &str) -> Result<(), StoreError> {
    check_segment(name)?;
    if is_object_name(name) {
        Ok(())
    } else {
        Err(StoreError::InvalidName(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments() {
        assert!(check_segment("work").is_ok());
        assert!(check_segment("Ünïcode name").is_ok());
        for bad in ["", ".", "..", ".hidden", "a/b", "a\\b", "a\nb"] {
            assert!(check_segment(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn objects() {
        assert!(is_object_name("abc.ics"));
        assert!(!is_object_name(".abc.ics.tmp"));
        assert!(!is_object_name("color"));
        assert!(!is_object_name(".ics"));
        assert!(check_object_name("x.txt").is_err());
    }

    /// URL names and file names map one to one, in both directions.
    #[test]
    fn object_names_round_trip() {
        use CollectionKind::{AddressBook, Calendar};
        let cases = [
            (Calendar, "a.ics", "a.ics"),
            (Calendar, "6f1c-uuid", "6f1c-uuid.noext.ics"),
            (Calendar, "x.vcf", "x.vcf.noext.ics"),
            (Calendar, "x.noext", "x.noext.noext.ics"),
            (Calendar, "x.ICS", "x.ICS.noext.ics"),
            (Calendar, "noext.ics", "noext.ics"),
            (Calendar, "b.ics.noext.ics", "b.ics.noext.ics"),
            (AddressBook, "c.vcf", "c.vcf"),
            (AddressBook, "c", "c.noext.vcf"),
            (AddressBook, "c.ics", "c.ics.noext.vcf"),
        ];
        for (kind, url, file) in cases {
            assert_eq!(object_file_name(kind, url).unwrap(), file, "{url}");
            assert_eq!(into_object_file_name(kind, url.into()).unwrap(), file);
            assert_eq!(object_url_name(file), url, "{file}");
        }
        // The common case allocates nothing: borrowed, or the same buffer
        // (multiget maps every href this way).
        assert!(matches!(
            object_file_name(Calendar, "a.ics").unwrap(),
            Cow::Borrowed(_)
        ));
        let href_name = String::from("a.ics");
        let buffer = href_name.as_ptr();
        let file_name = into_object_file_name(Calendar, href_name).unwrap();
        assert_eq!(file_name.as_ptr(), buffer);
        // The file of URL name `a` cannot also be URL name `a.noext.ics`.
        for (kind, url) in [(Calendar, "a.noext.ics"), (AddressBook, "a.noext.vcf")] {
            assert!(matches!(
                object_file_name(kind, url),
                Err(StoreError::ReservedName { ref owner, .. }) if owner == "a"
            ));
        }
        // A hand-made file of either kind keeps its name when unmarked.
        assert_eq!(object_url_name("team.ics"), "team.ics");
        assert_eq!(object_url_name(".noext.ics"), ".noext.ics");
    }

    #[test]
    fn temp_names() {
        assert!(is_temp_name(".davdir-tmp.0123456789abcdef"));
        assert!(is_temp_name(".a.ics.0123456789abcdef.tmp"));
        assert!(is_temp_name(".work.log.00000000000000ff.tmp"));
        for other in [
            ".davdir-tmp.xyz",
            ".a.ics.tmp",
            "a.ics.0123456789abcdef.tmp",
            "a.icsAbCdEfGh",
            ".calendar.toml",
            "..0123456789abcdef.tmp",
        ] {
            assert!(!is_temp_name(other), "{other:?}");
        }
    }
}
