//! Hostile and unlucky conditions at the file store (issue 14): names as
//! long as the file system allows, symbolic links out of a home, leftovers of
//! a crash, a read-only or full data directory. Every probe asserts its
//! status; those on a common test server also check that nothing outside
//! demo's home was read or written (the fence). The disk-trouble tests run
//! the server in a user and mount namespace (`unshare -rm`) and fail where
//! that is not available, unless told to skip (`disk::namespaces_or_skip`).
//!
//! In topic modules: `paths` (long names, symbolic links),
//! `disk` (leftovers of a crash, a read-only or full data directory) and
//! `odd_files` (oversized files, FIFOs, sockets and property files found on
//! disk).

mod disk;
mod odd_files;
mod paths;

use crate::common::*;

const SYNC: &str = r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>TOKEN</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#;

fn sync(srv: &Server, cal: &str, token: &str) -> Resp {
    srv.report(cal, "0", &SYNC.replace("TOKEN", token))
}

/// Waits until the watcher has handled every change made so far in demo's
/// personal calendar: it handles them in order, so once a file written by
/// hand now shows in sync-collection, the changes before it were seen too.
/// The control that a check of what did NOT happen needs (not a fixed sleep).
fn watcher_caught_up(srv: &Server, label: &str) {
    // Numbered, so that the name contains no file name a test looks for.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("watcher-control-{n}.ics");
    let body = event(&format!("watcher-control-{n}"), "control");
    std::fs::write(srv.file("demo/personal").join(&name), body).unwrap();
    let href = format!("/demo/personal/{name}");
    assert!(
        wait_until(30, || sync(srv, "/demo/personal/", "")
            .multistatus()
            .hrefs()
            .contains(&href)),
        "{label}: the watcher did not see {name} within 30 s"
    );
}

/// A sample object of demo's personal calendar (file name, bytes).
fn some_object(srv: &Server) -> (String, Vec<u8>) {
    let name = ics_names(&srv.file("demo/personal"))
        .into_iter()
        .next()
        .unwrap();
    let bytes = srv.read(&format!("demo/personal/{name}"));
    (name, bytes)
}
