//! COPY and MOVE (RFC 4918 §9.8, §9.9; RFC 4791 §5.3.2.1 preconditions) of
//! objects between a user's calendars, and COPY and MOVE of whole calendars.

use crate::common::*;

const SRC: &str = "/demo/work/focus-time.ics";
const SRC_FILE: &str = "demo/work/focus-time.ics";

fn transfer(srv: &Server, method: &str, from: &str, to: &str, overwrite: Option<&str>) -> Resp {
    let mut rb = srv.request(method, from).header("Destination", srv.url(to));
    if let Some(o) = overwrite {
        rb = rb.header("Overwrite", o);
    }
    rb.fetch()
}

/// Puts an object into demo/personal under `name` whose UID differs from SRC's.
fn put_other(srv: &Server, name: &str) -> String {
    let body = event(&format!("other-{name}"), "Placeholder");
    srv.put_ics(&format!("/demo/personal/{name}"), &body)
        .expect(201);
    body
}

#[test]
fn move_object_to_another_calendar_is_201() {
    let srv = Server::sample();
    let bytes = srv.read(SRC_FILE);
    let r = transfer(&srv, "MOVE", SRC, "/demo/personal/moved.ics", None);
    r.expect(201);
    assert!(!srv.file(SRC_FILE).exists(), "source still on disk");
    assert_eq!(srv.read("demo/personal/moved.ics"), bytes);
    srv.get(SRC).expect(404);
    let got = srv.get("/demo/personal/moved.ics");
    got.expect(200);
    assert_eq!(got.body, bytes);
    assert_eq!(got.etag(), Some(sha256_hex(&bytes)));
}

#[test]
fn copy_object_to_another_calendar_is_201_and_keeps_the_source() {
    let srv = Server::sample();
    let bytes = srv.read(SRC_FILE);
    transfer(&srv, "COPY", SRC, "/demo/personal/copied.ics", None).expect(201);
    assert_eq!(srv.read(SRC_FILE), bytes);
    assert_eq!(srv.read("demo/personal/copied.ics"), bytes);
    assert!(srv
        .members("/demo/personal/")
        .contains("/demo/personal/copied.ics"));
    assert!(srv.members("/demo/work/").contains(SRC));
}

/// Puts an edited copy of SRC (its UID, another summary) into demo/personal.
fn put_edited(srv: &Server, name: &str) {
    let uid = uid_of(&String::from_utf8(srv.read(SRC_FILE)).unwrap());
    srv.put_ics(&format!("/demo/personal/{name}"), &event(&uid, "Edited"))
        .expect(201);
}

/// Onto an object of the same UID (onto another UID is a no-uid-conflict,
/// tests/it/conformance.rs).
#[test]
fn move_and_copy_onto_an_existing_object_are_204() {
    let srv = Server::sample();
    let bytes = srv.read(SRC_FILE);
    put_edited(&srv, "target.ics");
    transfer(&srv, "COPY", SRC, "/demo/personal/target.ics", None).expect(204);
    assert_eq!(srv.read("demo/personal/target.ics"), bytes);
    // Out of the way again: the copy holds SRC's UID.
    srv.delete("/demo/personal/target.ics").expect(204);

    put_edited(&srv, "target2.ics");
    transfer(&srv, "MOVE", SRC, "/demo/personal/target2.ics", Some("T")).expect(204);
    assert_eq!(srv.read("demo/personal/target2.ics"), bytes);
    assert!(!srv.file(SRC_FILE).exists());
}

#[test]
fn overwrite_false_on_an_existing_destination_is_412() {
    let srv = Server::sample();
    let bytes = srv.read(SRC_FILE);
    let other = put_other(&srv, "kept.ics");
    for method in ["COPY", "MOVE"] {
        transfer(&srv, method, SRC, "/demo/personal/kept.ics", Some("F")).expect(412);
        assert_eq!(srv.read("demo/personal/kept.ics"), other.as_bytes());
        assert_eq!(srv.read(SRC_FILE), bytes, "{method} touched the source");
    }
}

#[test]
fn move_calendar_renames_the_directory() {
    let srv = Server::sample();
    let before = srv.dir_names("demo/personal");
    let r = transfer(&srv, "MOVE", "/demo/personal/", "/demo/private/", None);
    r.expect(201);
    assert!(!srv.file("demo/personal").exists());
    assert_eq!(srv.dir_names("demo/private"), before);
    let home = srv.members("/demo/");
    assert!(home.contains("/demo/private/") && !home.contains("/demo/personal/"));
    srv.propfind("/demo/personal/", "0", None).expect(404);
    let objects = srv.members("/demo/private/");
    for name in ics_names(&srv.file("demo/private")) {
        assert!(objects.contains(&href("demo", "private", &name)), "{name}");
    }
}

#[test]
fn move_calendar_onto_an_existing_one_replaces_it() {
    let srv = Server::sample();
    let work = srv.dir_names("demo/work");
    transfer(&srv, "MOVE", "/demo/work/", "/demo/personal/", Some("F")).expect(412);
    transfer(&srv, "MOVE", "/demo/work/", "/demo/personal/", None).expect(204);
    assert!(!srv.file("demo/work").exists());
    assert_eq!(srv.dir_names("demo/personal"), work);
    assert!(srv.dir_names("demo").iter().all(|n| !n.starts_with('.')));
    srv.propfind("/demo/work/", "0", None).expect(404);
}

#[test]
fn copy_calendar_duplicates_objects_and_properties() {
    let srv = Server::sample();
    let before = srv.dir_names("demo/work");
    let source_name = srv.read("demo/work/displayname");
    transfer(&srv, "COPY", "/demo/work/", "/demo/work-copy/", None).expect(201);
    // Source untouched, copy byte-identical and served.
    assert_eq!(srv.dir_names("demo/work"), before);
    for name in ics_names(&srv.file("demo/work")) {
        assert_eq!(
            srv.read(&format!("demo/work-copy/{name}")),
            srv.read(&format!("demo/work/{name}"))
        );
        assert!(srv
            .members("/demo/work-copy/")
            .contains(&href("demo", "work-copy", &name)));
    }
    assert_eq!(srv.read("demo/work-copy/displayname"), source_name);
    assert_eq!(
        srv.read("demo/work-copy/.calendar.toml"),
        srv.read("demo/work/.calendar.toml")
    );
    let names = srv.dir_names("demo");
    assert!(
        names.iter().all(|n| !n.starts_with('.')),
        "staging left behind: {names:?}"
    );
    // The copy is a calendar of its own.
    srv.put_ics("/demo/work-copy/extra.ics", &event("copy-extra", "x"))
        .expect(201);
    assert!(!srv.file("demo/work/extra.ics").exists());
}

#[test]
fn copy_calendar_onto_an_existing_one_replaces_it_unless_overwrite_is_f() {
    let srv = Server::sample();
    let personal = srv.dir_names("demo/personal");
    let r = transfer(&srv, "COPY", "/demo/work/", "/demo/personal/", Some("F"));
    r.expect(412);
    assert_eq!(srv.dir_names("demo/personal"), personal);
    transfer(&srv, "COPY", "/demo/work/", "/demo/personal/", Some("T")).expect(204);
    assert_eq!(srv.dir_names("demo/personal"), srv.dir_names("demo/work"));
    assert_eq!(
        srv.members("/demo/personal/").len(),
        srv.members("/demo/work/").len()
    );
    assert!(srv.dir_names("demo").iter().all(|n| !n.starts_with('.')));
}

fn copy_work_with_depth(srv: &Server, to: &str, depth: &str) -> Resp {
    srv.request("COPY", "/demo/work/")
        .header("Destination", srv.url(to))
        .header("Depth", depth)
        .fetch()
}

#[test]
fn copy_calendar_with_depth_0_copies_only_its_properties() {
    let srv = Server::sample();
    copy_work_with_depth(&srv, "/demo/empty-work/", "0").expect(201);
    assert!(ics_names(&srv.file("demo/empty-work")).is_empty());
    assert_eq!(
        srv.read("demo/empty-work/displayname"),
        srv.read("demo/work/displayname")
    );
    assert_eq!(srv.members("/demo/empty-work/").len(), 1);
    copy_work_with_depth(&srv, "/demo/other/", "1").expect(400);
}

#[test]
fn destination_in_another_users_home_is_403() {
    let srv = Server::sample();
    let bytes = srv.read(SRC_FILE);
    let alice_before = srv.dir_names("alice/home");
    for method in ["COPY", "MOVE"] {
        let r = transfer(&srv, method, SRC, "/alice/home/stolen.ics", None);
        r.expect(403);
    }
    let r = transfer(&srv, "MOVE", "/demo/work/", "/alice/work/", None);
    r.expect(403);
    assert_eq!(srv.dir_names("alice/home"), alice_before);
    assert!(!srv.file("alice/work").exists());
    assert_eq!(srv.read(SRC_FILE), bytes);
}

#[test]
fn move_into_a_missing_calendar_is_409() {
    let srv = Server::sample();
    let r = transfer(&srv, "MOVE", SRC, "/demo/nowhere/x.ics", None);
    r.expect(409);
    assert!(srv.file(SRC_FILE).exists());
}

/// RFC 4791 §5.3.2.1: COPY/MOVE targeting a calendar that already has the
/// UID fails with no-uid-conflict naming the existing resource's URL.
#[test]
fn copy_onto_a_used_uid_is_403_no_uid_conflict_with_href() {
    let srv = Server::sample();
    transfer(&srv, "COPY", SRC, "/demo/personal/first.ics", None).expect(201);
    let r = transfer(&srv, "COPY", SRC, "/demo/personal/second.ics", None);
    r.expect(403);
    let cond = r.expect_condition(CALDAV, "no-uid-conflict");
    assert_eq!(cond.hrefs(), vec!["/demo/personal/first.ics".to_string()]);
    assert!(!srv.file("demo/personal/second.ics").exists());
}

#[test]
fn move_renames_an_object_within_its_calendar() {
    let srv = Server::sample();
    let bytes = srv.read(SRC_FILE);
    transfer(&srv, "MOVE", SRC, "/demo/work/renamed.ics", None).expect(201);
    assert!(!srv.file(SRC_FILE).exists());
    assert_eq!(srv.read("demo/work/renamed.ics"), bytes);
}
