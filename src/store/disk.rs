//! Disk trouble (a read-only or full data directory) is logged once, not once
//! per request: every client retrying would otherwise flood the log with the
//! same line. The first occurrence is logged at once, then at most one line a
//! minute with how many were not logged.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

use super::StoreError;

const QUIET: Duration = Duration::from_secs(60);

/// One kind of trouble: when it was last logged and how often since.
struct Throttle {
    last: Mutex<Option<u64>>,
    unlogged: AtomicU64,
}

static READ_ONLY: Throttle = Throttle::new();
static FULL: Throttle = Throttle::new();

impl Throttle {
    const fn new() -> Self {
        Throttle {
            last: Mutex::new(None),
            unlogged: AtomicU64::new(0),
        }
    }

    /// Whether to log now (and how many were skipped since the last line).
    fn admit(&self, now: u64) -> Option<u64> {
        let mut last = self.last.lock();
        match *last {
            Some(t) if now.saturating_sub(t) < QUIET.as_secs() => {
                self.unlogged.fetch_add(1, Ordering::Relaxed);
                None
            }
            _ => {
                *last = Some(now);
                Some(self.unlogged.swap(0, Ordering::Relaxed))
            }
        }
    }
}

/// Logs a disk-trouble error, throttled; other errors are not this module's.
/// Returns whether `e` was disk trouble.
pub fn report(e: &StoreError) -> bool {
    let throttle = match e {
        StoreError::ReadOnly => &READ_ONLY,
        StoreError::StorageFull => &FULL,
        _ => return false,
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if let Some(skipped) = throttle.admit(now) {
        tracing::error!("{e}: writes are refused ({skipped} more since the last report)");
    }
    true
}

/// Like `report`, for an io error met outside a request (saving the cache).
pub fn report_io(e: &io::Error) -> bool {
    match e.kind() {
        io::ErrorKind::ReadOnlyFilesystem => report(&StoreError::ReadOnly),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            report(&StoreError::StorageFull)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_first_then_once_a_minute() {
        let t = Throttle::new();
        assert_eq!(t.admit(1000), Some(0));
        assert_eq!(t.admit(1001), None);
        assert_eq!(t.admit(1059), None);
        assert_eq!(t.admit(1060), Some(2));
        assert_eq!(t.admit(1061), None);
    }
}
