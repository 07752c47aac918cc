//! Sync tokens (RFC 6578) and getctag: what a token looks like, and which
//! changes one this log handed out stands for.

use super::super::index::Index;
use super::ChangeLog;

/// Every token is a URI (RFC 6578 §3.2) under this prefix.
pub(super) const TOKEN_PREFIX: &str = "http://davdir.invalid/sync/";

impl ChangeLog {
    /// The current sync token (a URI, as RFC 6578 requires).
    pub fn token(&self) -> String {
        format!("{TOKEN_PREFIX}{}-{}", self.id, self.seq)
    }

    /// A short value that moves with every change (getctag).
    pub fn ctag(&self) -> String {
        format!("{}-{}", self.id, self.seq)
    }

    /// A token standing for the state after change number `seq`.
    pub fn token_at(&self, seq: u64) -> String {
        format!("{TOKEN_PREFIX}{}-{seq}", self.id)
    }

    /// Names changed after `token` with their change numbers, oldest first;
    /// `None` when the token is not one this log can answer.
    pub fn changed_since(&self, token: &str, index: &Index) -> Option<Vec<(String, u64)>> {
        let seq = self.position_of(token)?;
        let present = index.objects.iter().map(|(n, m)| (n.as_str(), m.seq));
        let gone = self.removed.iter().map(|(n, s)| (n.as_str(), *s));
        let mut names: Vec<(String, u64)> = present
            .chain(gone)
            .filter(|(_, s)| *s > seq)
            .map(|(n, s)| (n.to_string(), s))
            .collect();
        names.sort_by_key(|(_, s)| *s);
        Some(names)
    }

    /// The change number `token` stands for, if this log can answer it: one
    /// of its current epoch up to now, or of an earlier epoch up to where
    /// that epoch ended, never below the floor.
    fn position_of(&self, token: &str) -> Option<u64> {
        let rest = token.strip_prefix(TOKEN_PREFIX)?;
        let (id, seq) = rest.rsplit_once('-')?;
        let seq: u64 = seq.parse().ok()?;
        let last = if id == self.id {
            self.seq
        } else {
            self.epochs.iter().find(|(e, _)| e == id)?.1
        };
        (seq >= self.floor && seq <= last).then_some(seq)
    }

    /// Whether `token` is one this log answers (e.g. the position a saved
    /// index was written at: one beyond the log means the log is older).
    pub fn knows(&self, token: &str) -> bool {
        self.position_of(token).is_some()
    }
}
