//! Backups people can trust: the README's "Backup and restore" procedure,
//! followed against the real server, never gives a client a wrong sync
//! delta. A phone holding a token from after the backup must be told to
//! resync (403 valid-sync-token) or be given exactly what differs between
//! what it holds and what the server now holds; one holding a token from
//! before the backup likewise. The truth is a Depth 1 listing with ETags.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::common::*;

const CAL: &str = "/demo/work/";

/// A collection's members: href to ETag.
type Listing = BTreeMap<String, String>;

/// What a client holds: its sync token and the members it knows.
#[derive(Clone, Debug)]
struct Phone {
    token: String,
    has: Listing,
}

fn listing(srv: &Server) -> Listing {
    srv.propfind(CAL, "1", Some(&propfind_body(&[(DAV, "getetag")])))
        .multistatus()
        .responses
        .iter()
        .filter(|r| r.href != CAL)
        .map(|r| (r.href.clone(), r.ok(DAV, "getetag").text.clone()))
        .collect()
}

/// A sync-collection answer to `token`: (href, ETag or None when removed)
/// and the new token, or None when the server asks for a full resync.
type Delta = Vec<(String, Option<String>)>;

fn sync(srv: &Server, token: &str) -> Option<(Delta, String)> {
    let body = format!(
        r#"<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
    );
    let resp = srv.report(CAL, "0", &body);
    if resp.status == 403 {
        resp.expect_condition(DAV, "valid-sync-token");
        return None;
    }
    let ms = resp.multistatus();
    let delta = ms
        .responses
        .iter()
        .map(|r| match r.status {
            Some(404) => (r.href.clone(), None),
            _ => (r.href.clone(), Some(r.ok(DAV, "getetag").text.clone())),
        })
        .collect();
    Some((delta, ms.sync_token.expect("a sync answer names its token")))
}

/// A client that has just synced everything.
fn phone(srv: &Server) -> Phone {
    let (delta, token) = sync(srv, "").expect("an initial sync is always answered");
    let mut has = Listing::new();
    apply(&mut has, &delta);
    assert_eq!(has, listing(srv));
    Phone { token, has }
}

fn apply(has: &mut Listing, delta: &Delta) {
    for (href, etag) in delta {
        match etag {
            Some(e) => has.insert(href.clone(), e.clone()),
            None => has.remove(href),
        };
    }
}

/// Asks the server what changed since the phone's token: either a resync
/// (true) or a delta that, applied to what the phone holds, gives exactly
/// what the server lists (false). Anything else fails the test.
#[track_caller]
fn check(srv: &Server, phone: &Phone, what: &str) -> bool {
    let truth = listing(srv);
    match sync(srv, &phone.token) {
        None => true,
        Some((delta, _)) => {
            let mut has = phone.has.clone();
            apply(&mut has, &delta);
            assert_eq!(
                has, truth,
                "{what}: token {} got the wrong delta {delta:?}",
                phone.token
            );
            false
        }
    }
}

fn put(srv: &Server, name: &str, summary: &str) {
    let status = srv
        .put_ics(&format!("{CAL}{name}.ics"), &event(name, summary))
        .status;
    assert!(status == 201 || status == 204, "PUT {name}: {status}");
}

fn delete(srv: &Server, name: &str) {
    srv.delete(&format!("{CAL}{name}.ics")).expect(204);
}

/// `cp -a FROM/. TO/`: every directory and file, copied in place over
/// what is there (the way `cp` writes into an existing file). A directory
/// that vanished meanwhile is skipped as a file is.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    let Ok(entries) = fs::read_dir(from) else {
        return;
    };
    for entry in entries {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else if entry.file_type().unwrap().is_file() {
            match fs::copy(entry.path(), &target) {
                // A temp file renamed away while the server runs (rsync's
                // "file has vanished"): there is nothing of it to keep.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                other => {
                    other.unwrap();
                }
            }
        }
    }
}

/// `rsync -a --delete FROM/ TO/`: `copy_tree`, then whatever `from` lacks goes.
fn mirror(from: &Path, to: &Path) {
    copy_tree(from, to);
    prune(from, to);
}

fn prune(from: &Path, to: &Path) {
    for entry in fs::read_dir(to).unwrap() {
        let entry = entry.unwrap();
        let source = from.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if source.is_dir() {
                prune(&source, &entry.path());
            } else {
                fs::remove_dir_all(entry.path()).unwrap();
            }
        } else if !source.exists() {
            fs::remove_file(entry.path()).unwrap();
        }
    }
}

/// The files of the cache directory whose names end in `suffix`.
fn cache_files(data: &Path, suffix: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let cache = data.join(".davdir-cache");
    for user in fs::read_dir(&cache).into_iter().flatten() {
        for f in fs::read_dir(user.unwrap().path()).into_iter().flatten() {
            let p = f.unwrap().path();
            if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    out
}

/// Waits (generously) for the index saved in the cache to list `name`.
fn saved_index_shows(srv: &Server, name: &str) -> bool {
    let line = format!("{name}\t");
    wait_until(60, || {
        cache_files(&srv.data, ".index")
            .iter()
            .any(|p| fs::read_to_string(p).unwrap_or_default().contains(&line))
    })
}

/// A server with a history: changes, a phone synced at the moment of the
/// backup, the backup (copied while the server runs), changes the backup
/// lacks, and a phone synced after them.
struct History {
    srv: Server,
    backup: tempfile::TempDir,
    before: Phone,
    after: Phone,
}

fn history() -> History {
    let srv = Server::sample();
    put(&srv, "a1", "first");
    put(&srv, "a2", "second");
    delete(&srv, "focus-time");
    let before = phone(&srv);
    // A server that has run a while: its index saved since these changes
    // (without one, every token resyncs, which is safe but tells nothing).
    assert!(saved_index_shows(&srv, "a2.ics"));
    let backup = tempfile::tempdir().unwrap();
    copy_tree(&srv.data, backup.path());
    changes_after_backup(&srv);
    let after = phone(&srv);
    History {
        srv,
        backup,
        before,
        after,
    }
}

/// What happens between the backup and the restore.
fn changes_after_backup(srv: &Server) {
    put(srv, "b1", "made after the backup");
    put(srv, "b2", "also after the backup");
    put(srv, "a1", "edited after the backup");
    delete(srv, "a2");
}

/// Changes after the restore, each followed by the checks: an old log
/// numbering on would sooner or later reach the numbers of tokens issued
/// after the backup, with another history behind them.
fn numbering_on(h: &History, what: &str) -> (bool, bool) {
    let mut resynced = (false, false);
    for i in 0..8 {
        put(&h.srv, &format!("c{i}"), "made after the restore");
        resynced.0 |= check(&h.srv, &h.before, &format!("{what}, before, c{i}"));
        resynced.1 |= check(&h.srv, &h.after, &format!("{what}, after, c{i}"));
    }
    resynced
}

/// Server stopped: the data directory replaced by the backup, as it is.
fn restore_stopped(h: &mut History) {
    h.srv.stop();
    fs::remove_dir_all(&h.srv.data).unwrap();
    copy_tree(h.backup.path(), &h.srv.data);
    h.srv.start_again();
}

#[test]
fn restored_with_its_cache_while_stopped() {
    let mut h = history();
    restore_stopped(&mut h);
    assert_eq!(listing(&h.srv), h.before.has, "the backup's state is back");
    // The cache came back with the data it describes: a token from before
    // the backup gets exactly what changed since.
    assert!(!check(&h.srv, &h.before, "restored, before"));
    check(&h.srv, &h.after, "restored, after");
    let (before_resynced, _) = numbering_on(&h, "restored with cache");
    assert!(
        !before_resynced,
        "a token from before the backup keeps working"
    );
    // And so after another restart.
    h.srv.restart();
    assert!(!check(&h.srv, &h.before, "restarted, before"));
    check(&h.srv, &h.after, "restarted, after");
}

#[test]
fn restored_without_its_cache_while_stopped() {
    let mut h = history();
    fs::remove_dir_all(h.backup.path().join(".davdir-cache")).unwrap();
    restore_stopped(&mut h);
    assert_eq!(listing(&h.srv), h.before.has);
    check(&h.srv, &h.before, "no cache, before");
    check(&h.srv, &h.after, "no cache, after");
    numbering_on(&h, "restored without cache");
}

/// The backup copied over the data directory while the server runs; with
/// `delete`, what the backup lacks goes too (`rsync --delete`), else files
/// made after the backup stay (`cp -a`).
fn restore_running(delete: bool) {
    let mut h = history();
    let mut expected = h.before.has.clone();
    if delete {
        mirror(h.backup.path(), &h.srv.data);
    } else {
        copy_tree(h.backup.path(), &h.srv.data);
        for (href, etag) in &h.after.has {
            expected.entry(href.clone()).or_insert(etag.clone());
        }
    }
    assert!(
        wait_until(60, || listing(&h.srv) == expected),
        "the watcher brings the backup's state in: {:?}",
        listing(&h.srv)
    );
    // The running server's log goes on: every token is answered.
    assert!(!check(&h.srv, &h.before, "restored running, before"));
    assert!(!check(&h.srv, &h.after, "restored running, after"));
    assert_eq!(numbering_on(&h, "restored running"), (false, false));
    // The index saved since, beside the log the copy put in place.
    assert!(saved_index_shows(&h.srv, "c7.ics"));
    h.srv.restart();
    assert!(!check(&h.srv, &h.before, "restarted, before"));
    assert!(!check(&h.srv, &h.after, "restarted, after"));
    put(&h.srv, "d1", "made after the restart");
    assert!(!check(&h.srv, &h.before, "restarted and changed, before"));
    assert!(!check(&h.srv, &h.after, "restarted and changed, after"));
}

#[test]
fn copied_over_the_running_server() {
    restore_running(false);
}

#[test]
fn mirrored_over_the_running_server() {
    restore_running(true);
}

#[test]
fn restored_from_a_copy_that_took_the_log_before_the_calendars() {
    // `cp -a` may reach `.davdir-cache/` first: its logs are then older
    // than the index saved beside them and the calendars copied after.
    let srv = Server::sample();
    put(&srv, "a1", "first");
    put(&srv, "a2", "second");
    let before = phone(&srv);
    let early = tempfile::tempdir().unwrap();
    let logs: Vec<_> = cache_files(&srv.data, ".log");
    assert!(!logs.is_empty(), "the cache holds change logs");
    let early_logs: Vec<_> = logs
        .iter()
        .map(|p| {
            let copy = early.path().join(p.file_name().unwrap());
            fs::copy(p, &copy).unwrap();
            (p.strip_prefix(&srv.data).unwrap().to_path_buf(), copy)
        })
        .collect();
    changes_after_backup(&srv);
    let after = phone(&srv);
    // The index saved every few seconds shows the later changes.
    assert!(saved_index_shows(&srv, "b1.ics"));
    let backup = tempfile::tempdir().unwrap();
    copy_tree(&srv.data, backup.path());
    for (rel, copy) in &early_logs {
        fs::copy(copy, backup.path().join(rel)).unwrap();
    }
    let mut h = History {
        srv,
        backup,
        before,
        after,
    };
    restore_stopped(&mut h);
    assert_eq!(
        listing(&h.srv),
        h.after.has,
        "the calendars were copied late"
    );
    check(&h.srv, &h.before, "mixed copy, before");
    check(&h.srv, &h.after, "mixed copy, after");
    numbering_on(&h, "mixed copy");
}
