//! Store behaviour without HTTP: objects, conditions, UIDs, moves and sync.

use super::test_support::{event, store};
use super::*;
use crate::ical;
use std::io::Write;

fn put(cal: &Collection, name: &str, body: &str) -> Result<PutOutcome> {
    cal.put(
        name,
        body.as_bytes(),
        ical::inspect(body.as_bytes()).unwrap(),
        |_| true,
    )
}

#[test]
fn home_gets_default_calendar() {
    let (_d, store) = store();
    assert_eq!(store.calendar_names("u").unwrap(), vec![DEFAULT_CALENDAR]);
    let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
    assert_eq!(
        cal.props().unwrap().displayname.as_deref(),
        Some("Calendar")
    );
}

#[test]
fn put_read_delete_with_conditions() {
    let (d, store) = store();
    let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
    let out = put(&cal, "a.ics", &event("a")).unwrap();
    assert!(out.created);
    assert_eq!(out.etag, Etag::of_bytes(event("a").as_bytes()));
    assert!(d.path().join("u/calendar/a.ics").is_file());
    let (bytes, meta) = cal.read("a.ics").unwrap();
    assert_eq!(bytes, event("a").as_bytes());
    assert_eq!(meta.etag, out.etag);
    // If-None-Match: * style refusal happens under the lock.
    let refused = cal.put(
        "a.ics",
        event("a").as_bytes(),
        ical::inspect(event("a").as_bytes()).unwrap(),
        |cur| cur.is_none(),
    );
    assert!(matches!(refused, Err(StoreError::PreconditionFailed)));
    assert!(matches!(
        cal.delete("a.ics", |cur| cur == Some("nope")),
        Err(StoreError::PreconditionFailed)
    ));
    cal.delete("a.ics", |_| true).unwrap();
    assert!(matches!(cal.read("a.ics"), Err(StoreError::NotFound)));
}

#[test]
fn uid_conflicts_are_refused() {
    let (_d, store) = store();
    let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
    put(&cal, "a.ics", &event("same")).unwrap();
    assert!(
        matches!(put(&cal, "b.ics", &event("same")), Err(StoreError::UidConflict { name, .. }) if name == "a.ics")
    );
    assert!(!put(&cal, "a.ics", &event("same")).unwrap().created);
}

/// Scheduling finds an attendee's copy by UID: under its likely name, or
/// anywhere in the collection when it was saved under another.
#[test]
fn an_object_is_found_by_uid_with_a_hint() {
    let (_d, store) = store();
    let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
    put(&cal, "a.ics", &event("one")).unwrap();
    put(&cal, "b.ics", &event("two")).unwrap();
    assert_eq!(
        cal.find_uid("one", "a.ics").unwrap().as_deref(),
        Some("a.ics")
    );
    assert_eq!(
        cal.find_uid("two", "a.ics").unwrap().as_deref(),
        Some("b.ics")
    );
    assert_eq!(cal.find_uid("three", "a.ics").unwrap(), None);
}

#[test]
fn hand_edits_are_seen_and_sync_reports_them() {
    let (d, store) = store();
    let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
    put(&cal, "a.ics", &event("a")).unwrap();
    let r = cal.changes_since("", None).unwrap();
    let (t1, all) = (r.token, r.changes);
    assert_eq!(all.len(), 1);
    std::fs::write(d.path().join("u/calendar/b.ics"), event("b")).unwrap();
    std::fs::remove_file(d.path().join("u/calendar/a.ics")).unwrap();
    let r = cal.changes_since(&t1, None).unwrap();
    let (t2, changes) = (r.token, r.changes);
    assert_ne!(t1, t2);
    let mut seen: Vec<String> = changes
        .iter()
        .map(|c| match c {
            SyncChange::Changed(n, _) => format!("+{n}"),
            SyncChange::Removed(n) => format!("-{n}"),
        })
        .collect();
    seen.sort();
    assert_eq!(seen, vec!["+b.ics", "-a.ics"]);
    assert!(cal.changes_since(&t2, None).unwrap().changes.is_empty());
    assert!(matches!(
        cal.changes_since("bogus", None),
        Err(StoreError::InvalidSyncToken)
    ));
}

#[test]
fn tokens_survive_a_new_store_on_the_same_cache() {
    let (d, store) = store();
    let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
    put(&cal, "a.ics", &event("a")).unwrap();
    let token = cal.sync_token().unwrap();
    drop(cal);
    drop(store);
    let again = Store::open(d.path(), None).unwrap();
    let cal = again.calendar("u", DEFAULT_CALENDAR).unwrap();
    // The fresh index rescans and finds the file unchanged: no changes.
    let changes = cal
        .changes_since(&token, None)
        .unwrap_or_else(|e| panic!("{e}"))
        .changes;
    assert!(changes.is_empty(), "{changes:?}");
}

#[test]
fn concurrent_writers_share_commits_and_every_change_is_logged() {
    let (d, store) = store();
    let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
    let start = cal.sync_token().unwrap();
    let writers: Vec<_> = (0..8)
        .map(|t| {
            let cal = cal.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let name = format!("{t}-{i}.ics");
                    put(&cal, &name, &event(&name)).unwrap();
                    if i % 5 == 0 {
                        cal.delete(&name, |_| true).unwrap();
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let token = cal.sync_token().unwrap();
    drop(cal);
    drop(store);
    // What the log kept on disk answers for every write and removal.
    let again = Store::open(d.path(), None).unwrap();
    let cal = again.calendar("u", DEFAULT_CALENDAR).unwrap();
    assert_eq!(cal.sync_token().unwrap(), token);
    let changes = cal.changes_since(&start, None).unwrap().changes;
    assert_eq!(changes.len(), 200);
    let removed = changes
        .iter()
        .filter(|c| matches!(c, SyncChange::Removed(_)))
        .count();
    assert_eq!(removed, 40);
    assert_eq!(cal.objects().unwrap().len(), 160);
    let hidden = std::fs::read_dir(d.path().join("u").join(DEFAULT_CALENDAR))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .count();
    assert_eq!(hidden, 0, "temp files left behind");
}

#[test]
fn move_and_copy_between_calendars() {
    let (_d, store) = store();
    let a = store.calendar("u", DEFAULT_CALENDAR).unwrap();
    let b = store.create_calendar("u", "other", &[]).unwrap();
    put(&a, "x.ics", &event("x")).unwrap();
    assert!(store
        .transfer_object(&a, "x.ics", &b, "y.ics", Overwrite::Refuse, Transfer::Copy)
        .unwrap());
    // A second copy into the same calendar under another name would duplicate the UID.
    assert!(matches!(
        store.transfer_object(&a, "x.ics", &b, "z.ics", Overwrite::Refuse, Transfer::Copy),
        Err(StoreError::UidConflict { .. })
    ));
    assert!(matches!(
        store.transfer_object(&a, "x.ics", &b, "y.ics", Overwrite::Refuse, Transfer::Move),
        Err(StoreError::PreconditionFailed)
    ));
    assert!(!store
        .transfer_object(&a, "x.ics", &b, "y.ics", Overwrite::Replace, Transfer::Move)
        .unwrap());
    assert!(a.objects().unwrap().is_empty());
    // Rename within one calendar.
    assert!(store
        .transfer_object(&b, "y.ics", &b, "w.ics", Overwrite::Refuse, Transfer::Move)
        .unwrap());
    assert_eq!(
        b.objects()
            .unwrap()
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        vec!["w.ics"]
    );
}

/// A MOVE is one rename (the destination is the source's inode), so a crash
/// can never leave the object under both names with one UID.
#[test]
fn move_is_one_rename_within_and_across_calendars() {
    use std::os::unix::fs::MetadataExt;
    let (_dir, store) = store();
    let a = store.create_calendar("u", "one", &[]).unwrap();
    let b = store.create_calendar("u", "two", &[]).unwrap();
    put(&a, "x.ics", &event("x")).unwrap();
    let inode = |cal: &Collection, name: &str| fs::metadata(cal.dir().join(name)).unwrap().ino();
    let before = inode(&a, "x.ics");
    store
        .transfer_object(&a, "x.ics", &a, "y.ics", Overwrite::Refuse, Transfer::Move)
        .unwrap();
    assert_eq!(inode(&a, "y.ics"), before);
    store
        .transfer_object(&a, "y.ics", &b, "z.ics", Overwrite::Refuse, Transfer::Move)
        .unwrap();
    assert_eq!(inode(&b, "z.ics"), before);
    assert!(!a.dir().join("y.ics").exists());
    assert!(a.objects().unwrap().is_empty());
    let names: Vec<String> = b.objects().unwrap().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["z.ics".to_string()]);
}

#[test]
fn calendars_create_move_delete() {
    let (_d, store) = store();
    store
        .create_calendar("u", "c1", &[PropChange::DisplayName(Some("One".into()))])
        .unwrap();
    assert!(matches!(
        store.create_calendar("u", "c1", &[]),
        Err(StoreError::AlreadyExists)
    ));
    assert!(matches!(
        store.create_calendar("nobody", "c1", &[]),
        Err(StoreError::MissingParent)
    ));
    assert!(!store
        .move_calendar("u", "c1", "c2", Overwrite::Refuse)
        .unwrap());
    assert_eq!(
        store
            .calendar("u", "c2")
            .unwrap()
            .props()
            .unwrap()
            .displayname
            .as_deref(),
        Some("One")
    );
    store.delete_calendar("u", "c2").unwrap();
    assert!(matches!(
        store.calendar("u", "c2"),
        Err(StoreError::NotFound)
    ));
}

#[test]
fn limited_sync_continues_where_it_stopped() {
    let (_d, store) = store();
    let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
    let t0 = cal.sync_token().unwrap();
    for i in 0..5 {
        put(&cal, &format!("{i}.ics"), &event(&i.to_string())).unwrap();
    }
    let first = cal.changes_since(&t0, Some(2)).unwrap();
    assert!(first.truncated);
    assert_eq!(first.changes.len(), 2);
    let rest = cal.changes_since(&first.token, Some(10)).unwrap();
    assert!(!rest.truncated);
    assert_eq!(rest.changes.len(), 3);
    assert_eq!(rest.token, cal.sync_token().unwrap());
    let initial = cal.changes_since("", Some(3)).unwrap();
    assert!(initial.truncated);
    assert_eq!(
        cal.changes_since(&initial.token, None)
            .unwrap()
            .changes
            .len(),
        2
    );
}

#[test]
fn each_object_pages_through_everything_in_order() {
    let (_d, store) = store();
    let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
    for i in 0..1300 {
        std::fs::write(
            cal.dir().join(format!("{i:05}.ics")),
            event(&format!("u{i}")),
        )
        .unwrap();
    }
    let mut all = Vec::new();
    cal.each_object(|_| true, |n, _| all.push(n)).unwrap();
    let want: Vec<String> = (0..1300).map(|i| format!("{i:05}.ics")).collect();
    assert_eq!(all, want);
    // A sparse filter still reaches the end (pages are cut by scanned count too).
    let wanted: std::collections::HashSet<u64> = (0..1300)
        .filter(|i| i % 100 == 99)
        .map(|i| index::uid_hash(&format!("u{i}")))
        .collect();
    let mut some = Vec::new();
    cal.each_object(|m| wanted.contains(&m.info.uid_hash()), |n, _| some.push(n))
        .unwrap();
    assert_eq!(some.len(), 13);
    assert_eq!(some.last().map(String::as_str), Some("01299.ics"));
}

#[test]
fn a_fifo_named_like_an_object_is_skipped_without_blocking() {
    let (d, store) = store();
    let fifo = d.path().join("u/calendar/pipe.ics");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    std::fs::write(d.path().join("u/calendar/a.ics"), event("a")).unwrap();
    let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
    let names: Vec<String> = cal
        .objects_where(|_| true)
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["a.ics"]);
}

#[test]
fn copy_calendar_replaces_atomically_and_leftovers_are_swept() {
    let (d, store) = store();
    let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
    put(&cal, "a.ics", &event("a")).unwrap();
    store.create_calendar("u", "other", &[]).unwrap();
    let other = store.calendar("u", "other").unwrap();
    put(&other, "b.ics", &event("b")).unwrap();
    assert!(matches!(
        store.copy_calendar(
            "u",
            DEFAULT_CALENDAR,
            "other",
            Overwrite::Refuse,
            Members::Included
        ),
        Err(StoreError::PreconditionFailed)
    ));
    assert!(store
        .copy_calendar(
            "u",
            DEFAULT_CALENDAR,
            "other",
            Overwrite::Replace,
            Members::Included
        )
        .unwrap());
    let mut names: Vec<String> = std::fs::read_dir(d.path().join("u"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [DEFAULT_CALENDAR, "other"],
        "no scratch directory left"
    );
    let other = store.calendar("u", "other").unwrap();
    let listed: Vec<String> = other
        .objects_where(|_| true)
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(listed, ["a.ics"]);
    // What a crash between the steps would leave is removed at start.
    std::fs::create_dir(d.path().join("u/.davdir-copy.0123456789abcdef")).unwrap();
    std::fs::write(d.path().join("u/.davdir-copy.0123456789abcdef/x.ics"), "x").unwrap();
    std::fs::write(
        d.path().join("u/other/.davdir-tmp.0123456789abcdef"),
        "torn",
    )
    .unwrap();
    assert_eq!(store.leftovers().len(), 2);
    store.sweep_leftovers();
    assert!(!d.path().join("u/.davdir-copy.0123456789abcdef").exists());
    assert!(store.leftovers().is_empty());
}

#[test]
fn a_calendar_swapped_for_a_link_out_of_the_home_is_not_written_through() {
    let (_d, store) = store();
    let outside = tempfile::tempdir().unwrap();
    let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
    let dir = cal.dir().to_path_buf();
    std::fs::remove_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(outside.path(), &dir).unwrap();
    assert!(matches!(
        put(&cal, "a.ics", &event("a")),
        Err(StoreError::NotFound)
    ));
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn files_over_the_size_bound_are_problems_never_read_or_served() {
    let (d, store) = store();
    let small = event("small");
    store.set_max_object_size(small.len() as u64 + 10);
    let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
    let dir = d.path().join("u").join(DEFAULT_CALENDAR);
    fs::write(dir.join("small.ics"), &small).unwrap();
    let big = fs::File::create(dir.join("big.ics")).unwrap();
    big.set_len(1 << 30).unwrap();
    let fifo = std::ffi::CString::new(dir.join("pipe.ics").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let names: Vec<String> = cal.objects().unwrap().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["small.ics"]);
    let problems = cal.problems().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, "big.ics");
    assert!(problems[0].1.contains("max_resource_size"));
    assert!(matches!(cal.read("big.ics"), Err(StoreError::NotFound)));
    assert!(matches!(cal.read("pipe.ics"), Err(StoreError::NotFound)));

    // Grown past the bound after it was indexed (a watcher vouches for the
    // index, so only the read sees it): a problem, not a truncated read.
    store.set_watched(true);
    let token = cal.sync_token().unwrap();
    fs::OpenOptions::new()
        .append(true)
        .open(dir.join("small.ics"))
        .unwrap()
        .write_all(&[b' '; 20])
        .unwrap();
    assert!(matches!(cal.read("small.ics"), Err(StoreError::NotFound)));
    assert!(cal.meta("small.ics").unwrap().is_none());
    assert_ne!(cal.sync_token().unwrap(), token, "its removal is a change");
    assert_eq!(cal.problems().unwrap().len(), 2);
}

#[test]
fn where_nothing_may_wait_a_read_is_served_only_if_it_need_not_wait() {
    let (_d, store) = store();
    let cal = store.calendar("u", DEFAULT_CALENDAR).unwrap();
    put(&cal, "a.ics", &event("a")).unwrap();
    let etag = cal.meta("a.ics").unwrap().unwrap().etag;
    let try_meta = || without_waiting(|| cal.meta("a.ics"));
    // No watcher vouches for the index: it would have to be rescanned.
    assert!(matches!(try_meta(), Err(StoreError::WouldBlock)));
    store.set_watched(true);
    assert_eq!(try_meta().unwrap().unwrap().etag, etag);
    // Another thread holds the collection's lock.
    {
        let _held = cal.cell.state.lock();
        assert!(matches!(try_meta(), Err(StoreError::WouldBlock)));
    }
    // The index was marked stale (a change seen by the watcher).
    cal.cell.state.lock().stale = true;
    assert!(matches!(try_meta(), Err(StoreError::WouldBlock)));
    assert_eq!(cal.meta("a.ics").unwrap().unwrap().etag, etag);
    assert_eq!(try_meta().unwrap().unwrap().etag, etag);
    // Outside, everything waits as before.
    assert!(no_wait::may_wait());
}
