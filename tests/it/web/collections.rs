//! Creating and editing calendars and address books from the page: the
//! files appear as MKCOL and PROPPATCH would write them.

use super::browser::*;
use crate::common::*;

/// A vdir metadata file's text (the store ends it with a newline).
fn meta(srv: &Server, dir: &str, file: &str) -> String {
    String::from_utf8(srv.read(&format!("{dir}/{file}")))
        .unwrap()
        .trim_end()
        .to_string()
}

#[test]
fn create_rename_recolour_and_describe() {
    let srv = Server::sample();
    let mut b = Browser::new(&srv);
    b.login("demo", "demo").expect(303);
    b.submit(
        "/.web/c",
        &[
            ("kind", "calendar"),
            ("displayname", "Family Events"),
            ("color", "#3a6ea5"),
            ("description", "<b>Birthdays</b> & more"),
        ],
    )
    .expect(303);
    let dir = "demo/family-events";
    assert_eq!(meta(&srv, dir, "displayname"), "Family Events");
    assert_eq!(meta(&srv, dir, "color"), "#3a6ea5");
    let page = b.get("/.web/").text();
    assert!(page.contains("Family Events"));
    assert!(
        page.contains("Birthdays") && !page.contains("<b>Birthdays"),
        "escaped"
    );
    assert!(page.contains("webcal://127.0.0.1:"), "subscription URL");
    // The same name again gets a fresh id rather than failing.
    b.submit(
        "/.web/c",
        &[("kind", "calendar"), ("displayname", "Family Events")],
    )
    .expect(303);
    assert!(srv.file("demo/family-events-2").is_dir());
    b.submit(
        "/.web/c/family-events/edit",
        &[
            ("displayname", "Household"),
            ("color", "#aa0000"),
            ("description", ""),
        ],
    )
    .expect(303);
    assert_eq!(meta(&srv, dir, "displayname"), "Household");
    assert_eq!(meta(&srv, dir, "color"), "#aa0000");
    assert!(!srv.file(&format!("{dir}/description")).exists());
    // DAV clients see the page's changes.
    let props = srv.props(
        "/demo/family-events/",
        &[(DAV, "displayname"), (ICAL, "calendar-color")],
    );
    assert_eq!(props.single().ok(DAV, "displayname").text, "Household");
    b.submit(
        "/.web/c/family-events/edit",
        &[("displayname", "X"), ("color", "not a colour")],
    )
    .expect(400);
}

#[test]
fn an_address_book_is_made_with_its_marker() {
    let srv = Server::sample();
    let mut b = Browser::new(&srv);
    b.login("demo", "demo").expect(303);
    b.submit(
        "/.web/c",
        &[
            ("kind", "addressbook"),
            ("displayname", "Friends"),
            ("id", "friends"),
        ],
    )
    .expect(303);
    assert!(srv.file("demo/friends/.addressbook.toml").exists());
    let page = b.get("/.web/").text();
    assert!(page.contains("CardDAV URL"));
    b.submit(
        "/.web/c",
        &[
            ("kind", "addressbook"),
            ("displayname", "Friends"),
            ("id", "friends"),
        ],
    )
    .expect(409);
    b.submit(
        "/.web/c",
        &[
            ("kind", "calendar"),
            ("displayname", "x"),
            ("id", ".hidden"),
        ],
    )
    .expect(400);
}

/// Changes made from the page reach the `hook` (a git-commit hook misses
/// none), named as the DAV method that would have made them.
#[test]
fn the_hook_hears_of_page_changes() {
    let hook = r#"hook = 'echo "$DAVDIR_METHOD|$DAVDIR_USER|$DAVDIR_COLLECTION|$DAVDIR_PATHS" >> ../hook.log'"#;
    let srv = Server::start(Options {
        config: Some(format!("{hook}\n")),
        ..Options::default()
    });
    let log = srv.data.parent().unwrap().join("hook.log");
    let mut b = Browser::new(&srv);
    b.login("demo", "demo").expect(303);
    b.submit(
        "/.web/c",
        &[("kind", "calendar"), ("displayname", "Hooked")],
    )
    .expect(303);
    b.submit(
        "/.web/c/hooked/edit",
        &[
            ("displayname", "Hooked 2"),
            ("color", "#aa0000"),
            ("description", ""),
        ],
    )
    .expect(303);
    b.submit("/.web/c/hooked/delete", &[("confirm", "yes")])
        .expect(303);
    let expected = [
        "MKCOL|demo|hooked|demo/hooked",
        "PROPPATCH|demo|hooked|demo/hooked",
        "DELETE|demo|hooked|demo/hooked",
    ];
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        wait_until(10, || read().lines().count() >= expected.len()),
        "hook log: {}",
        read()
    );
    let lines: Vec<String> = read().lines().map(str::to_string).collect();
    assert_eq!(lines, expected);
}
