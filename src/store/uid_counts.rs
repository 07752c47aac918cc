//! How many objects of a collection use each UID hash, so a PUT's
//! no-UID-conflict check is a lookup. Kept apart from the index because its
//! shape is chosen for memory: at 100k objects it is one of the index's
//! larger pieces.

use std::collections::{HashMap, HashSet};

/// A multiset of UID hashes. Nearly every hash has exactly one user, so the
/// set holds each hash once (8 bytes a slot, where a `HashMap<u64, u32>`
/// pays 16 for the pair) and only the rare duplicates get a count.
#[derive(Debug, Default)]
pub struct UidCounts {
    used: HashSet<u64>,
    /// Users beyond the first, for hashes with more than one.
    extra: HashMap<u64, u32>,
}

impl UidCounts {
    pub fn add(&mut self, hash: u64) {
        if !self.used.insert(hash) {
            *self.extra.entry(hash).or_insert(0) += 1;
        }
    }

    /// Forgets one user of `hash` (nothing when it has none).
    pub fn remove(&mut self, hash: u64) {
        match self.extra.get_mut(&hash) {
            Some(n) if *n > 1 => *n -= 1,
            Some(_) => {
                self.extra.remove(&hash);
            }
            None => {
                self.used.remove(&hash);
            }
        }
    }

    /// How many objects use `hash`.
    pub fn count(&self, hash: u64) -> u32 {
        if self.used.contains(&hash) {
            1 + self.extra.get(&hash).copied().unwrap_or(0)
        } else {
            0
        }
    }

    /// Users of every hash together.
    #[cfg(test)]
    pub fn total(&self) -> u64 {
        self.used.len() as u64 + self.extra.values().map(|&n| u64::from(n)).sum::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::UidCounts;

    #[test]
    fn counts_follow_adds_and_removes() {
        let mut c = UidCounts::default();
        c.remove(7);
        assert_eq!(c.count(7), 0);
        for _ in 0..3 {
            c.add(7);
        }
        c.add(9);
        assert_eq!((c.count(7), c.count(9), c.total()), (3, 1, 4));
        c.remove(7);
        assert_eq!(c.count(7), 2);
        c.remove(7);
        assert_eq!(c.count(7), 1);
        c.remove(7);
        assert_eq!((c.count(7), c.total()), (0, 1));
        c.remove(7);
        assert_eq!((c.count(7), c.count(9)), (0, 1));
        c.remove(9);
        assert_eq!(c.total(), 0);
    }
}
