//! Sync tokens and sync-collection answers (RFC 6578) from a calendar's
//! change log.
//!
//! Locking: answers are built under the collection lock, so a token covers
//! exactly the changes returned. Durability: the change log is appended and
//! synced by the writers (`State::record`, or their group commit, which an
//! answer waits for: `commit.rs`); this module only reads it.

use super::index::ObjectMeta;
use super::objects::settle;
use super::registry::Collection;
use super::{Result, StoreError};

/// One member of a sync-collection answer.
#[derive(Debug, Clone)]
pub enum SyncChange {
    Changed(String, ObjectMeta),
    Removed(String),
}

impl Collection {
    pub fn sync_token(&self) -> Result<String> {
        let (token, pending) = {
            let state = self.locked()?;
            (state.log.token(), state.log.pending())
        };
        settle(pending)?;
        Ok(token)
    }

    pub fn ctag(&self) -> Result<String> {
        let (ctag, pending) = {
            let state = self.locked()?;
            (state.log.ctag(), state.log.pending())
        };
        settle(pending)?;
        Ok(ctag)
    }

    /// Changes since `token` (every object when it is empty), at most about
    /// `limit` of them, oldest first, with the token that covers exactly
    /// what is returned.
    pub fn changes_since(&self, token: &str, limit: Option<usize>) -> Result<SyncResult> {
        let state = self.locked()?;
        let mut items: Vec<(String, u64)> = if token.is_empty() {
            let mut all: Vec<(String, u64)> = state
                .index
                .objects
                .keys()
                .map(|n| (n.to_string(), state.log.seq_of(n, &state.index)))
                .collect();
            all.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
            all
        } else {
            state
                .log
                .changed_since(token, &state.index)
                .ok_or(StoreError::InvalidSyncToken)?
        };
        let mut truncated = false;
        let mut result_token = state.log.token();
        if let Some(limit) = limit {
            if items.len() > limit {
                // Objects the log has no number for (seq 0) cannot be split.
                let mut keep = limit;
                while keep < items.len() && keep > 0 && items[keep].1 == items[keep - 1].1 {
                    keep += 1;
                }
                if keep < items.len() {
                    items.truncate(keep);
                    truncated = true;
                    let last = items.last().map(|(_, s)| *s);
                    result_token = match last {
                        Some(seq) => state.log.token_at(seq),
                        None => token.to_string(),
                    };
                }
            }
        }
        let changes = items
            .into_iter()
            .map(|(n, _)| match state.index.objects.get(n.as_str()) {
                Some(m) => SyncChange::Changed(n, m.clone()),
                None => SyncChange::Removed(n),
            })
            .collect();
        let pending = state.log.pending();
        drop(state);
        settle(pending)?;
        Ok(SyncResult {
            token: result_token,
            changes,
            truncated,
        })
    }
}

/// A sync-collection answer from the store.
#[derive(Debug)]
pub struct SyncResult {
    pub token: String,
    pub changes: Vec<SyncChange>,
    /// More changes remain; `token` covers only those returned.
    pub truncated: bool,
}
