//! Shared harness for the integration tests: starts the real `davdir` binary
//! on 127.0.0.1:0 over a temporary data directory, speaks HTTP to it with
//! reqwest, and reads multistatus / DAV:error bodies with quick-xml.
//!
//! The test binary (tests/it/main.rs) declares this module once; each test
//! module uses only a part of it, hence the dead-code allowance. The parts
//! live in submodules by job and are re-exported here, so
//! `use crate::common::*` reaches all of them.
#![allow(dead_code)]

mod fence;
mod ical;
mod requests;
mod server;
mod xml;

// A binary that uses nothing of a part would see its re-export as unused.
#[allow(unused_imports)]
pub use fence::*;
#[allow(unused_imports)]
pub use ical::*;
#[allow(unused_imports)]
pub use requests::*;
#[allow(unused_imports)]
pub use server::*;
#[allow(unused_imports)]
pub use xml::*;

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

pub const DAV: &str = "DAV:";
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
pub const CS: &str = "http://calendarserver.org/ns/";
pub const ICAL: &str = "http://apple.com/ns/ical/";

/// SHA-256 of some bytes as lowercase hex (davdir's ETag without quotes).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Polls `cond` every 50 ms for up to `secs` seconds.
pub fn wait_until(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if cond() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The href of a sample object, e.g. `/demo/work/focus-time.ics`.
pub fn href(user: &str, cal: &str, name: &str) -> String {
    format!("/{user}/{cal}/{name}")
}
