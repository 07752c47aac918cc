//! MKCALENDAR (RFC 4791 §5.3.1) and extended MKCOL (RFC 5689): a calendar is
//! a directory in the user's home, its initial properties vdir files and
//! `.calendar.toml`.

use crate::common::*;

#[test]
fn mkcalendar_with_initial_properties_creates_the_directory() {
    let srv = Server::sample();
    let body = r#"<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:ICAL="http://apple.com/ns/ical/">
  <D:set><D:prop>
    <D:displayname>Chores</D:displayname>
    <C:calendar-description>Things to do</C:calendar-description>
    <ICAL:calendar-color>#AABBCCFF</ICAL:calendar-color>
    <C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>"#;
    let r = srv.mkcalendar("/demo/chores/", Some(body));
    r.expect(201);
    let dir = srv.file("demo/chores");
    assert!(dir.is_dir());
    assert_eq!(
        std::fs::read_to_string(dir.join("displayname"))
            .unwrap()
            .trim_end(),
        "Chores"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("description"))
            .unwrap()
            .trim_end(),
        "Things to do"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("color"))
            .unwrap()
            .trim_end(),
        "#AABBCC"
    );
    let toml = std::fs::read_to_string(dir.join(".calendar.toml")).unwrap();
    assert!(
        toml.contains("components") && toml.contains("VTODO"),
        "{toml}"
    );
    assert!(!toml.contains("VEVENT"), "{toml}");

    let ms = srv.props(
        "/demo/chores/",
        &[
            (DAV, "resourcetype"),
            (DAV, "displayname"),
            (CALDAV, "supported-calendar-component-set"),
        ],
    );
    let p = ms.single();
    assert!(p
        .ok(DAV, "resourcetype")
        .child(CALDAV, "calendar")
        .is_some());
    assert_eq!(p.ok(DAV, "displayname").text, "Chores");
    let comps: Vec<&str> = p
        .ok(CALDAV, "supported-calendar-component-set")
        .children_named(CALDAV, "comp")
        .filter_map(|c| c.attr("name"))
        .collect();
    assert_eq!(comps, vec!["VTODO"]);
    assert!(srv.members("/demo/").contains("/demo/chores/"));
}

#[test]
fn mkcalendar_without_body_creates_an_empty_calendar() {
    let srv = Server::sample();
    srv.mkcalendar("/demo/plain/", None).expect(201);
    assert!(srv.file("demo/plain").is_dir());
    assert_eq!(srv.members("/demo/plain/").len(), 1);
}

#[test]
fn mkcalendar_on_existing_calendar_is_405() {
    let srv = Server::sample();
    let before = srv.dir_names("demo/work");
    let r = srv.mkcalendar(
        "/demo/work/",
        Some(r#"<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>Other</D:displayname></D:prop></D:set></C:mkcalendar>"#),
    );
    r.expect(405);
    assert_eq!(srv.dir_names("demo/work"), before);
    assert_eq!(
        std::fs::read_to_string(srv.file("demo/work/displayname"))
            .unwrap()
            .trim_end(),
        "Work"
    );
}

#[test]
fn extended_mkcol_with_calendar_resourcetype_creates_a_calendar() {
    let srv = Server::sample();
    let body = r#"<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:resourcetype><D:collection/><C:calendar/></D:resourcetype>
    <D:displayname>Via MKCOL</D:displayname>
  </D:prop></D:set>
</D:mkcol>"#;
    srv.request("MKCOL", "/demo/viamkcol/")
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(body)
        .fetch()
        .expect(201);
    assert!(srv.file("demo/viamkcol").is_dir());
    let ms = srv.props(
        "/demo/viamkcol/",
        &[(DAV, "resourcetype"), (DAV, "displayname")],
    );
    assert!(ms
        .single()
        .ok(DAV, "resourcetype")
        .child(CALDAV, "calendar")
        .is_some());
    assert_eq!(ms.single().ok(DAV, "displayname").text, "Via MKCOL");
}

#[test]
fn mkcalendar_at_the_wrong_depth_is_403() {
    let srv = Server::sample();
    for path in ["/demo/work/nested/", "/demo/"] {
        let r = srv.mkcalendar(path, None);
        assert_eq!(r.status, 403, "{path}: {}", r.text());
    }
    let r = srv.mkcalendar("/demo/work/nested/", None);
    r.expect_condition(CALDAV, "calendar-collection-location-ok");
    assert!(!srv.file("demo/work/nested").exists());
}
