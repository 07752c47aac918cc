//! Hostile probes of the one error table (src/http/error.rs): each failure
//! gets the status of its kind, whatever the method that meets it, and a
//! refused request changes nothing.

use crate::common::*;

const SRC: &str = "/demo/work/focus-time.ics";
const SRC_FILE: &str = "demo/work/focus-time.ics";

fn transfer(srv: &Server, method: &str, to: &str) -> Resp {
    srv.request(method, SRC)
        .header("Destination", srv.url(to))
        .fetch()
}

/// Asserts a plain-text error body: no DAV:error element, no file system detail.
fn assert_plain(what: &str, r: &Resp) {
    let text = r.text();
    assert!(!text.contains("<D:error"), "{what}: {text}");
    assert!(!text.contains("/demo/"), "{what}: leaks a path: {text}");
}

#[test]
fn bodies_over_the_bound_are_refused_by_kind() {
    let srv = Server::start(Options {
        config: Some("max_resource_size = 1000\n".into()),
        ..Options::default()
    });
    let fence = srv.fence();
    // Beyond the read bound (max_resource_size + 64 KiB): for a PUT the
    // RFC 4791 precondition, for anything else plain 413.
    let displayname = std::fs::read(srv.file("demo/work/displayname")).ok();
    let huge = event("huge", &"x".repeat(70 * 1024));
    let r = srv.put_ics("/demo/work/huge.ics", &huge);
    fence.check("PUT above the read bound", Some(&r));
    r.expect(403);
    r.expect_condition(CALDAV, "max-resource-size");
    assert!(!srv.file("demo/work/huge.ics").exists());

    let body = format!(
        "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:displayname/></D:prop>{}</D:propfind>",
        " ".repeat(70 * 1024)
    );
    let r = srv.propfind("/demo/work/", "0", Some(&body));
    fence.check("PROPFIND above the read bound", Some(&r));
    r.expect(413);
    assert_plain("PROPFIND above the read bound", &r);

    let r = srv.proppatch("/demo/work/", &body.replace("propfind", "propertyupdate"));
    fence.check("PROPPATCH above the read bound", Some(&r));
    r.expect(413);
    assert_plain("PROPPATCH above the read bound", &r);
    assert_eq!(
        std::fs::read(srv.file("demo/work/displayname")).ok(),
        displayname
    );
    srv.assert_no_temp_files("demo/work");
}

#[test]
fn copy_and_move_map_errors_like_every_other_method() {
    let srv = Server::sample();
    let fence = srv.fence();
    let source = srv.read(SRC_FILE);
    std::fs::create_dir(srv.file("demo/personal/dir.ics")).unwrap();
    // (probe, method, destination, status)
    let probes = [
        (
            "into a missing calendar",
            "MOVE",
            "/demo/nowhere/x.ics",
            409,
        ),
        (
            "into a missing calendar",
            "COPY",
            "/demo/nowhere/x.ics",
            409,
        ),
        // A hidden name is no calendar of ours: refused like a PUT there.
        (
            "into a hidden directory",
            "COPY",
            "/demo/.hidden/x.ics",
            403,
        ),
        (
            "into a hidden directory",
            "MOVE",
            "/demo/.hidden/x.ics",
            403,
        ),
        ("into alice's calendar", "COPY", "/alice/home/x.ics", 403),
        ("onto itself", "MOVE", SRC, 412),
        ("object onto a calendar", "COPY", "/demo/personal/", 403),
        // The rename fails in the file system: an I/O error, 500, not 409.
        (
            "onto a directory named like an object",
            "COPY",
            "/demo/personal/dir.ics",
            500,
        ),
    ];
    for (what, method, to, status) in probes {
        let name = format!("{method} {what}");
        let r = transfer(&srv, method, to);
        fence.check(&name, Some(&r));
        assert_eq!(r.status, status, "{name}: {}", r.text());
        if status == 500 {
            assert_plain(&name, &r);
        }
        assert_eq!(srv.read(SRC_FILE), source, "{name}: source changed");
    }
    assert!(!srv.file("demo/.hidden").exists());
    assert!(!srv.file("demo/nowhere").exists());
    assert!(srv.file("demo/personal/dir.ics").is_dir());
}

#[test]
fn existing_and_misplaced_collections_have_fixed_statuses() {
    let srv = Server::sample();
    let fence = srv.fence();
    let r = srv.mkcalendar("/demo/work/", None);
    fence.check("MKCALENDAR on an existing calendar", Some(&r));
    r.expect(405);
    r.expect_condition(DAV, "resource-must-be-null");

    let r = srv.request("MKCOL", "/demo/work/").fetch();
    fence.check("MKCOL on an existing calendar", Some(&r));
    r.expect(405);
    r.expect_condition(DAV, "resource-must-be-null");

    let r = srv.mkcalendar("/demo/work/inner/", None);
    fence.check("MKCALENDAR inside a calendar", Some(&r));
    r.expect(403);
    r.expect_condition(CALDAV, "calendar-collection-location-ok");
    assert!(!srv.file("demo/work/inner").exists());

    let r = srv.mkcalendar("/alice/stolen/", None);
    fence.check("MKCALENDAR in alice's home", Some(&r));
    r.expect(403);
    r.expect_condition(DAV, "need-privileges");

    let r = srv.delete("/demo/");
    fence.check("DELETE of demo's home", Some(&r));
    r.expect(403);
    assert_plain("DELETE of demo's home", &r);
    assert!(srv.file("demo/work").is_dir());
}
