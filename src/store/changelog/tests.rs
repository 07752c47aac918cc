//! The change log's numbering, tokens and file, without the rest of the store.

use std::fs;

use super::tokens::TOKEN_PREFIX;
use super::*;
use crate::store::index::{FileStamp, IndexedInfo, ObjectMeta};

fn meta() -> ObjectMeta {
    ObjectMeta {
        etag: crate::store::Etag::of_bytes(b""),
        stamp: FileStamp {
            size: 0,
            mtime_ns: 0,
            ctime_ns: 0,
            ino: 0,
        },
        info: IndexedInfo::Calendar {
            uid_hash: 0,
            component: crate::ical::ComponentKind::Event,
            span: crate::ical::Span::Unknown,
            exact: None,
        },
        seq: 0,
    }
}

fn names(log: &ChangeLog, t: &str, idx: &Index) -> Vec<String> {
    log.changed_since(t, idx)
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

#[test]
fn tokens_move_and_answer_differences() {
    let mut idx = Index::default();
    let mut log = ChangeLog::in_memory();
    let t0 = log.token();
    idx.put_object("a.ics", meta());
    log.record(&["a.ics"], &mut idx);
    let t1 = log.token();
    assert_ne!(t0, t1);
    idx.put_object("b.ics", meta());
    log.record(&["b.ics"], &mut idx);
    idx.take_object("a.ics");
    log.record(&["a.ics"], &mut idx);
    assert_eq!(names(&log, &t0, &idx), vec!["b.ics", "a.ics"]);
    assert_eq!(names(&log, &t1, &idx), vec!["b.ics", "a.ics"]);
    assert!(names(&log, &log.token(), &idx).is_empty());
    assert_eq!(log.token_at(log.seq_of("a.ics", &idx)), log.token());
    assert!(log
        .changed_since("http://davdir.invalid/sync/other-1", &idx)
        .is_none());
    assert!(log.changed_since("garbage", &idx).is_none());
    let ahead = format!("{}{}-{}", TOKEN_PREFIX, log.id, log.seq + 5);
    assert!(log.changed_since(&ahead, &idx).is_none());
}

#[test]
fn survives_reopen_into_a_fresh_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u").join("c.log");
    let mut idx = Index::default();
    let mut log = ChangeLog::open(Some(path.clone()), &mut idx);
    let t0 = log.token();
    idx.put_object("a.ics", meta());
    log.record(&["a.ics"], &mut idx);
    log.record(&["gone.ics"], &mut idx);
    log.bump(&idx);
    let token = log.token();
    let mut again_idx = Index::default();
    again_idx.put_object("a.ics", meta());
    let again = ChangeLog::open(Some(path.clone()), &mut again_idx);
    assert_eq!(again.token(), token);
    assert_eq!(
        again.changed_since(&t0, &again_idx).unwrap(),
        vec![("a.ics".to_string(), 1), ("gone.ics".to_string(), 2)]
    );
    // A rewrite keeps the same answers.
    let mut log = again;
    log.rewrite(&again_idx);
    let mut third_idx = Index::default();
    third_idx.put_object("a.ics", meta());
    let third = ChangeLog::open(Some(path), &mut third_idx);
    assert_eq!(third.token(), token);
    assert_eq!(third.changed_since(&t0, &third_idx).unwrap().len(), 2);
}

#[test]
fn compaction_moves_floor() {
    let mut idx = Index::default();
    let mut log = ChangeLog::in_memory();
    let t0 = log.token();
    let gone: Vec<String> = (0..(KEEP_DELETED + 5))
        .map(|i| format!("{i}.ics"))
        .collect();
    log.record(&gone, &mut idx);
    log.compact(&idx);
    assert!(log.changed_since(&t0, &idx).is_none());
    assert_eq!(log.removed.len(), KEEP_DELETED);
}

#[test]
fn a_reloaded_log_never_gives_a_held_number_another_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.log");
    let mut idx = Index::default();
    let mut log = ChangeLog::open(Some(path.clone()), &mut idx);
    idx.put_object("a.ics", meta());
    log.record(&["a.ics"], &mut idx);
    let before = log.token();
    let backup = fs::read(&path).unwrap();
    idx.put_object("b.ics", meta());
    log.record(&["b.ics"], &mut idx);
    let after = log.token();
    // The backup comes back; the index as it was then.
    fs::write(&path, &backup).unwrap();
    let mut idx = Index::default();
    idx.put_object("a.ics", meta());
    let mut log = ChangeLog::open(Some(path.clone()), &mut idx);
    assert!(log.knows(&before) && !log.knows(&after));
    idx.put_object("c.ics", meta());
    log.record(&["c.ics"], &mut idx);
    // Numbered on, yet the token held from after the backup stays unknown.
    assert!(log.changed_since(&after, &idx).is_none());
    assert_eq!(names(&log, &before, &idx), vec!["c.ics"]);
    // So after another restart.
    let mut again = Index::default();
    again.put_object("a.ics", meta());
    again.put_object("c.ics", meta());
    let log = ChangeLog::open(Some(path), &mut again);
    assert!(log.changed_since(&after, &again).is_none());
    assert_eq!(names(&log, &before, &again), vec!["c.ics"]);
}

#[test]
fn a_log_file_replaced_while_in_use_is_written_anew() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.log");
    let mut idx = Index::default();
    let mut log = ChangeLog::open(Some(path.clone()), &mut idx);
    let t0 = log.token();
    let backup = fs::read(&path).unwrap();
    idx.put_object("a.ics", meta());
    log.record(&["a.ics"], &mut idx);
    fs::remove_file(&path).unwrap();
    fs::write(&path, &backup).unwrap();
    idx.put_object("b.ics", meta());
    log.record(&["b.ics"], &mut idx);
    let mut again = Index::default();
    again.put_object("a.ics", meta());
    again.put_object("b.ics", meta());
    let log = ChangeLog::open(Some(path), &mut again);
    assert_eq!(names(&log, &t0, &again), vec!["a.ics", "b.ics"]);
}

#[test]
fn earlier_epochs_are_kept_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.log");
    let mut idx = Index::default();
    let mut log = ChangeLog::open(Some(path.clone()), &mut idx);
    let first = log.token();
    for _ in 0..KEEP_EPOCHS + 2 {
        log = ChangeLog::open(Some(path.clone()), &mut idx);
        log.bump(&idx);
    }
    assert_eq!(log.epochs.len(), KEEP_EPOCHS);
    assert!(!log.knows(&first));
    assert!(log.knows(&log.token_at(log.seq - 1)));
}
