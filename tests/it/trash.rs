//! The trash: DELETE of a collection over DAV moves it to
//! `<home>/.trash/`, never served; `davdir trash list|restore|purge` work
//! on it while the server runs; a restore keeps the sync-token history
//! (a token held before the delete reports only later changes); entries
//! past `trash_days` are purged at start.

use std::collections::BTreeSet;
use std::process::{Command, Output, Stdio};

use crate::common::*;

fn davdir(srv: &Server, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_davdir"))
        .args(args)
        .args(["--data", srv.data.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn sync_body(token: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
    )
}

/// Hrefs a sync-collection from `token` reports, and the new token.
fn sync(srv: &Server, path: &str, token: &str) -> (BTreeSet<String>, String) {
    let ms = srv.report(path, "0", &sync_body(token)).multistatus();
    let hrefs = ms.responses.iter().map(|r| r.href.clone()).collect();
    (hrefs, ms.sync_token.expect("sync-token"))
}

/// The trash ids `davdir trash list --user demo` prints.
fn trash_ids(srv: &Server) -> Vec<String> {
    let out = davdir(srv, &["trash", "list", "--user", "demo"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').nth(1).unwrap().to_string())
        .collect()
}

#[test]
fn delete_moves_to_trash_and_restore_keeps_sync_tokens() {
    let mut srv = Server::sample();
    srv.put_ics("/demo/work/before.ics", &event("before", "Before"))
        .expect(201);
    let objects = ics_names(&srv.data.join("demo/work"));
    let (_, token) = sync(&srv, "/demo/work/", "");

    srv.delete("/demo/work/").expect(204);
    srv.get("/demo/work/").expect(404);
    assert!(!srv.members("/demo/").iter().any(|h| h.contains("work")));
    assert!(!srv.data.join("demo/work").exists());
    let ids = trash_ids(&srv);
    assert_eq!(ids.len(), 1);
    assert!(ids[0].starts_with("work.20"), "{ids:?}");
    let listing = String::from_utf8_lossy(&davdir(&srv, &["trash", "list"]).stdout).into_owned();
    assert!(
        listing.contains(&format!("\tcalendar\t{} objects\t", objects.len())),
        "{listing}"
    );
    assert_eq!(
        ics_names(&srv.data.join("demo/.trash").join(&ids[0])),
        objects
    );

    // Restored with the server stopped: the parked log comes back, so the
    // old token reports nothing but what changed afterwards.
    srv.stop();
    let out = davdir(&srv, &["trash", "restore", "demo", &ids[0]]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    srv.start_again();
    assert_eq!(ics_names(&srv.data.join("demo/work")), objects);
    let (changed, _) = sync(&srv, "/demo/work/", &token);
    assert!(changed.is_empty(), "{changed:?}");
    srv.put_ics("/demo/work/after.ics", &event("after", "After"))
        .expect(201);
    let (changed, _) = sync(&srv, "/demo/work/", &token);
    assert_eq!(changed, BTreeSet::from([href("demo", "work", "after.ics")]));

    // Again, restoring while the server runs.
    let (_, token) = sync(&srv, "/demo/work/", "");
    srv.delete("/demo/work/").expect(204);
    let id = trash_ids(&srv).pop().unwrap();
    let out = davdir(&srv, &["trash", "restore", "demo", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(wait_until(10, || srv.get("/demo/work/").status == 200));
    srv.put_ics("/demo/work/later.ics", &event("later", "Later"))
        .expect(201);
    let (changed, _) = sync(&srv, "/demo/work/", &token);
    assert!(
        changed.contains(&href("demo", "work", "later.ics")),
        "{changed:?}"
    );
    assert!(
        !changed.contains(&href("demo", "work", "before.ics")),
        "{changed:?}"
    );
    assert!(trash_ids(&srv).is_empty());
}

#[test]
fn restore_never_overwrites_and_purge_removes() {
    let srv = Server::sample();
    srv.delete("/demo/personal/").expect(204);
    let id = trash_ids(&srv).pop().unwrap();
    srv.mkcalendar("/demo/personal/", None).expect(201);
    let out = davdir(&srv, &["trash", "restore", "demo", &id]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&id));
    assert!(ics_names(&srv.data.join("demo/personal")).is_empty());
    let out = davdir(
        &srv,
        &["trash", "restore", "demo", &id, "--as", "personal-old"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(wait_until(10, || srv.get("/demo/personal-old/").status == 200));

    srv.delete("/demo/contacts/").expect(204);
    let id = trash_ids(&srv).pop().unwrap();
    assert!(id.starts_with("contacts."));
    let out = davdir(&srv, &["trash", "purge", "demo", &id]);
    assert!(out.status.success());
    assert!(trash_ids(&srv).is_empty());
    assert!(!srv.data.join("demo/.trash").join(&id).exists());
    let out = davdir(&srv, &["trash", "purge", "demo", &id]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn expired_entries_are_purged_at_start() {
    let mut srv = Server::start(Options {
        config: Some("trash_days = 30\n".into()),
        ..Options::default()
    });
    let trash = srv.data.join("demo/.trash");
    let old = trash.join("old.20200101T000000Z");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::write(old.join("a.ics"), event("a", "A")).unwrap();
    srv.delete("/demo/work/").expect(204);
    let recent = trash_ids(&srv);
    assert_eq!(recent.len(), 2, "{recent:?}");
    srv.restart();
    assert!(!old.exists());
    assert_eq!(trash_ids(&srv), vec![recent[1].clone()]);
    // A hidden trash is never served as a collection.
    srv.get("/demo/.trash/").expect(403);
}

/// A restore and a purge of one entry, run at once, never both succeed:
/// the trash lock lets one win whole (a restored collection holds all its
/// objects) and the other says the entry is gone.
#[test]
fn concurrent_restore_and_purge_of_one_entry_have_one_winner() {
    const OBJECTS: usize = 300;
    let srv = Server::sample();
    let trash = srv.data.join("demo/.trash");
    std::fs::create_dir_all(&trash).unwrap();
    for round in 0..20 {
        let name = format!("race{round}");
        let id = format!("{name}.20260101T000000Z");
        let entry = trash.join(&id);
        std::fs::create_dir(&entry).unwrap();
        for i in 0..OBJECTS {
            let uid = format!("{name}-{i}");
            std::fs::write(entry.join(format!("{uid}.ics")), event(&uid, "E")).unwrap();
        }
        let spawn = |cmd: &str| {
            Command::new(env!("CARGO_BIN_EXE_davdir"))
                .args(["trash", cmd, "demo", &id])
                .args(["--data", srv.data.to_str().unwrap()])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (purge, restore) = (spawn("purge"), spawn("restore"));
        let (purge, restore) = (
            purge.wait_with_output().unwrap(),
            restore.wait_with_output().unwrap(),
        );
        let said = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
        assert_ne!(
            purge.status.success(),
            restore.status.success(),
            "round {round}: purge {:?} {}; restore {:?} {}",
            purge.status,
            said(&purge),
            restore.status,
            said(&restore)
        );
        let loser = if purge.status.success() {
            &restore
        } else {
            &purge
        };
        assert!(
            said(loser).contains("already restored or purged"),
            "round {round}: {}",
            said(loser)
        );
        assert!(!entry.exists(), "round {round}: the entry is still there");
        let restored = srv.data.join("demo").join(&name);
        if restore.status.success() {
            assert_eq!(ics_names(&restored).len(), OBJECTS, "round {round}");
        } else {
            assert!(!restored.exists(), "round {round}");
        }
    }
}
