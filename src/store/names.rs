//! Which path segments may name users, calendars and objects on disk.
//!
//! Names come from URLs, so they are checked before they ever touch a path:
//! no separators, no dot-files (those are temp files, the cache and git), no
//! control characters.

use super::StoreError;

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
