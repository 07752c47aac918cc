//! How much recurrence work one object and one query may cost.
//!
//! Each RRULE iteration and each RDATE value is a step. Without a cap, one
//! object with a few `FREQ=SECONDLY` rules from 1900 costs seconds per query.
//! When an object runs out of steps its expansion is cut short and the
//! evaluation answers conservatively: a time-range test counts the object as
//! matching (clients get a superset, never miss an instance), its span is
//! unbounded, and expanded calendar-data and free-busy stop at the cap.

use std::sync::atomic::{AtomicU64, Ordering};

/// Steps one object may take in one evaluation (about 30 ms of work).
pub const OBJECT_STEPS: u64 = 100_000;
/// Steps all objects of one REPORT may take together.
pub const QUERY_STEPS: u64 = 1_000_000;

/// The steps left to one query; shared by the threads evaluating it.
#[derive(Debug)]
pub struct QueryBudget(AtomicU64);

impl Default for QueryBudget {
    fn default() -> Self {
        QueryBudget(AtomicU64::new(QUERY_STEPS))
    }
}

impl QueryBudget {
    /// Takes up to one object's allowance from the budget.
    pub(crate) fn grant(&self) -> u64 {
        let mut left = self.0.load(Ordering::Relaxed);
        loop {
            let take = left.min(OBJECT_STEPS);
            match self.0.compare_exchange_weak(
                left,
                left - take,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return take,
                Err(now) => left = now,
            }
        }
    }

    /// Gives back what an object did not use.
    pub(crate) fn refund(&self, unused: u64) {
        self.0.fetch_add(unused, Ordering::Relaxed);
    }

    /// Steps still available.
    pub fn left(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_at_most_one_object_and_refunds() {
        let b = QueryBudget::default();
        assert_eq!(b.grant(), OBJECT_STEPS);
        b.refund(OBJECT_STEPS / 2);
        assert_eq!(b.left(), QUERY_STEPS - OBJECT_STEPS / 2);
        while b.grant() > 0 {}
        assert_eq!(b.left(), 0);
        assert_eq!(b.grant(), 0);
    }
}
