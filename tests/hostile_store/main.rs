//! Hostile and unlucky conditions at the file store (issue 14): names as
//! long as the file system allows, symbolic links out of a home, leftovers of
//! a crash, a read-only or full data directory. Every probe asserts its
//! status; those on a common test server also check that nothing outside
//! demo's home was read or written (the fence). The disk-trouble tests run
//! the server in a user and mount namespace (`unshare -rm`) and are skipped,
//! with the reason printed, where that is not available.
//!
//! One test binary in topic modules: `paths` (long names, symbolic links),
//! `disk` (leftovers of a crash, a read-only or full data directory) and
//! `odd_files` (oversized files, FIFOs, sockets and property files found on
//! disk).

#[path = "../common/mod.rs"]
mod common;
mod disk;
mod odd_files;
mod paths;

use common::*;

const SYNC: &str = r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>TOKEN</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#;

fn sync(srv: &Server, cal: &str, token: &str) -> Resp {
    srv.report(cal, "0", &SYNC.replace("TOKEN", token))
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
