//! Sharing from the web page (issue 26): demo shares `work` with alice
//! through the Share control; the line lands in the `[share]` table (the
//! rest of the file kept), alice sees the view over CalDAV and on her page
//! at once, `davdir share list` prints it, and revoking or her leaving
//! takes it away. Unknown sharees, demo himself, stale forms and other
//! users' posts write nothing.

use std::collections::BTreeSet;

use super::browser::*;
use crate::common::*;

const SETTINGS: &str = "demo/work/.calendar.toml";
const VIEW: &str = "/alice/demo--work/";

/// The sample server with a comment of demo's own at the end of work's
/// settings file (kept by every edit), and carol as a third account.
fn start(config: Option<String>) -> Server {
    let srv = Server::start(Options {
        config,
        ..Options::default()
    });
    let htpasswd = std::fs::read_to_string(srv.htpasswd_path()).unwrap();
    let demo = htpasswd.lines().find(|l| l.starts_with("demo:")).unwrap();
    let more = format!("{htpasswd}carol:{}\n", demo.trim_start_matches("demo:"));
    std::fs::write(srv.htpasswd_path(), more).unwrap();
    let path = srv.file(SETTINGS);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}# kept: demo's note\n")).unwrap();
    srv
}

fn settings(srv: &Server) -> String {
    std::fs::read_to_string(srv.file(SETTINGS)).unwrap()
}

fn logged_in<'s>(srv: &'s Server, user: &str) -> Browser<'s> {
    let mut b = Browser::new(srv);
    b.login(user, user).expect(303);
    b
}

/// The collections alice's home lists at Depth 1 over CalDAV.
fn alice_home(srv: &Server) -> BTreeSet<String> {
    srv.request_as(Some(("alice", "alice")), "PROPFIND", "/alice/")
        .header("Depth", "1")
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(propfind_body(&[(DAV, "resourcetype")]))
        .fetch()
        .multistatus()
        .hrefs()
}

fn share_list(srv: &Server) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_davdir"))
        .args(["share", "list", "--data"])
        .arg(&srv.data)
        .arg("--htpasswd")
        .arg(srv.htpasswd_path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The part of demo's page about one collection.
fn article<'p>(page: &'p str, id: &str) -> &'p str {
    let start = page
        .find(&format!("data-id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id} on the page: {page}"));
    let rest = &page[start..];
    &rest[..rest.find("</article>").unwrap()]
}

#[test]
fn the_owner_shares_sees_the_list_and_revokes() {
    let srv = start(None);
    let demo = logged_in(&srv, "demo");
    assert!(article(&demo.get("/.web/").text(), "work").contains("Not shared."));
    demo.submit(
        "/.web/c/work/share",
        &[("sharee", "alice"), ("access", "read")],
    )
    .expect(303);
    let text = settings(&srv);
    assert!(text.contains("[share]\nalice = \"read\""), "{text}");
    assert!(text.contains("timezone = \"Europe/Berlin\""), "{text}");
    assert!(text.contains("# kept: demo's note"), "{text}");
    // At once, over CalDAV and on the command line.
    assert!(alice_home(&srv).contains(VIEW));
    assert!(share_list(&srv).contains("demo/work\talice\tread\n"));
    let page = demo.get("/.web/").text();
    let work = article(&page, "work");
    assert!(
        work.contains("data-sharee=\"alice\"") && work.contains("read only"),
        "{work}"
    );
    assert!(work.contains("/.web/c/work/revoke"), "a Revoke button");

    // Sharing again changes the access; a second sharee joins.
    demo.submit(
        "/.web/c/work/share",
        &[("sharee", "alice"), ("access", "read-write")],
    )
    .expect(303);
    demo.submit(
        "/.web/c/work/share",
        &[("sharee", "carol"), ("access", "read")],
    )
    .expect(303);
    let listed = share_list(&srv);
    assert!(
        listed.contains("demo/work\talice\tread-write\n"),
        "{listed}"
    );
    assert!(listed.contains("demo/work\tcarol\tread\n"), "{listed}");
    srv.request_as(
        Some(("alice", "alice")),
        "PUT",
        "/alice/demo--work/by-alice.ics",
    )
    .header("Content-Type", "text/calendar; charset=utf-8")
    .body(event("by-alice", "Alice's"))
    .fetch()
    .expect(201);
    assert!(srv.file("demo/work/by-alice.ics").exists());

    demo.submit("/.web/c/work/revoke", &[("sharee", "alice")])
        .expect(303);
    assert!(!alice_home(&srv).contains(VIEW), "revoked at once");
    let text = settings(&srv);
    assert!(!text.contains("alice"), "{text}");
    assert!(text.contains("carol = \"read\""), "{text}");
    assert!(text.contains("# kept: demo's note"), "{text}");
    let page = demo.get("/.web/").text();
    assert!(!article(&page, "work").contains("data-sharee=\"alice\""));
    // An address book is shared the same way, in its own settings file.
    demo.submit(
        "/.web/c/contacts/share",
        &[("sharee", "alice"), ("access", "read")],
    )
    .expect(303);
    let book = String::from_utf8(srv.read("demo/contacts/.addressbook.toml")).unwrap();
    assert!(book.contains("alice = \"read\""), "{book}");
    assert!(alice_home(&srv).contains("/alice/demo--contacts/"));
    // The owner's collection and objects are untouched.
    assert!(srv.file("demo/work/by-alice.ics").exists());
    assert!(srv.file("demo/work/focus-time.ics").exists());
}

#[test]
fn unknown_sharees_oneself_and_bad_forms_write_nothing() {
    let srv = start(None);
    let before = settings(&srv);
    let demo = logged_in(&srv, "demo");
    for (fields, status, says) in [
        (
            vec![("sharee", "nobody"), ("access", "read")],
            400,
            "nobody: no such user",
        ),
        (
            vec![("sharee", "demo"), ("access", "read")],
            400,
            "you cannot share with yourself",
        ),
        (
            vec![("sharee", "@family"), ("access", "read")],
            400,
            "no groups file is configured",
        ),
        (
            vec![("sharee", "alice"), ("access", "write")],
            400,
            "access must be read or read-write",
        ),
        (
            vec![("sharee", " "), ("access", "read")],
            400,
            "is required",
        ),
        (
            vec![("sharee", "../alice"), ("access", "read")],
            400,
            "is not a user name",
        ),
    ] {
        let r = demo.submit("/.web/c/work/share", &fields);
        r.expect(status);
        let page = r.text();
        assert!(page.contains(says), "{fields:?}: {page}");
        assert!(page.contains("role=\"alert\""), "shown as an error");
    }
    // Neither the derived birthday calendar nor a missing one is shared.
    demo.submit(
        "/.web/c/birthdays/share",
        &[("sharee", "alice"), ("access", "read")],
    )
    .expect(403);
    demo.submit(
        "/.web/c/no-such/share",
        &[("sharee", "alice"), ("access", "read")],
    )
    .expect(404);
    assert_eq!(settings(&srv), before);
    assert!(!alice_home(&srv).contains(VIEW));
}

#[test]
fn groups_of_the_groups_file_are_offered_and_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let groups = tmp.path().join("groups");
    std::fs::write(&groups, "family: alice carol demo\n").unwrap();
    let srv = start(Some(format!(
        "groups = {:?}\n",
        groups.display().to_string()
    )));
    let demo = logged_in(&srv, "demo");
    assert!(demo.get("/.web/").text().contains("User or @group"));
    let before = settings(&srv);
    demo.submit(
        "/.web/c/work/share",
        &[("sharee", "@nope"), ("access", "read")],
    )
    .expect(400);
    assert_eq!(settings(&srv), before);
    demo.submit(
        "/.web/c/work/share",
        &[("sharee", "@family"), ("access", "read")],
    )
    .expect(303);
    assert!(settings(&srv).contains("\"@family\" = \"read\""));
    assert!(alice_home(&srv).contains(VIEW));
    assert!(article(&demo.get("/.web/").text(), "work").contains("data-sharee=\"@family\""));
    demo.submit("/.web/c/work/revoke", &[("sharee", "@family")])
        .expect(303);
    assert!(!settings(&srv).contains("family"));
    assert!(!alice_home(&srv).contains(VIEW));
}

#[test]
fn a_share_without_this_sessions_token_is_refused() {
    let srv = start(None);
    let demo = logged_in(&srv, "demo");
    demo.submit("/.web/c/work/share", &[("sharee", "carol")])
        .expect(303);
    let before = settings(&srv);
    demo.post(
        "/.web/c/work/share",
        &[("sharee", "alice"), ("access", "read-write")],
    )
    .expect(403);
    // Another session's token (alice's) in demo's post.
    let alice = logged_in(&srv, "alice");
    let theirs = alice.csrf();
    demo.post(
        "/.web/c/work/share",
        &[("csrf", theirs.as_str()), ("sharee", "alice")],
    )
    .expect(403);
    demo.post("/.web/c/work/revoke", &[("sharee", "carol")])
        .expect(403);
    assert_eq!(settings(&srv), before);
    assert!(!alice_home(&srv).contains(VIEW));
}

/// Only the owner shares: alice's crafted posts for demo's collection, by
/// its name or through her view of it, are not found and write nothing;
/// her page offers no Share, Edit or Delete for it.
#[test]
fn another_user_cannot_share_or_change_the_owners_collection() {
    let srv = start(None);
    let demo = logged_in(&srv, "demo");
    demo.submit(
        "/.web/c/work/share",
        &[("sharee", "alice"), ("access", "read-write")],
    )
    .expect(303);
    let before = settings(&srv);
    let alice = logged_in(&srv, "alice");
    let page = alice.get("/.web/").text();
    for action in ["share", "revoke", "edit", "delete"] {
        assert!(
            !page.contains(&format!("/.web/c/demo--work/{action}\"")),
            "alice is offered {action}: {page}"
        );
    }
    for id in ["work", "demo--work"] {
        for (action, fields) in [
            ("share", vec![("sharee", "carol"), ("access", "read")]),
            ("revoke", vec![("sharee", "alice")]),
            ("edit", vec![("displayname", "Mine")]),
            ("delete", vec![("confirm", "yes")]),
            ("delete", vec![]),
        ] {
            alice
                .submit(&format!("/.web/c/{id}/{action}"), &fields)
                .expect(404);
        }
    }
    // The owner's own collection is not "left" either.
    demo.submit("/.web/c/work/leave", &[("confirm", "yes")])
        .expect(404);
    assert_eq!(settings(&srv), before);
    assert!(srv.file("demo/work/focus-time.ics").exists());
    assert!(alice_home(&srv).contains(VIEW));
    assert_eq!(
        String::from_utf8(srv.read("demo/work/displayname")).unwrap(),
        "Work\n"
    );
}

/// The sharee's page lists what is shared with him, with owner and access,
/// apart from his own; leaving asks first, then removes only his line.
#[test]
fn the_sharee_sees_the_share_and_leaves_it() {
    let srv = start(None);
    let demo = logged_in(&srv, "demo");
    demo.submit(
        "/.web/c/work/share",
        &[("sharee", "alice"), ("access", "read")],
    )
    .expect(303);
    demo.submit(
        "/.web/c/work/share",
        &[("sharee", "carol"), ("access", "read-write")],
    )
    .expect(303);
    let alice = logged_in(&srv, "alice");
    let page = alice.get("/.web/").text();
    let shared = &page[page.find("id=\"shared\"").expect("a Shared section")..];
    let view = article(shared, "demo--work");
    assert!(view.contains("data-owner=\"demo\""), "{view}");
    assert!(view.contains("read only"), "{view}");
    assert!(view.contains("127.0.0.1:") && view.contains(VIEW));
    assert!(view.contains("/.web/c/demo--work/leave"));
    // Not among her own collections.
    let own = &page[..page.find("id=\"shared\"").unwrap()];
    assert!(!own.contains("demo--work"), "{own}");
    // The view can be exported like her own.
    let export = alice.get("/.web/c/demo--work/export");
    export.expect(200);
    assert!(export.text().contains("BEGIN:VCALENDAR"));
    // demo sees nothing shared with him.
    assert!(!demo.get("/.web/").text().contains("id=\"shared\""));

    let before = settings(&srv);
    alice
        .post("/.web/c/demo--work/leave", &[("confirm", "yes")])
        .expect(403);
    let ask = alice.submit("/.web/c/demo--work/leave", &[]);
    ask.expect(200);
    assert!(ask.text().contains("name=\"confirm\" value=\"yes\""));
    assert_eq!(settings(&srv), before, "nothing before the confirmation");
    alice
        .submit("/.web/c/demo--work/leave", &[("confirm", "yes")])
        .expect(303);
    let text = settings(&srv);
    assert!(!text.contains("alice"), "{text}");
    assert!(text.contains("carol = \"read-write\""), "{text}");
    assert!(text.contains("# kept: demo's note"), "{text}");
    assert!(!alice_home(&srv).contains(VIEW));
    assert!(!alice.get("/.web/").text().contains("demo--work"));
    assert!(srv.file("demo/work/focus-time.ics").exists());
    alice
        .submit("/.web/c/demo--work/leave", &[("confirm", "yes")])
        .expect(404);
}
