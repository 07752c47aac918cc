//! Reads tried on an async worker thread, where nothing may wait. A GET of
//! a small object, or a multiget of a hundred, costs little itself; handing
//! it to the blocking pool and back (two thread switches, each a wake-up
//! that a loaded VM makes slow) was much of its time. So it is tried on the
//! worker first, and served there only if it needs no wait: the collection
//! lock free, the index fresh (the watcher runs), no write settling, the
//! bytes in the page cache. Whatever would wait fails with
//! [`StoreError::WouldBlock`] instead, and the caller runs the request again
//! on the blocking pool, where waiting is fine. Only reads are tried so:
//! running one twice changes nothing.
//!
//! A multiget reads many objects and answers a 404 for one it cannot read,
//! so an error may not reach its caller: every refusal is also noted, and
//! [`try_without_waiting`] gives nothing when any was made.

use std::cell::Cell;
use std::fs::File;

use super::StoreError;

thread_local! {
    static NO_WAIT: Cell<bool> = const { Cell::new(false) };
    /// Whether a wait was refused since the outermost `try_without_waiting`.
    static REFUSED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with every store wait turned into [`StoreError::WouldBlock`].
pub fn without_waiting<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            NO_WAIT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(NO_WAIT.with(|c| c.replace(true)));
    f()
}

/// [`without_waiting`], giving None when any wait was refused inside `f`,
/// even one whose error `f` did not pass on (a multiget's 404 for an object
/// it could not read here): the caller then runs it again where it may wait.
pub fn try_without_waiting<T>(f: impl FnOnce() -> T) -> Option<T> {
    let before = REFUSED.with(|c| c.replace(false));
    let out = without_waiting(f);
    let refused = REFUSED.with(|c| c.replace(before));
    (!refused).then_some(out)
}

/// The error for a wait refused here; notes the refusal.
pub(super) fn refuse() -> StoreError {
    REFUSED.with(|c| c.set(true));
    StoreError::WouldBlock
}

/// Whether this thread may wait (lock, fsync, disk read).
pub(super) fn may_wait() -> bool {
    !NO_WAIT.with(Cell::get)
}

/// `Err(WouldBlock)` where this thread may not wait: also for work outside
/// the store that must not run there (a query, a large multiget).
pub fn check() -> Result<(), StoreError> {
    if may_wait() {
        Ok(())
    } else {
        Err(refuse())
    }
}

/// How many bytes of `file` from its start fill `buf`, read only if the
/// page cache holds them (Linux's `RWF_NOWAIT`: no disk read is started);
/// an error where it would have to wait, or where that cannot be asked for.
pub(super) fn read_cached(
    file: &File,
    buf: &mut [std::mem::MaybeUninit<u8>],
) -> std::io::Result<usize> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: the iovec points into `buf`, which outlives the call and
        // is `iov_len` bytes long; the descriptor is open for reading.
        let n = unsafe { libc::preadv2(file.as_raw_fd(), &iov, 1, 0, libc::RWF_NOWAIT) };
        usize::try_from(n).map_err(|_| std::io::Error::last_os_error())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (file, buf);
        Err(std::io::ErrorKind::WouldBlock.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_holds_inside_only_and_a_cached_read_gets_the_bytes() {
        assert!(may_wait());
        without_waiting(|| {
            assert!(!may_wait());
            assert!(matches!(check(), Err(StoreError::WouldBlock)));
        });
        assert!(may_wait());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.vcf");
        std::fs::write(&path, b"0123456789").unwrap();
        let file = File::open(&path).unwrap();
        // Just written, so in the page cache.
        if cfg!(target_os = "linux") {
            let mut buf = [std::mem::MaybeUninit::new(0u8); 16];
            assert_eq!(read_cached(&file, &mut buf).unwrap(), 10);
            // SAFETY: the read initialised the first 10 bytes.
            let got: Vec<u8> = buf[..10]
                .iter()
                .map(|b| unsafe { b.assume_init() })
                .collect();
            assert_eq!(got, b"0123456789");
        }
    }

    #[test]
    fn a_refusal_counts_even_when_its_error_is_dropped() {
        assert_eq!(try_without_waiting(|| check().is_ok()), None);
        // Swallowed, as a multiget's read of one href would: still refused.
        assert_eq!(try_without_waiting(|| check().ok()), None);
        assert_eq!(try_without_waiting(|| 7), Some(7));
        // Outside, nothing is refused and the flag does not leak.
        assert!(check().is_ok());
        assert_eq!(try_without_waiting(|| 8), Some(8));
    }
}
