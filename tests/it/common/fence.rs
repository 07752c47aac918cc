//! The fence: what a hostile request as `demo` must leave alone, and the
//! fingerprints that show whether it did.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;

/// Everything a hostile request as `demo` must leave alone: alice's home and
/// a directory beside the data directory (outside anything the server may
/// touch) holding a secret file. `check` fails the test if any of it changed.
pub struct Fence {
    roots: Vec<PathBuf>,
    before: BTreeMap<PathBuf, String>,
    /// The secret's content: it must never appear in a response body.
    pub secret: String,
}

impl Server {
    /// The directory beside the data directory that no request may reach.
    pub fn outside(&self) -> PathBuf {
        self.tmp.path().join("outside")
    }

    /// Plants the outside secret (once) and fingerprints what `demo` must not touch.
    pub fn fence(&self) -> Fence {
        let outside = self.outside();
        let secret = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:outside-secret-7f3a\r\nDTSTART:20260101T000000Z\r\nSUMMARY:OUTSIDE-SECRET-7f3a\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".to_string();
        std::fs::create_dir_all(outside.join("cal")).unwrap();
        std::fs::write(outside.join("secret.ics"), &secret).unwrap();
        std::fs::write(outside.join("cal").join("secret.ics"), &secret).unwrap();
        let roots = vec![outside, self.data.join("alice")];
        let before = roots.iter().flat_map(|r| tree_fingerprint(r)).collect();
        Fence {
            roots,
            before,
            secret,
        }
    }
}

impl Fence {
    /// Asserts nothing fenced off was written, created or removed, and that a
    /// response did not carry the secret.
    pub fn check(&self, what: &str, resp: Option<&Resp>) {
        let now: BTreeMap<PathBuf, String> = self
            .roots
            .iter()
            .flat_map(|r| tree_fingerprint(r))
            .collect();
        assert_eq!(now, self.before, "{what}: fenced files changed");
        if let Some(r) = resp {
            assert!(
                !String::from_utf8_lossy(&r.body).contains("OUTSIDE-SECRET-7f3a"),
                "{what}: response carries the outside secret"
            );
        }
    }
}

/// Every entry under `dir` (symlinks not followed) with a SHA-256 of a file's
/// bytes or a link's target, so any write, creation or removal shows.
pub fn tree_fingerprint(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            out.insert(path.clone(), "dir".to_string());
            out.extend(tree_fingerprint(&path));
        } else if kind.is_symlink() {
            let target = std::fs::read_link(&path).unwrap_or_default();
            out.insert(path, format!("link:{}", target.display()));
        } else {
            let bytes = std::fs::read(&path).unwrap_or_default();
            out.insert(path, sha256_hex(&bytes));
        }
    }
    out
}
