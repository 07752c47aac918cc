//! File names for imported objects, from their UIDs: the UID itself when it
//! is made of safe characters (so a name says which object it is, as
//! clients' PUT names usually do), else a hash of it, so that the same UID
//! always gets the same name and a re-run finds what it wrote.

use sha2::{Digest, Sha256};

use crate::store::CollectionKind;

/// Longest UID used as a name as it is; longer ones are hashed.
const MAX_PLAIN: usize = 200;

/// The object name for `uid` in a collection of `kind`.
pub fn object_name(uid: &str, kind: CollectionKind) -> String {
    let safe = !uid.is_empty()
        && uid.len() <= MAX_PLAIN
        && !uid.starts_with('.')
        && uid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@'));
    let stem = if safe {
        uid.to_string()
    } else {
        hex::encode(Sha256::digest(uid.as_bytes()))
    };
    format!("{stem}.{}", kind.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_uids_are_kept_others_hashed() {
        let cal = CollectionKind::Calendar;
        assert_eq!(
            object_name("abc-1@example.org", cal),
            "abc-1@example.org.ics"
        );
        assert_eq!(object_name("x", CollectionKind::AddressBook), "x.vcf");
        for unsafe_uid in ["a/b", "../x", ".hidden", "", "a b", "ü"] {
            let name = object_name(unsafe_uid, cal);
            assert_eq!(name.len(), 64 + 4, "{unsafe_uid:?}");
            assert_eq!(name, object_name(unsafe_uid, cal));
        }
        assert_ne!(object_name("a/b", cal), object_name("a/c", cal));
        assert_eq!(object_name(&"u".repeat(201), cal).len(), 68);
    }
}
