//! `watch = "poll"` (data directories on NFS or SMB): edits the server gets
//! no inotify event for still reach sync-collection within the poll
//! interval. The other machine's edit is played by a write through a shared
//! mapping, which inotify never reports (inotify(7)), with the file kept
//! open so no close event tells either; the control shows inotify missing it.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::Path;

use crate::common::*;

/// Generous bound for a change to show (the interval is one second).
const POLL_SECS: u64 = 10;

const CAL: &str = "/demo/work/";
const EDITED: &str = "demo/work/focus-time.ics";
const EDITED_HREF: &str = "/demo/work/focus-time.ics";

fn poll_server() -> Server {
    Server::start(Options {
        config: Some("watch = \"poll\"\npoll_interval = 1\n".into()),
        ..Options::default()
    })
}

/// The changes of `cal` since `token` (the initial sync when empty).
fn sync(srv: &Server, cal: &str, token: &str) -> Multistatus {
    let body = format!(
        r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
    );
    let r = srv.report(cal, "0", &body);
    r.expect(207);
    r.multistatus()
}

/// Whether `ms` reports `href` as removed (true) or as present with an
/// ETag (false); None when it does not mention it.
fn reported(ms: &Multistatus, href: &str) -> Option<bool> {
    let r = ms.find(href)?;
    Some(r.status == Some(404))
}

/// Syncs from `token` until `href` is reported as `removed` or changed,
/// returning the new token; fails the test after `POLL_SECS`.
#[track_caller]
fn await_change(srv: &Server, cal: &str, token: &str, href: &str, removed: bool) -> String {
    let mut last = None;
    let seen = wait_until(POLL_SECS, || {
        let ms = sync(srv, cal, token);
        let hit = reported(&ms, href) == Some(removed);
        last = Some(ms);
        hit
    });
    let ms = last.unwrap();
    assert!(
        seen,
        "{href} not reported (removed: {removed}): {:?}",
        ms.hrefs()
    );
    ms.sync_token.expect("a sync token")
}

/// A write through a shared mapping of `path` replacing `from` with `to`
/// (same length, so the size stays); the file stays open until dropped.
struct MappedEdit {
    _file: File,
}

impl MappedEdit {
    fn apply(path: &Path, from: &str, to: &str) -> MappedEdit {
        assert_eq!(from.len(), to.len(), "an edit keeping the size");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        let len = file.metadata().unwrap().len() as usize;
        // SAFETY: a shared mapping of `len` bytes of an open file, used only
        // within those bytes and unmapped before the slice's last use ends.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            );
            assert_ne!(p, libc::MAP_FAILED, "mmap failed");
            let bytes = std::slice::from_raw_parts_mut(p.cast::<u8>(), len);
            let at = bytes
                .windows(from.len())
                .position(|w| w == from.as_bytes())
                .expect("text to edit");
            bytes[at..at + to.len()].copy_from_slice(to.as_bytes());
            assert_eq!(libc::msync(p, len, libc::MS_SYNC), 0);
            assert_eq!(libc::munmap(p, len), 0);
        }
        MappedEdit { _file: file }
    }
}

#[test]
fn polling_reports_every_outside_change() {
    let srv = poll_server();
    let token = sync(&srv, CAL, "").sync_token.unwrap();
    let etag_before = srv.get(EDITED_HREF).etag().unwrap();

    // A new file.
    std::fs::write(srv.file("demo/work/new.ics"), event("polled-new", "New")).unwrap();
    let token = await_change(&srv, CAL, &token, "/demo/work/new.ics", false);
    srv.get("/demo/work/new.ics").expect(200);

    // An edit in place keeping the size, with no inotify event at all.
    let size = std::fs::metadata(srv.file(EDITED)).unwrap().len();
    let edit = MappedEdit::apply(&srv.file(EDITED), "Focus time", "Deep work!");
    assert_eq!(std::fs::metadata(srv.file(EDITED)).unwrap().len(), size);
    let token = await_change(&srv, CAL, &token, EDITED_HREF, false);
    let r = srv.get(EDITED_HREF);
    assert_ne!(r.etag().unwrap(), etag_before, "the ETag must change");
    assert!(r.text().contains("SUMMARY:Deep work!"), "{}", r.text());
    drop(edit);

    // A removal, and a rename (the old name goes, the new one comes).
    std::fs::remove_file(srv.file("demo/work/new.ics")).unwrap();
    let token = await_change(&srv, CAL, &token, "/demo/work/new.ics", true);
    std::fs::rename(
        srv.file("demo/work/retro-2026-11-27.ics"),
        srv.file("demo/work/retro-renamed.ics"),
    )
    .unwrap();
    let renamed = await_change(&srv, CAL, &token, "/demo/work/retro-renamed.ics", false);
    assert_eq!(
        reported(&sync(&srv, CAL, &token), "/demo/work/retro-2026-11-27.ics"),
        Some(true),
        "the old name of a renamed file is reported removed"
    );
    assert!(sync(&srv, CAL, &renamed).responses.is_empty());

    // A new collection directory, with an object in it.
    std::fs::create_dir(srv.file("demo/later")).unwrap();
    std::fs::write(srv.file("demo/later/a.ics"), event("polled-later", "Later")).unwrap();
    assert!(wait_until(POLL_SECS, || srv
        .members("/demo/")
        .contains("/demo/later/")));
    let later = sync(&srv, "/demo/later/", "");
    assert_eq!(reported(&later, "/demo/later/a.ics"), Some(false));
}

/// The control: with inotify (`watch = true`) the same mapped edit is never
/// reported to sync-collection, though a later ordinary write in the same
/// calendar is.
#[test]
fn inotify_misses_what_polling_finds() {
    let srv = Server::start(Options {
        config: Some("watch = true\n".into()),
        ..Options::default()
    });
    let token = sync(&srv, CAL, "").sync_token.unwrap();
    let _edit = MappedEdit::apply(&srv.file(EDITED), "Focus time", "Deep work!");
    std::fs::write(srv.file("demo/work/after.ics"), event("after", "After")).unwrap();
    await_change(&srv, CAL, &token, "/demo/work/after.ics", false);
    assert_eq!(reported(&sync(&srv, CAL, &token), EDITED_HREF), None);
}
