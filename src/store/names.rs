//! Which path segments may name users, calendars and objects on disk.
//!
//! Names come from URLs, so they are checked before they ever touch a path:
//! no separators, no dot-files (those are temp files, the cache and git), no
//! control characters.

use super::StoreError;

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
}
