//! Calendar-user addresses (RFC 6638 §2.4.1): every user has
//! `mailto:<user>@<email_domain>` when the config names a domain, plus the
//! addresses an admin gives him (`davdir user email`) or he adds on the
//! web page's Account page (both through `update`), kept in the state
//! directory's `addresses.toml` with the other user state (never in the
//! data directory). The CLI and the running server both use the file: edits
//! are a locked read-modify-write, and the server re-reads it when its
//! identity (inode, size, mtime) changes, as for app passwords.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::accounts::AccountError;
use crate::state_dir::{Reloaded, StateDir};

const FILE: &str = "addresses.toml";
const LOCK: &str = "addresses.lock";
/// Largest file read.
const MAX_FILE: u64 = 4 << 20;
/// Addresses one user may have besides the domain's.
pub const MAX_PER_USER: usize = 32;
/// Longest address (RFC 5321's path limit).
const MAX_ADDRESS: usize = 254;

/// `[user] = ["addr", ...]`, bare addresses without `mailto:`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    #[serde(default)]
    addresses: BTreeMap<String, Vec<String>>,
}

/// Every user's addresses, as the server and the CLI see them.
pub struct Addresses {
    dir: Option<StateDir>,
    domain: Option<String>,
    loaded: Reloaded<BTreeMap<String, Vec<String>>>,
}

impl Addresses {
    /// Over a state directory (None: only the domain's addresses), with the
    /// configured `email_domain`.
    pub fn open(dir: Option<StateDir>, domain: Option<String>) -> Addresses {
        Addresses {
            dir,
            domain: domain
                .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
                .filter(|d| !d.is_empty()),
            loaded: Reloaded::new(),
        }
    }

    /// The configured domain, lower case.
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// The user's calendar-user addresses as URIs: the domain's first.
    pub fn of(&self, user: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(domain) = &self.domain {
            out.push(format!("mailto:{user}@{domain}"));
        }
        for a in self.current().remove(user).unwrap_or_default() {
            let uri = format!("mailto:{a}");
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&uri)) {
                out.push(uri);
            }
        }
        out
    }

    /// The addresses given to `user` (without the domain's), bare.
    pub fn given(&self, user: &str) -> Vec<String> {
        self.current().remove(user).unwrap_or_default()
    }

    /// The user an address belongs to: one given to a user, or
    /// `<user>@<email_domain>`; `mailto:` optional, case-insensitive. Only
    /// users that `known` accepts (the server's users) are answered.
    pub fn user_of(&self, address: &str, known: impl Fn(&str) -> bool) -> Option<String> {
        let bare = bare(address)?;
        let given = self.current().into_iter().find_map(|(user, list)| {
            list.iter()
                .any(|a| a.eq_ignore_ascii_case(bare))
                .then_some(user)
        });
        if let Some(user) = given.filter(|u| known(u)) {
            return Some(user);
        }
        let (local, domain) = bare.rsplit_once('@')?;
        if self.domain.as_deref() != Some(&domain.to_ascii_lowercase()) {
            return None;
        }
        [local.to_string(), local.to_ascii_lowercase()]
            .into_iter()
            .find(|u| known(u))
    }

    /// Whether the address is in the configured domain (so an unknown one is
    /// an invalid calendar user, RFC 6638 status 3.7).
    pub fn in_domain(&self, address: &str) -> bool {
        let domain = bare(address).and_then(|b| b.rsplit_once('@')).map(|p| p.1);
        matches!((domain, &self.domain), (Some(d), Some(mine)) if d.eq_ignore_ascii_case(mine))
    }

    /// Replaces the addresses given to `user` (an empty list clears them).
    /// Refuses a malformed address and one another user already has.
    pub fn set(&self, user: &str, addresses: &[String]) -> Result<(), AccountError> {
        self.update(user, |_| Ok(addresses.to_vec()))
    }

    /// Replaces the addresses given to `user` by what `change` makes of
    /// them, under the lock (so the page's add or remove loses no edit made
    /// meanwhile by the CLI), with the checks of `set`.
    pub fn update(
        &self,
        user: &str,
        change: impl FnOnce(Vec<String>) -> Result<Vec<String>, AccountError>,
    ) -> Result<(), AccountError> {
        crate::accounts::check_user_name(user)?;
        self.edit(|stored| {
            let old = stored.addresses.get(user).cloned().unwrap_or_default();
            let mut clean: Vec<String> = Vec::new();
            for a in change(old)? {
                let b = check(&a)?;
                if !clean.iter().any(|c| c.eq_ignore_ascii_case(&b)) {
                    clean.push(b);
                }
            }
            if clean.len() > MAX_PER_USER {
                return Err(AccountError::BadAddress(format!(
                    "at most {MAX_PER_USER} addresses per user"
                )));
            }
            for (other, list) in &stored.addresses {
                if other == user {
                    continue;
                }
                if let Some(taken) = clean
                    .iter()
                    .find(|c| list.iter().any(|a| a.eq_ignore_ascii_case(c)))
                {
                    return Err(AccountError::BadAddress(format!(
                        "{taken} already belongs to {other}"
                    )));
                }
            }
            if clean.is_empty() {
                stored.addresses.remove(user);
            } else {
                stored.addresses.insert(user.to_string(), clean.clone());
            }
            Ok(())
        })
    }

    fn path(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.path().join(FILE))
    }

    /// The table, re-read when the file changed. An unreadable file counts
    /// as empty and is logged.
    fn current(&self) -> BTreeMap<String, Vec<String>> {
        let Some(path) = self.path() else {
            return BTreeMap::new();
        };
        self.loaded.get(&path, || match self.read_file() {
            Ok(s) => s.addresses,
            Err(e) => {
                tracing::warn!("calendar-user addresses unusable: {e}");
                BTreeMap::new()
            }
        })
    }

    fn read_file(&self) -> Result<Stored, AccountError> {
        let (Some(dir), Some(path)) = (&self.dir, self.path()) else {
            return Ok(Stored::default());
        };
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > MAX_FILE) {
            return Err(AccountError::Corrupt {
                path,
                message: format!("larger than {MAX_FILE} bytes"),
            });
        }
        let Some(bytes) = dir.read(FILE).map_err(AccountError::io(&path))? else {
            return Ok(Stored::default());
        };
        let text = String::from_utf8(bytes).map_err(|_| AccountError::Corrupt {
            path: path.clone(),
            message: "not UTF-8".into(),
        })?;
        toml::from_str(&text).map_err(|e| AccountError::Corrupt {
            path,
            message: e.to_string(),
        })
    }

    /// One locked read-modify-write.
    fn edit(
        &self,
        change: impl FnOnce(&mut Stored) -> Result<(), AccountError>,
    ) -> Result<(), AccountError> {
        let (Some(dir), Some(path)) = (&self.dir, self.path()) else {
            return Err(AccountError::BadAddress("no state directory".into()));
        };
        let _lock = crate::accounts::lock::lock(&dir.path().join(LOCK))?;
        let mut stored = self.read_file()?;
        change(&mut stored)?;
        let text = toml::to_string(&stored).map_err(|e| AccountError::Corrupt {
            path: path.clone(),
            message: e.to_string(),
        })?;
        dir.write(FILE, text.as_bytes())
            .map_err(AccountError::io(&path))
    }
}

/// The address without `mailto:` (any case), or None when it is no
/// `mailto:` address at all.
fn bare(address: &str) -> Option<&str> {
    let a = address.trim();
    match a.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("mailto:") => Some(&a[7..]),
        _ if a.contains(':') => None,
        _ => Some(a),
    }
}

/// A plain `local@domain` address, bare, or why not.
pub fn check(address: &str) -> Result<String, AccountError> {
    let bad = |why: &str| AccountError::BadAddress(format!("{address:?}: {why}"));
    let b = bare(address).ok_or_else(|| bad("not a mailto: address"))?;
    if b.len() > MAX_ADDRESS {
        return Err(bad("too long"));
    }
    if b.chars()
        .any(|c| c.is_whitespace() || c.is_control() || "<>\"(),;:[]\\".contains(c))
    {
        return Err(bad("it holds spaces or characters an address may not"));
    }
    match b.split_once('@') {
        Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@') && d.contains('.') => {
            Ok(b.to_string())
        }
        _ => Err(bad("not of the form name@domain.tld")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &std::path::Path) -> Addresses {
        Addresses::open(
            Some(StateDir::open(dir).unwrap()),
            Some("Example.org".into()),
        )
    }

    #[test]
    fn domain_first_then_given_and_lookups() {
        let tmp = tempfile::tempdir().unwrap();
        let (server, cli) = (open(tmp.path()), open(tmp.path()));
        let known = |u: &str| ["alice", "bob"].contains(&u);
        assert_eq!(server.of("alice"), ["mailto:alice@example.org"]);
        cli.set("alice", &["mailto:Alice@Home.net".into(), "a@b.io".into()])
            .unwrap();
        assert_eq!(
            server.of("alice"),
            [
                "mailto:alice@example.org",
                "mailto:Alice@Home.net",
                "mailto:a@b.io"
            ]
        );
        assert_eq!(
            server.user_of("MAILTO:alice@home.NET", known).as_deref(),
            Some("alice")
        );
        assert_eq!(
            server.user_of("bob@EXAMPLE.org", known).as_deref(),
            Some("bob")
        );
        assert_eq!(server.user_of("mailto:carol@example.org", known), None);
        assert_eq!(server.user_of("mailto:bob@elsewhere.org", known), None);
        assert_eq!(server.user_of("urn:x:alice", known), None);
        assert!(server.in_domain("mailto:carol@example.org"));
        assert!(!server.in_domain("mailto:carol@example.com"));
        // Another user's address is refused; the owner may keep it.
        assert!(cli.set("bob", &["a@b.io".into()]).is_err());
        assert!(cli.set("bob", &["not an address".into()]).is_err());
        assert!(cli.set("bob", &["x@nodot".into()]).is_err());
        cli.set("alice", &["a@b.io".into()]).unwrap();
        cli.set("alice", &[]).unwrap();
        assert_eq!(server.of("alice"), ["mailto:alice@example.org"]);
        // A removed user's given address answers nobody.
        cli.set("carol", &["c@d.io".into()]).unwrap();
        assert_eq!(server.user_of("c@d.io", known), None);
    }
}
