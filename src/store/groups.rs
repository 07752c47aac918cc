//! The groups file that `[share]` tables name as `"@group"` (docs/DESIGN.md
//! "Sharing"): one group a line, `family: alice bob carol`; `#` starts a
//! comment. Re-read when its stamp (mtime, length) changes, so an edit
//! takes effect without a restart, as a `[share]` edit does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::names;

#[derive(Default)]
pub(super) struct Groups {
    path: Option<PathBuf>,
    /// The file's stamp when last read; None: not read (or absent).
    stamp: Option<(SystemTime, u64)>,
    members: BTreeMap<String, Vec<String>>,
    /// What the last read skipped, for the log and `check`.
    pub(super) problems: Vec<String>,
}

impl Groups {
    pub(super) fn new(path: Option<PathBuf>) -> Groups {
        Groups {
            path,
            ..Groups::default()
        }
    }

    pub(super) fn configured(&self) -> bool {
        self.path.is_some()
    }

    /// The members of `group`; None for a group the file does not name.
    pub(super) fn members(&self, group: &str) -> Option<&[String]> {
        self.members.get(group).map(Vec::as_slice)
    }

    /// Re-reads the file when it changed (one `stat` otherwise); true when
    /// the groups may differ from before.
    pub(super) fn refresh(&mut self) -> bool {
        let Some(path) = self.path.clone() else {
            return false;
        };
        let stamp = stamp(&path);
        if stamp == self.stamp && (stamp.is_some() || !self.problems.is_empty()) {
            return false;
        }
        self.stamp = stamp;
        self.members.clear();
        self.problems.clear();
        match std::fs::read_to_string(&path) {
            Ok(text) => self.parse(&path, &text),
            Err(e) => self.problems.push(format!(
                "{}: cannot read the groups file: {e}",
                path.display()
            )),
        }
        true
    }

    fn parse(&mut self, path: &Path, text: &str) {
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let at = format!("{}:{}", path.display(), n + 1);
            let Some((name, users)) = line.split_once(':') else {
                self.problems
                    .push(format!("{at}: not `group: user user…`; skipped"));
                continue;
            };
            let name = name.trim();
            if names::check_segment(name).is_err() || self.members.contains_key(name) {
                self.problems.push(format!(
                    "{at}: group {name:?} is not a valid name or is named again; skipped"
                ));
                continue;
            }
            let users = users
                .split_whitespace()
                .filter(|u| {
                    let ok = names::check_segment(u).is_ok();
                    if !ok {
                        self.problems
                            .push(format!("{at}: {u:?} is not a user name; skipped"));
                    }
                    ok
                })
                .map(str::to_string)
                .collect::<Vec<_>>();
            self.members.insert(name.to_string(), users);
        }
    }
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let md = std::fs::metadata(path).ok()?;
    Some((md.modified().ok()?, md.len()))
}
