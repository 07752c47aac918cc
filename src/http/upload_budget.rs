//! A server-wide bound on the memory held by request bodies in flight.
//! Bodies are read whole into memory (a PUT of up to `max_resource_size`,
//! a web import of up to 64 MiB), so without it sixteen concurrent imports
//! hold a gigabyte. A body past [`FREE`] bytes draws on one shared budget
//! (config `upload_memory`) as it is read, and gives it back when its
//! request is done; a body the budget cannot cover is refused at once with
//! 503 and Retry-After, never waited for: a refusal costs the client a
//! retry, while waiting bodies holding part of the budget could starve
//! each other.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Bodies up to this size are not counted: small requests are many, fast
/// and already bounded by the connections and threads that serve them.
pub const FREE: u64 = 1024 * 1024;
/// The budget counts in KiB (a semaphore's permits are few enough).
const UNIT: u64 = 1024;
/// A body grows its share in steps this large, not per chunk.
const STEP: u64 = 1024 * 1024;
/// What a refused client is told to wait, in seconds.
pub const RETRY_AFTER_SECS: u64 = 5;

/// The shared budget; cloned handles draw on the same one.
#[derive(Clone, Debug)]
pub struct UploadBudget {
    permits: Arc<Semaphore>,
    total: u32,
}

/// The budget cannot cover a body now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted;

/// One body's share of the budget, given back when dropped.
#[derive(Debug)]
pub struct Share {
    budget: UploadBudget,
    held: Option<OwnedSemaphorePermit>,
}

impl UploadBudget {
    pub fn new(bytes: u64) -> UploadBudget {
        let units = (bytes / UNIT)
            .clamp(1, Semaphore::MAX_PERMITS as u64)
            .min(u64::from(u32::MAX)) as u32;
        UploadBudget {
            permits: Arc::new(Semaphore::new(units as usize)),
            total: units,
        }
    }

    /// A share holding nothing yet, for a body about to be read.
    pub fn share(&self) -> Share {
        Share {
            budget: self.clone(),
            held: None,
        }
    }
}

impl Share {
    /// Makes this share cover a body of `bytes`, or refuses. A body larger
    /// than the whole budget takes all of it: it is read only alone.
    pub fn cover(&mut self, bytes: u64) -> Result<(), Exhausted> {
        if bytes <= FREE {
            return Ok(());
        }
        let held = self.held.as_ref().map_or(0, |p| p.num_permits() as u32);
        if u64::from(held) * UNIT >= bytes || held >= self.budget.total {
            return Ok(());
        }
        let want = (bytes.div_ceil(STEP) * STEP / UNIT).min(u64::from(self.budget.total)) as u32;
        let more = self
            .budget
            .permits
            .clone()
            .try_acquire_many_owned(want - held)
            .map_err(|_| Exhausted)?;
        match &mut self.held {
            Some(p) => p.merge(more),
            None => self.held = Some(more),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_draw_on_one_budget_and_give_back_when_dropped() {
        let budget = UploadBudget::new(8 * 1024 * 1024);
        let mut a = budget.share();
        a.cover(FREE).unwrap();
        a.cover(5 * 1024 * 1024).unwrap();
        let mut b = budget.share();
        b.cover(3 * 1024 * 1024).unwrap();
        assert_eq!(budget.share().cover(2 * 1024 * 1024), Err(Exhausted));
        drop(a);
        let mut big = budget.share();
        big.cover(64 * 1024 * 1024).unwrap_err();
        drop(b);
        big.cover(64 * 1024 * 1024).unwrap();
        assert_eq!(budget.share().cover(FREE + 1), Err(Exhausted));
    }
}
