//! Sharing by the `[share]` table of a collection's settings file (issue
//! 26): demo shares `work` with alice (read-write) and carol (read); eve is
//! an outsider. Each sees what the share grants through the view
//! `/<sharee>/demo--work/`, over HTTP against the real binary, and a hand
//! edit of the table shares and revokes within seconds.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::common::*;

const VIEW: &str = "demo--work";

/// The owner's settings file, as data-sample has it.
fn settings(srv: &Server) -> PathBuf {
    srv.file("demo/work/.calendar.toml")
}

/// Adds carol and eve to the accounts (demo's password hash, so "demo"),
/// then writes `table` as demo/work's `[share]` table.
fn start(table: &str) -> Server {
    start_with(Options::default(), table)
}

fn start_with(options: Options, table: &str) -> Server {
    let srv = Server::start(options);
    let htpasswd = std::fs::read_to_string(srv.htpasswd_path()).unwrap();
    let demo = htpasswd.lines().find(|l| l.starts_with("demo:")).unwrap();
    let hash = demo.trim_start_matches("demo:");
    let more = format!("{htpasswd}carol:{hash}\neve:{hash}\n");
    std::fs::write(srv.htpasswd_path(), more).unwrap();
    share(&srv, table);
    srv
}

/// Rewrites the `[share]` table of demo/work by hand, keeping the rest.
fn share(srv: &Server, table: &str) {
    let text = std::fs::read_to_string(settings(srv)).unwrap();
    let kept = text.split("[share]").next().unwrap().to_string();
    std::fs::write(settings(srv), format!("{kept}[share]\n{table}")).unwrap();
}

fn password(user: &str) -> &str {
    match user {
        "alice" => "alice",
        _ => "demo",
    }
}

fn as_user(
    srv: &Server,
    user: &str,
    method: &str,
    path: &str,
) -> reqwest::blocking::RequestBuilder {
    srv.request_as(Some((user, password(user))), method, path)
}

fn propfind_as(srv: &Server, user: &str, path: &str, depth: &str, props: &[(&str, &str)]) -> Resp {
    as_user(srv, user, "PROPFIND", path)
        .header("Depth", depth)
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(propfind_body(props))
        .fetch()
}

/// The hrefs a user's home lists at Depth 1.
fn home_members(srv: &Server, user: &str) -> BTreeSet<String> {
    propfind_as(
        srv,
        user,
        &format!("/{user}/"),
        "1",
        &[(DAV, "resourcetype")],
    )
    .multistatus()
    .hrefs()
}

fn lists_view(srv: &Server, user: &str) -> bool {
    home_members(srv, user).contains(&format!("/{user}/{VIEW}/"))
}

fn put_as(srv: &Server, user: &str, path: &str, ics: &str) -> Resp {
    as_user(srv, user, "PUT", path)
        .header("Content-Type", "text/calendar; charset=utf-8")
        .body(ics.to_string())
        .fetch()
}

const TABLE: &str =
    "alice = \"read-write\"\ncarol = \"read\"\nmallory = \"read\"\neve = \"write\"\n";

#[test]
fn a_hand_edited_table_shares_and_revokes_and_bad_entries_grant_nothing() {
    let srv = start(TABLE);
    assert!(wait_until(10, || lists_view(&srv, "alice")), "alice's view");
    assert!(lists_view(&srv, "carol"), "carol's view");
    // A bad value and an unknown user grant nothing; the others work.
    assert!(!lists_view(&srv, "eve"), "eve's value is not one");
    assert!(
        !lists_view(&srv, "demo"),
        "the owner has no view of his own"
    );
    as_user(&srv, "eve", "GET", &format!("/eve/{VIEW}/focus-time.ics"))
        .fetch()
        .expect(404);
    // Each bad entry is logged once, however many requests read the table.
    for _ in 0..3 {
        home_members(&srv, "alice");
    }
    let log = srv.log();
    assert_eq!(
        log.matches("share with \"mallory\": no such user").count(),
        1,
        "{log}"
    );
    assert_eq!(
        log.matches("share with \"eve\": the value").count(),
        1,
        "{log}"
    );
    // `davdir check` reports both.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_davdir"))
        .args(["check", "--data"])
        .arg(&srv.data)
        .arg("--htpasswd")
        .arg(srv.htpasswd_path())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{report}");
    let file = settings(&srv).canonicalize().unwrap();
    for who in ["\"mallory\": no such user", "\"eve\": the value must be"] {
        let line = format!("{}: share with {who}", file.display());
        assert!(report.contains(&line), "{line} in:\n{report}");
    }
    // Revocation: alice's entry goes, her view and its URLs with it.
    let before = tree_fingerprint(&srv.file("demo/work"));
    share(&srv, "carol = \"read\"\n");
    let object = format!("/alice/{VIEW}/focus-time.ics");
    assert!(
        wait_until(10, || !lists_view(&srv, "alice")
            && as_user(&srv, "alice", "GET", &object).fetch().status == 404),
        "revoked"
    );
    assert!(lists_view(&srv, "carol"), "carol keeps hers");
    as_user(
        &srv,
        "carol",
        "GET",
        &format!("/carol/{VIEW}/focus-time.ics"),
    )
    .fetch()
    .expect(200);
    let mut after = tree_fingerprint(&srv.file("demo/work"));
    let mut before_objects = before;
    after.retain(|path, _| path != &settings(&srv));
    before_objects.retain(|path, _| path != &settings(&srv));
    assert_eq!(before_objects, after, "nothing of the owner's is touched");
}

#[test]
fn a_view_serves_the_owners_files_with_their_etags() {
    let srv = start(TABLE);
    assert!(wait_until(10, || lists_view(&srv, "carol")));
    let owner = srv.get("/demo/work/focus-time.ics");
    owner.expect(200);
    for user in ["alice", "carol"] {
        let got = as_user(&srv, user, "GET", &format!("/{user}/{VIEW}/focus-time.ics")).fetch();
        got.expect(200);
        assert_eq!(got.body, owner.body, "{user}: same bytes");
        assert_eq!(got.etag(), owner.etag(), "{user}: same ETag");
    }
    // Depth 1 of the view lists the owner's objects under the view's URL.
    let ms = propfind_as(
        &srv,
        "carol",
        &format!("/carol/{VIEW}/"),
        "1",
        &[(DAV, "getetag")],
    )
    .multistatus();
    assert!(
        ms.hrefs()
            .contains(&format!("/carol/{VIEW}/focus-time.ics")),
        "{:?}",
        ms.hrefs()
    );
    // The view is a calendar like any other, owned by demo.
    let ms = propfind_as(
        &srv,
        "carol",
        &format!("/carol/{VIEW}/"),
        "0",
        &[(DAV, "resourcetype"), (DAV, "owner")],
    )
    .multistatus();
    let r = &ms.responses[0];
    assert!(r
        .ok(DAV, "resourcetype")
        .child(CALDAV, "calendar")
        .is_some());
    assert!(r
        .ok(DAV, "owner")
        .child(DAV, "href")
        .unwrap()
        .text
        .ends_with("/demo/"));
    // Its name says whose it is; the owner's is unchanged.
    let owner_name = srv.props("/demo/work/", &[(DAV, "displayname")]).responses[0]
        .ok(DAV, "displayname")
        .text
        .clone();
    let view = format!("/carol/{VIEW}/");
    let ms = propfind_as(&srv, "carol", &view, "0", &[(DAV, "displayname")]).multistatus();
    let shown = &ms.responses[0].ok(DAV, "displayname").text;
    assert_eq!(shown, &format!("{owner_name} (demo)"));
}

/// The privileges a user is told of on a path.
fn privileges(srv: &Server, user: &str, path: &str) -> BTreeSet<String> {
    let ms =
        propfind_as(srv, user, path, "0", &[(DAV, "current-user-privilege-set")]).multistatus();
    ms.responses[0]
        .ok(DAV, "current-user-privilege-set")
        .children_named(DAV, "privilege")
        .flat_map(|p| p.children.iter().map(|c| c.name.to_string()))
        .collect()
}

#[test]
fn privileges_follow_the_share() {
    let srv = start(TABLE);
    assert!(wait_until(10, || lists_view(&srv, "carol")
        && lists_view(&srv, "alice")));
    let carol = format!("/carol/{VIEW}/");
    let alice = format!("/alice/{VIEW}/");
    let read: BTreeSet<String> = ["read", "read-current-user-privilege-set"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(privileges(&srv, "carol", &carol), read);
    assert_eq!(
        privileges(&srv, "carol", &format!("{carol}focus-time.ics")),
        read
    );
    let rw = privileges(&srv, "alice", &alice);
    assert!(
        rw.contains("write-content") && rw.contains("bind") && rw.contains("unbind"),
        "{rw:?}"
    );
    assert!(
        !rw.contains("write-properties") && !rw.contains("all"),
        "{rw:?}"
    );

    // Carol reads only: every write is refused and nothing changes on disk.
    let before = tree_fingerprint(&srv.file("demo"));
    put_as(
        &srv,
        "carol",
        &format!("{carol}new.ics"),
        &event("carol-new", "No"),
    )
    .expect(403)
    .expect_condition(DAV, "need-privileges");
    let over = format!("{carol}focus-time.ics");
    put_as(&srv, "carol", &over, &event("focus-time", "Changed"))
        .expect(403)
        .expect_condition(DAV, "need-privileges");
    as_user(&srv, "carol", "DELETE", &over)
        .fetch()
        .expect(403)
        .expect_condition(DAV, "need-privileges");
    as_user(&srv, "carol", "PROPPATCH", &carol)
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(PROPPATCH_OWNERS)
        .fetch()
        .expect(403)
        .expect_condition(DAV, "need-privileges");
    as_user(&srv, "carol", "MKCOL", &format!("{carol}inner/"))
        .fetch()
        .expect(403);
    for user in ["carol", "alice"] {
        // Neither can rename, re-create or change the owner's collection.
        let view = format!("/{user}/{VIEW}/");
        as_user(&srv, user, "MOVE", &view)
            .header("Destination", srv.url(&format!("/{user}/mine/")))
            .fetch()
            .expect(403);
        // It exists: MKCALENDAR over it is refused as over any collection.
        as_user(&srv, user, "MKCALENDAR", &view).fetch().expect(405);
        as_user(&srv, user, "PROPPATCH", &view)
            .header("Content-Type", "application/xml; charset=utf-8")
            .body(PROPPATCH_OWNERS)
            .fetch()
            .expect(403)
            .expect_condition(DAV, "need-privileges");
    }
    assert_eq!(
        before,
        tree_fingerprint(&srv.file("demo")),
        "nothing changed"
    );

    // Alice writes: her PUT lands as a file in demo's directory, validated.
    let made = put_as(
        &srv,
        "alice",
        &format!("{alice}from-alice.ics"),
        &event("from-alice", "Hi"),
    );
    made.expect(201);
    let on_disk = srv.read("demo/work/from-alice.ics");
    let owner_view = srv.get("/demo/work/from-alice.ics");
    owner_view.expect(200);
    assert_eq!(owner_view.body, on_disk);
    assert_eq!(owner_view.etag(), made.etag());
    put_as(
        &srv,
        "alice",
        &format!("{alice}bad.ics"),
        "BEGIN:VCALENDAR\r\nnot ical",
    )
    .expect(403)
    .expect_condition(CALDAV, "valid-calendar-data");
    assert!(!srv.file("demo/work/bad.ics").exists());
    as_user(&srv, "alice", "DELETE", &format!("{alice}from-alice.ics"))
        .fetch()
        .expect(204);
    assert!(!srv.file("demo/work/from-alice.ics").exists());
    assert!(
        srv.file("demo/work").is_dir(),
        "the owner's collection stays"
    );

    // Eve, an outsider, reaches neither the owner's URLs nor anyone's view.
    for path in ["/demo/work/", "/demo/work/focus-time.ics", &carol, &alice] {
        let status = as_user(&srv, "eve", "GET", path).fetch().status;
        assert_eq!(status, 403, "eve on {path}");
    }
    as_user(&srv, "eve", "GET", &format!("/eve/{VIEW}/focus-time.ics"))
        .fetch()
        .expect(404);
    propfind_as(
        &srv,
        "eve",
        &format!("/eve/{VIEW}/"),
        "0",
        &[(DAV, "resourcetype")],
    )
    .expect(404);
    // Nor do the sharees reach the owner's own URLs.
    as_user(&srv, "carol", "GET", "/demo/work/focus-time.ics")
        .fetch()
        .expect(403);

    // Deleting her view removes carol's entry only; the owner's objects,
    // his other settings and alice's share stay.
    let objects = |srv: &Server| {
        let mut all = tree_fingerprint(&srv.file("demo/work"));
        all.retain(|path, _| path != &settings(srv));
        all
    };
    let before = objects(&srv);
    as_user(&srv, "carol", "DELETE", &carol).fetch().expect(204);
    assert!(!lists_view(&srv, "carol"), "gone at once");
    as_user(&srv, "carol", "GET", &format!("{carol}focus-time.ics"))
        .fetch()
        .expect(404);
    assert!(lists_view(&srv, "alice"));
    let text = std::fs::read_to_string(settings(&srv)).unwrap();
    assert!(!text.contains("carol"), "{text}");
    assert!(text.contains("alice = \"read-write\""), "{text}");
    assert!(text.contains("timezone = \"Europe/Berlin\""), "{text}");
    assert!(text.starts_with("# Collection properties"), "{text}");
    assert_eq!(before, objects(&srv));
    assert!(srv.file("demo/work").is_dir());
}

/// A change of a property that stays the owner's (a sharee's own name,
/// colour and order are his: `a_sharee_keeps_his_own_name_colour_and_order`).
const PROPPATCH_OWNERS: &str = r#"<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:calendar-description>Mine now</C:calendar-description></D:prop></D:set></D:propertyupdate>"#;

fn token_and_ctag(srv: &Server, user: &str, path: &str) -> (String, String) {
    let ms = propfind_as(
        srv,
        user,
        path,
        "0",
        &[(DAV, "sync-token"), (CS, "getctag")],
    )
    .multistatus();
    let r = &ms.responses[0];
    (
        r.ok(DAV, "sync-token").text.clone(),
        r.ok(CS, "getctag").text.clone(),
    )
}

/// The hrefs a sync-collection from `token` reports changed.
fn changed_since(srv: &Server, user: &str, path: &str, token: &str) -> BTreeSet<String> {
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
    );
    as_user(srv, user, "REPORT", path)
        .header("Depth", "0")
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(body)
        .fetch()
        .multistatus()
        .hrefs()
}

#[test]
fn a_views_sync_token_moves_with_every_change_of_the_owners_collection() {
    let mut srv = start(TABLE);
    assert!(wait_until(10, || lists_view(&srv, "carol")));
    let carol = format!("/carol/{VIEW}/");
    let alice = format!("/alice/{VIEW}/");
    let (t0, c0) = token_and_ctag(&srv, "carol", &carol);
    // The owner's write.
    srv.put_ics("/demo/work/by-owner.ics", &event("by-owner", "Owner"))
        .expect(201);
    let (t1, c1) = token_and_ctag(&srv, "carol", &carol);
    assert_ne!(t0, t1);
    assert_ne!(c0, c1);
    assert_eq!(
        changed_since(&srv, "carol", &carol, &t0),
        BTreeSet::from([format!("{carol}by-owner.ics")])
    );
    // Another sharee's write.
    put_as(
        &srv,
        "alice",
        &format!("{alice}by-alice.ics"),
        &event("by-alice", "Alice"),
    )
    .expect(201);
    assert_eq!(
        changed_since(&srv, "carol", &carol, &t1),
        BTreeSet::from([format!("{carol}by-alice.ics")])
    );
    let (t2, _) = token_and_ctag(&srv, "carol", &carol);
    // A hand edit in the owner's directory.
    std::fs::write(srv.file("demo/work/by-hand.ics"), event("by-hand", "Hand")).unwrap();
    let want = BTreeSet::from([format!("{carol}by-hand.ics")]);
    assert!(
        wait_until(10, || changed_since(&srv, "carol", &carol, &t2) == want),
        "the hand edit reaches the view"
    );
    // The token stays valid across a restart and answers as the owner's.
    let (t3, _) = token_and_ctag(&srv, "carol", &carol);
    let (owner_t3, _) = token_and_ctag(&srv, "demo", "/demo/work/");
    assert_eq!(t3, owner_t3, "one change log");
    srv.restart();
    assert!(wait_until(10, || lists_view(&srv, "carol")));
    srv.put_ics("/demo/work/after.ics", &event("after", "After"))
        .expect(201);
    let seen = changed_since(&srv, "carol", &carol, &t3);
    assert!(seen.contains(&format!("{carol}after.ics")), "{seen:?}");
    let owners: BTreeSet<String> = changed_since(&srv, "demo", "/demo/work/", &owner_t3)
        .into_iter()
        .map(|h| h.replace("/demo/work/", &carol))
        .collect();
    assert_eq!(seen, owners);
}

#[test]
fn his_own_directory_wins_and_an_account_made_later_gets_its_share() {
    let srv = start("alice = \"read-write\"\nmallory = \"read\"\n");
    assert!(wait_until(10, || lists_view(&srv, "alice")));
    // mallory has no account yet: the entry waits for one.
    let htpasswd = std::fs::read_to_string(srv.htpasswd_path()).unwrap();
    let hash = htpasswd.lines().find(|l| l.starts_with("demo:")).unwrap();
    let line = hash.replacen("demo:", "mallory:", 1);
    std::fs::write(srv.htpasswd_path(), format!("{htpasswd}{line}\n")).unwrap();
    assert!(
        wait_until(10, || lists_view(&srv, "mallory")),
        "mallory's view"
    );
    // Alice makes a directory of the view's name by hand: hers is served.
    let own = srv.file(&format!("alice/{VIEW}"));
    std::fs::create_dir(&own).unwrap();
    std::fs::write(own.join("mine.ics"), event("mine", "Mine")).unwrap();
    let shared = format!("/alice/{VIEW}/focus-time.ics");
    assert!(
        wait_until(10, || as_user(&srv, "alice", "GET", &shared).fetch().status
            == 404),
        "her own directory hides the view"
    );
    as_user(&srv, "alice", "GET", &format!("/alice/{VIEW}/mine.ics"))
        .fetch()
        .expect(200);
    let members = home_members(&srv, "alice");
    let named = members.iter().filter(|h| h.contains(VIEW)).count();
    assert_eq!(named, 1, "{members:?}");
    // And her writes there stay hers.
    put_as(
        &srv,
        "alice",
        &format!("/alice/{VIEW}/new.ics"),
        &event("new", "New"),
    )
    .expect(201);
    assert!(own.join("new.ics").exists());
    assert!(!srv.file("demo/work/new.ics").exists());
}

/// The hook is told of the owner's file a write through a view changed.
#[test]
fn the_hook_is_told_of_the_owners_files() {
    let hook = r#"hook = 'echo "$DAVDIR_METHOD|$DAVDIR_USER|$DAVDIR_COLLECTION|$DAVDIR_PATHS" >> ../hook.log'"#;
    let options = Options {
        config: Some(format!("{hook}\n")),
        ..Options::default()
    };
    let srv = start_with(options, "alice = \"read-write\"\n");
    assert!(wait_until(10, || lists_view(&srv, "alice")));
    let log = srv.data.parent().unwrap().join("hook.log");
    put_as(
        &srv,
        "alice",
        &format!("/alice/{VIEW}/hooked.ics"),
        &event("hooked", "H"),
    )
    .expect(201);
    let want = "PUT|demo|work|demo/work/hooked.ics";
    assert!(
        wait_until(10, || std::fs::read_to_string(&log)
            .is_ok_and(|l| l.contains(want))),
        "{:?}",
        std::fs::read_to_string(&log)
    );
    // A share by the CalendarServer protocol changes the settings file.
    post_share(&srv, "demo", "/demo/work/", &cs_set("/carol/", "read")).expect(200);
    let want = "POST|demo|work|demo/work\n";
    assert!(
        wait_until(10, || std::fs::read_to_string(&log)
            .is_ok_and(|l| l.contains(want))),
        "{:?}",
        std::fs::read_to_string(&log)
    );
}

/// An address book is shared the same way, by its `.addressbook.toml`.
#[test]
fn an_address_book_is_shared_by_its_settings_file() {
    let srv = start("");
    let book = srv.file("demo/contacts/.addressbook.toml");
    let text = std::fs::read_to_string(&book).unwrap();
    std::fs::write(&book, format!("{text}\n[share]\ncarol = \"read\"\n")).unwrap();
    let view = "/carol/demo--contacts/";
    assert!(wait_until(10, || home_members(&srv, "carol").contains(view)));
    let ms = propfind_as(&srv, "carol", view, "0", &[(DAV, "resourcetype")]).multistatus();
    let carddav = "urn:ietf:params:xml:ns:carddav";
    assert!(ms.responses[0]
        .ok(DAV, "resourcetype")
        .child(carddav, "addressbook")
        .is_some());
    let owner = srv.get("/demo/contacts/anna-schmidt.vcf");
    let got = as_user(&srv, "carol", "GET", &format!("{view}anna-schmidt.vcf")).fetch();
    got.expect(200);
    assert_eq!((&got.body, got.etag()), (&owner.body, owner.etag()));
    as_user(&srv, "carol", "PUT", &format!("{view}new.vcf"))
        .header("Content-Type", "text/vcard; charset=utf-8")
        .body("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:n\r\nFN:N\r\nEND:VCARD\r\n")
        .fetch()
        .expect(403)
        .expect_condition(DAV, "need-privileges");
    assert!(!srv.file("demo/contacts/new.vcf").exists());
}

/// A collection the owner deletes leaves the sharees' homes, and comes
/// back with its shares when restored from the trash.
#[test]
fn a_trashed_collection_leaves_and_a_restored_one_comes_back() {
    let srv = start("carol = \"read\"\n");
    assert!(wait_until(10, || lists_view(&srv, "carol")));
    srv.delete("/demo/work/").expect(204);
    assert!(wait_until(10, || !lists_view(&srv, "carol")), "gone");
    as_user(
        &srv,
        "carol",
        "GET",
        &format!("/carol/{VIEW}/focus-time.ics"),
    )
    .fetch()
    .expect(404);
    let trash = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_davdir"))
            .args(["trash"])
            .args(args)
            .args(["--data", srv.data.to_str().unwrap()])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let listed = trash(&["list", "--user", "demo"]);
    let id = listed
        .lines()
        .next()
        .unwrap()
        .split('\t')
        .nth(1)
        .unwrap()
        .to_string();
    trash(&["restore", "demo", &id]);
    assert!(wait_until(10, || lists_view(&srv, "carol")), "back");
    as_user(
        &srv,
        "carol",
        "GET",
        &format!("/carol/{VIEW}/focus-time.ics"),
    )
    .fetch()
    .expect(200);
}

/// `davdir share add|list|remove` edit the table while the server runs.
#[test]
fn the_share_command_adds_lists_and_removes() {
    let srv = start("");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_davdir"))
            .arg("share")
            .args(args)
            .arg("--data")
            .arg(&srv.data)
            .arg("--htpasswd")
            .arg(srv.htpasswd_path())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let out = run(&["add", "demo", "work", "carol"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(wait_until(10, || lists_view(&srv, "carol")));
    let read: BTreeSet<String> = ["read", "read-current-user-privilege-set"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(privileges(&srv, "carol", &format!("/carol/{VIEW}/")), read);
    let out = run(&["add", "demo", "work", "alice", "--read-write"]);
    assert!(out.status.success());
    let out = run(&["add", "demo", "work", "nobody"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such user \"nobody\""));
    let listed = String::from_utf8_lossy(&run(&["list"]).stdout).into_owned();
    assert!(listed.contains("demo/work\tcarol\tread\n"), "{listed}");
    assert!(
        listed.contains("demo/work\talice\tread-write\n"),
        "{listed}"
    );
    assert!(!listed.contains("nobody"), "{listed}");
    let out = run(&["remove", "demo", "work", "carol"]);
    assert!(out.status.success());
    assert!(wait_until(10, || !lists_view(&srv, "carol")), "removed");
    assert!(lists_view(&srv, "alice"));
    let text = std::fs::read_to_string(settings(&srv)).unwrap();
    assert!(text.starts_with("# Collection properties"), "{text}");
    assert!(text.contains("timezone = \"Europe/Berlin\""), "{text}");
}

/// `"@group"` entries share with the members of a group of the groups
/// file, re-read when it changes; a user's own entry beats his groups'.
#[test]
fn groups_of_the_groups_file_share_and_follow_its_edits() {
    let tmp = tempfile::tempdir().unwrap();
    let groups = tmp.path().join("groups");
    std::fs::write(&groups, "# households\nfamily: alice carol demo\n").unwrap();
    let options = Options {
        config: Some(format!("groups = {:?}\n", groups.display().to_string())),
        ..Options::default()
    };
    let table = "\"@family\" = \"read\"\n\"@nobody\" = \"read\"\nalice = \"read-write\"\n";
    let srv = start_with(options, table);
    assert!(wait_until(10, || lists_view(&srv, "carol")
        && lists_view(&srv, "alice")));
    assert!(!lists_view(&srv, "eve"), "not a member");
    assert!(
        !lists_view(&srv, "demo"),
        "the owner, a member, gets no view"
    );
    let carol = privileges(&srv, "carol", &format!("/carol/{VIEW}/"));
    assert!(!carol.contains("write-content"), "{carol:?}");
    let alice = privileges(&srv, "alice", &format!("/alice/{VIEW}/"));
    assert!(
        alice.contains("write-content"),
        "her own entry wins: {alice:?}"
    );
    let log = srv.log();
    assert_eq!(
        log.matches("\"@nobody\": no such group").count(),
        1,
        "{log}"
    );
    // An edit of the groups file takes effect without a restart.
    std::fs::write(&groups, "family: alice eve\n").unwrap();
    assert!(wait_until(10, || lists_view(&srv, "eve") && !lists_view(&srv, "carol")));
    as_user(
        &srv,
        "carol",
        "GET",
        &format!("/carol/{VIEW}/focus-time.ics"),
    )
    .fetch()
    .expect(404);
    // `check` with the config reports the unknown group.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_davdir"))
        .args(["check", "--data"])
        .arg(&srv.data)
        .arg("--htpasswd")
        .arg(srv.htpasswd_path())
        .arg("--config")
        .arg(srv.data.parent().unwrap().join("davdir.toml"))
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("share with \"@nobody\": no such group"),
        "{report}"
    );
}

/// A `CS:share` body of the CalendarServer sharing extension.
fn cs_share(ops: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><CS:share xmlns:D="DAV:" xmlns:CS="{CS}">{ops}</CS:share>"#
    )
}

fn cs_set(href: &str, access: &str) -> String {
    format!(
        "<CS:set><D:href>{href}</D:href><CS:common-name>Someone</CS:common-name>\
         <CS:summary>Ours</CS:summary><CS:{access}/></CS:set>"
    )
}

fn cs_remove(href: &str) -> String {
    format!("<CS:remove><D:href>{href}</D:href></CS:remove>")
}

fn post_share(srv: &Server, user: &str, path: &str, ops: &str) -> Resp {
    as_user(srv, user, "POST", path)
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(cs_share(ops))
        .fetch()
}

/// The sharees `CS:invite` lists: (principal href, access element, accepted).
fn invited(r: &Response) -> BTreeSet<(String, String, bool)> {
    r.ok(CS, "invite")
        .children_named(CS, "user")
        .map(|u| {
            let href = u.child(DAV, "href").unwrap().text.clone();
            let access = u.child(CS, "access").unwrap().children[0].name.to_string();
            (href, access, u.child(CS, "invite-accepted").is_some())
        })
        .collect()
}

const SHARING_PROPS: [(&str, &str); 6] = [
    (DAV, "resourcetype"),
    (DAV, "owner"),
    (CS, "invite"),
    (CS, "allowed-sharing-modes"),
    (CS, "shared-url"),
    (DAV, "displayname"),
];

/// The CalendarServer sharing protocol: the owner shares by POST of
/// `CS:share` naming sharees by principal URL or `mailto:`; the share is
/// accepted at once, lands in the same `[share]` table, and both sides see
/// it in their properties. Nobody else may share; unknown users are refused
/// with nothing written.
#[test]
fn the_calendarserver_protocol_shares_into_the_table() {
    let srv = start("");
    // Advertised on OPTIONS and every response.
    let options = srv.request_as(None, "OPTIONS", "/").fetch();
    let dav = options.header("dav").unwrap();
    assert!(dav.contains("calendarserver-sharing"), "{dav}");
    let owner_url = "/demo/work/";
    let ms = propfind_as(&srv, "demo", owner_url, "0", &SHARING_PROPS);
    assert!(ms.header("dav").unwrap().contains("calendarserver-sharing"));
    let r = &ms.multistatus().responses[0];
    assert!(r
        .ok(DAV, "resourcetype")
        .child(CS, "shared-owner")
        .is_none());
    assert!(r
        .ok(CS, "allowed-sharing-modes")
        .child(CS, "can-be-shared")
        .is_some());
    assert_eq!(r.status_of(CS, "invite"), Some(404), "shared with nobody");

    // The owner shares: a principal URL and a mailto whose local part is a user.
    let ops = cs_set("/alice/", "read-write") + &cs_set("mailto:carol@example.org", "read");
    post_share(&srv, "demo", owner_url, &ops).expect(200);
    assert!(
        lists_view(&srv, "alice") && lists_view(&srv, "carol"),
        "at once"
    );
    let text = std::fs::read_to_string(settings(&srv)).unwrap();
    assert!(text.contains("alice = \"read-write\""), "{text}");
    assert!(text.contains("carol = \"read\""), "{text}");
    assert!(text.starts_with("# Collection properties"), "{text}");
    assert!(text.contains("timezone = \"Europe/Berlin\""), "{text}");
    let rw: BTreeSet<String> = privileges(&srv, "alice", &format!("/alice/{VIEW}/"));
    assert!(rw.contains("write-content"), "{rw:?}");

    // The owner's collection says it is shared, and with whom.
    let ms = propfind_as(&srv, "demo", owner_url, "0", &SHARING_PROPS).multistatus();
    let r = &ms.responses[0];
    assert!(r
        .ok(DAV, "resourcetype")
        .child(CS, "shared-owner")
        .is_some());
    let want = BTreeSet::from([
        ("/alice/".to_string(), "read-write".to_string(), true),
        ("/carol/".to_string(), "read".to_string(), true),
    ]);
    assert_eq!(invited(r), want);
    assert_eq!(r.status_of(CS, "shared-url"), Some(404));

    // Carol's view: shared, the owner's URL and principal, no sharing of her own.
    let view = format!("/carol/{VIEW}/");
    let ms = propfind_as(&srv, "carol", &view, "0", &SHARING_PROPS).multistatus();
    let r = &ms.responses[0];
    let rt = r.ok(DAV, "resourcetype");
    assert!(rt.child(CS, "shared").is_some() && rt.child(CALDAV, "calendar").is_some());
    assert!(rt.child(CS, "shared-owner").is_none());
    let shared_url = &r.ok(CS, "shared-url").child(DAV, "href").unwrap().text;
    assert_eq!(shared_url, owner_url);
    assert_eq!(
        r.ok(DAV, "owner").child(DAV, "href").unwrap().text,
        "/demo/"
    );
    assert!(r
        .ok(CS, "allowed-sharing-modes")
        .child(CS, "can-be-shared")
        .is_none());
    assert_eq!(invited(r), want);
    let organizer = r.ok(CS, "invite").child(CS, "organizer").unwrap();
    assert_eq!(organizer.child(DAV, "href").unwrap().text, "/demo/");
    assert!(r.ok(DAV, "displayname").text.contains("(demo)"));

    // Only the owner shares: not a sharee on his view (read or read-write),
    // not an outsider on the owner's URL. Nothing is written.
    let before = std::fs::read(settings(&srv)).unwrap();
    for user in ["carol", "alice"] {
        post_share(
            &srv,
            user,
            &format!("/{user}/{VIEW}/"),
            &cs_set("/eve/", "read"),
        )
        .expect(403)
        .expect_condition(DAV, "need-privileges");
    }
    post_share(&srv, "eve", owner_url, &cs_set("/eve/", "read")).expect(403);
    // An unknown user (by URL or mailto) is refused with the reason, and
    // nothing of the body is applied.
    for href in ["/mallory/", "mailto:mallory@example.org"] {
        let ops = cs_set("/eve/", "read") + &cs_set(href, "read");
        let r = post_share(&srv, "demo", owner_url, &ops);
        r.expect(403);
        assert!(r.text().contains("mallory"), "{}", r.text());
    }
    // Not a share: refused as malformed.
    post_share(
        &srv,
        "demo",
        owner_url,
        "<CS:set><D:href>/eve/</D:href></CS:set>",
    )
    .expect(400);
    // A body beyond the bound is never taken as a share.
    let huge = cs_set("/eve/", "read").repeat(1000);
    let status = post_share(&srv, "demo", owner_url, &huge).status;
    assert!((400..500).contains(&status), "{status}");
    assert_eq!(
        before,
        std::fs::read(settings(&srv)).unwrap(),
        "nothing written"
    );
    assert!(!lists_view(&srv, "eve"));

    // An absolute principal URL shares too; CS:remove unshares at once.
    post_share(&srv, "demo", owner_url, &cs_set(&srv.url("/eve/"), "read")).expect(200);
    assert!(lists_view(&srv, "eve"));
    let ops = cs_remove("/carol/") + &cs_remove("mailto:eve@example.org");
    post_share(&srv, "demo", owner_url, &ops).expect(200);
    assert!(!lists_view(&srv, "carol") && !lists_view(&srv, "eve"));
    as_user(&srv, "carol", "GET", &format!("{view}focus-time.ics"))
        .fetch()
        .expect(404);
    let text = std::fs::read_to_string(settings(&srv)).unwrap();
    assert!(!text.contains("carol") && !text.contains("eve"), "{text}");
    assert!(text.contains("alice = \"read-write\""), "{text}");
    assert!(text.contains("timezone = \"Europe/Berlin\""), "{text}");
    // The last sharee goes: no longer shared.
    post_share(&srv, "demo", owner_url, &cs_remove("/alice/")).expect(200);
    let ms = propfind_as(&srv, "demo", owner_url, "0", &SHARING_PROPS).multistatus();
    assert!(ms.responses[0]
        .ok(DAV, "resourcetype")
        .child(CS, "shared-owner")
        .is_none());
}

/// An address book is shared by `CS:share` alike, into `.addressbook.toml`.
#[test]
fn the_calendarserver_protocol_shares_an_address_book() {
    let srv = start("");
    post_share(&srv, "demo", "/demo/contacts/", &cs_set("/carol/", "read")).expect(200);
    let text = std::fs::read_to_string(srv.file("demo/contacts/.addressbook.toml")).unwrap();
    assert!(text.contains("carol = \"read\""), "{text}");
    let view = "/carol/demo--contacts/";
    assert!(home_members(&srv, "carol").contains(view));
    let ms = propfind_as(&srv, "carol", view, "0", &SHARING_PROPS).multistatus();
    let rt = ms.responses[0].ok(DAV, "resourcetype");
    assert!(rt.child(CS, "shared").is_some());
    assert!(rt
        .child("urn:ietf:params:xml:ns:carddav", "addressbook")
        .is_some());
}

fn proppatch_as(srv: &Server, user: &str, path: &str, ops: &str) -> Resp {
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:C="{CALDAV}" xmlns:I="{ICAL}">{ops}</D:propertyupdate>"#
    );
    as_user(srv, user, "PROPPATCH", path)
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(body)
        .fetch()
}

/// (displayname, calendar-color, calendar-order) as `user` sees `path`.
fn own_props(srv: &Server, user: &str, path: &str) -> (String, String, String) {
    let props = [
        (DAV, "displayname"),
        (ICAL, "calendar-color"),
        (ICAL, "calendar-order"),
    ];
    let ms = propfind_as(srv, user, path, "0", &props).multistatus();
    let r = &ms.responses[0];
    let text = |ns, name| {
        r.prop(ns, name)
            .map(|p| p.text().to_string())
            .unwrap_or_default()
    };
    (
        text(DAV, "displayname"),
        text(ICAL, "calendar-color"),
        text(ICAL, "calendar-order"),
    )
}

/// A sharee's PROPPATCH of the display name, colour and order of his view
/// is his own: kept in `.views.toml` of his home, shown to him over the
/// owner's, and nothing of the owner's (or another sharee's) changes.
#[test]
fn a_sharee_keeps_his_own_name_colour_and_order() {
    let srv = start(TABLE);
    assert!(wait_until(10, || lists_view(&srv, "carol")
        && lists_view(&srv, "alice")));
    let carol = format!("/carol/{VIEW}/");
    let alice = format!("/alice/{VIEW}/");
    let owners = own_props(&srv, "demo", "/demo/work/");
    let alices = own_props(&srv, "alice", &alice);
    let before = tree_fingerprint(&srv.file("demo"));

    // Carol reads only, yet her own settings are hers to set.
    let set = "<D:set><D:prop><D:displayname>Demo's work</D:displayname>\
               <I:calendar-color>#00FF00</I:calendar-color>\
               <I:calendar-order>7</I:calendar-order></D:prop></D:set>";
    let ms = proppatch_as(&srv, "carol", &carol, set).multistatus();
    for name in [
        (DAV, "displayname"),
        (ICAL, "calendar-color"),
        (ICAL, "calendar-order"),
    ] {
        assert_eq!(
            ms.responses[0].status_of(name.0, name.1),
            Some(200),
            "{name:?}"
        );
    }
    assert_eq!(
        own_props(&srv, "carol", &carol),
        ("Demo's work".into(), "#00FF00FF".into(), "7".into())
    );
    let file = srv.file("carol/.views.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("[demo--work]"), "{text}");
    assert!(text.contains("displayname = \"Demo's work\""), "{text}");
    assert!(text.contains("order = 7"), "{text}");
    // The owner's and alice's are as they were; nothing of demo's changed.
    assert_eq!(own_props(&srv, "demo", "/demo/work/"), owners);
    assert_eq!(own_props(&srv, "alice", &alice), alices);
    assert_eq!(before, tree_fingerprint(&srv.file("demo")));
    // The file is no collection of her home.
    let members = home_members(&srv, "carol");
    assert!(members.iter().all(|h| !h.contains("views")), "{members:?}");

    // The owner's other properties stay his, even beside her own.
    let mixed = "<D:set><D:prop><D:displayname>Mixed</D:displayname>\
                 <C:calendar-description>No</C:calendar-description></D:prop></D:set>";
    for user in ["carol", "alice"] {
        let view = format!("/{user}/{VIEW}/");
        proppatch_as(&srv, user, &view, mixed)
            .expect(403)
            .expect_condition(DAV, "need-privileges");
    }
    assert_eq!(
        text,
        std::fs::read_to_string(&file).unwrap(),
        "nothing written"
    );
    assert_eq!(own_props(&srv, "alice", &alice), alices);

    // A hand edit of her file applies at once; a remove falls back to the owner's.
    std::fs::write(&file, text.replace("Demo's work", "By hand")).unwrap();
    assert_eq!(own_props(&srv, "carol", &carol).0, "By hand");
    let remove = "<D:remove><D:prop><D:displayname/></D:prop></D:remove>";
    proppatch_as(&srv, "carol", &carol, remove).expect(207);
    assert_eq!(
        own_props(&srv, "carol", &carol),
        (alices.0.clone(), "#00FF00FF".into(), "7".into())
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("# Your own display name"),
        "comments kept: {text}"
    );

    // A broken file is logged and ignored: the owner's settings show, and
    // a PROPPATCH never overwrites it.
    std::fs::write(&file, "[demo--work\ncolor = ").unwrap();
    assert_eq!(own_props(&srv, "carol", &carol), alices);
    let r = proppatch_as(&srv, "carol", &carol, set);
    assert!(r.status >= 400, "{}", r.status);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "[demo--work\ncolor = "
    );
    assert!(srv.log().contains(".views.toml"), "{}", srv.log());
    std::fs::write(&file, text).unwrap();

    // Revoked, her table stays harmlessly; shared again, it applies again.
    share(&srv, "alice = \"read-write\"\n");
    assert!(wait_until(10, || !lists_view(&srv, "carol")));
    assert!(file.exists());
    share(&srv, "carol = \"read\"\n");
    assert!(wait_until(10, || lists_view(&srv, "carol")));
    assert_eq!(own_props(&srv, "carol", &carol).1, "#00FF00FF");

    // An address book's view takes its own name alike.
    post_share(&srv, "demo", "/demo/contacts/", &cs_set("/carol/", "read")).expect(200);
    let book = "/carol/demo--contacts/";
    let set = "<D:set><D:prop><D:displayname>Their contacts</D:displayname></D:prop></D:set>";
    proppatch_as(&srv, "carol", book, set).expect(207);
    assert_eq!(own_props(&srv, "carol", book).0, "Their contacts");
    let owner_book = own_props(&srv, "demo", "/demo/contacts/").0;
    assert_ne!(owner_book, "Their contacts");
}
