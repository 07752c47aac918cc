//! PROPPATCH (RFC 4918 §9.2) on calendar collections: vdir metadata files,
//! `.calendar.toml`, dead properties and all-or-nothing semantics.

use crate::common::*;

const NS_DECL: &str = r#"xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:ICAL="http://apple.com/ns/ical/" xmlns:X="urn:example:davdir""#;

fn set(props: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:propertyupdate {NS_DECL}><D:set><D:prop>{props}</D:prop></D:set></D:propertyupdate>"#
    )
}

fn remove(props: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:propertyupdate {NS_DECL}><D:remove><D:prop>{props}</D:prop></D:remove></D:propertyupdate>"#
    )
}

/// PROPPATCH that must succeed: 207 whose only response has 200 for `names`.
#[track_caller]
fn patch_ok(srv: &Server, path: &str, body: &str, names: &[(&str, &str)]) {
    let ms = srv.proppatch(path, body).multistatus();
    let r = ms.single();
    assert_eq!(r.href, path);
    for (ns, name) in names {
        assert_eq!(
            r.status_of(ns, name),
            Some(200),
            "{{{ns}}}{name} in {:#?}",
            r.props
        );
    }
}

fn read_opt(srv: &Server, rel: &str) -> Option<String> {
    std::fs::read_to_string(srv.file(rel)).ok()
}

#[test]
fn displayname_set_and_remove_edit_the_vdir_file() {
    let srv = Server::sample();
    let name = "Büro & <Co>";
    patch_ok(
        &srv,
        "/demo/work/",
        &set("<D:displayname>Büro &amp; &lt;Co&gt;</D:displayname>"),
        &[(DAV, "displayname")],
    );
    assert_eq!(
        read_opt(&srv, "demo/work/displayname")
            .as_deref()
            .map(str::trim_end),
        Some(name)
    );
    let ms = srv.props("/demo/work/", &[(DAV, "displayname")]);
    assert_eq!(ms.single().ok(DAV, "displayname").text, name);

    patch_ok(
        &srv,
        "/demo/work/",
        &remove("<D:displayname/>"),
        &[(DAV, "displayname")],
    );
    assert!(!srv.file("demo/work/displayname").exists());
    let ms = srv.props("/demo/work/", &[(DAV, "displayname")]);
    assert_ne!(
        ms.single().prop(DAV, "displayname").map(|p| p.text()),
        Some(name)
    );
}

#[test]
fn calendar_description_set_and_remove_edit_the_vdir_file() {
    let srv = Server::sample();
    patch_ok(
        &srv,
        "/demo/personal/",
        &set("<C:calendar-description>Family, friends &amp; fun</C:calendar-description>"),
        &[(CALDAV, "calendar-description")],
    );
    assert_eq!(
        read_opt(&srv, "demo/personal/description")
            .as_deref()
            .map(str::trim_end),
        Some("Family, friends & fun")
    );
    let ms = srv.props("/demo/personal/", &[(CALDAV, "calendar-description")]);
    assert_eq!(
        ms.single().ok(CALDAV, "calendar-description").text,
        "Family, friends & fun"
    );
    patch_ok(
        &srv,
        "/demo/personal/",
        &remove("<C:calendar-description/>"),
        &[(CALDAV, "calendar-description")],
    );
    assert!(!srv.file("demo/personal/description").exists());
    let ms = srv.props("/demo/personal/", &[(CALDAV, "calendar-description")]);
    assert_eq!(
        ms.single().status_of(CALDAV, "calendar-description"),
        Some(404)
    );
}

#[test]
fn calendar_color_is_stored_without_alpha() {
    let srv = Server::sample();
    patch_ok(
        &srv,
        "/demo/work/",
        &set("<ICAL:calendar-color>#11223344</ICAL:calendar-color>"),
        &[(ICAL, "calendar-color")],
    );
    assert_eq!(
        read_opt(&srv, "demo/work/color")
            .as_deref()
            .map(str::trim_end),
        Some("#112233")
    );
    let ms = srv.props("/demo/work/", &[(ICAL, "calendar-color")]);
    assert_eq!(ms.single().ok(ICAL, "calendar-color").text, "#112233FF");
    patch_ok(
        &srv,
        "/demo/work/",
        &remove("<ICAL:calendar-color/>"),
        &[(ICAL, "calendar-color")],
    );
    assert!(!srv.file("demo/work/color").exists());
}

#[test]
fn calendar_order_lives_in_calendar_toml() {
    let srv = Server::sample();
    patch_ok(
        &srv,
        "/demo/work/",
        &set("<ICAL:calendar-order>7</ICAL:calendar-order>"),
        &[(ICAL, "calendar-order")],
    );
    let toml = read_opt(&srv, "demo/work/.calendar.toml").unwrap();
    assert!(
        toml.lines().any(|l| l.replace(' ', "") == "order=7"),
        "{toml}"
    );
    // Keys we did not touch survive.
    assert!(toml.contains("timezone = \"Europe/Berlin\""), "{toml}");
    let ms = srv.props("/demo/work/", &[(ICAL, "calendar-order")]);
    assert_eq!(ms.single().ok(ICAL, "calendar-order").text, "7");
    patch_ok(
        &srv,
        "/demo/work/",
        &remove("<ICAL:calendar-order/>"),
        &[(ICAL, "calendar-order")],
    );
    let toml = read_opt(&srv, "demo/work/.calendar.toml").unwrap();
    assert!(!toml.contains("order"), "{toml}");
    let ms = srv.props("/demo/work/", &[(ICAL, "calendar-order")]);
    assert_eq!(ms.single().status_of(ICAL, "calendar-order"), Some(404));
}

#[test]
fn dead_property_is_persisted_and_survives_a_restart() {
    let mut srv = Server::sample();
    patch_ok(
        &srv,
        "/demo/work/",
        &set("<X:flavour>vanilla &amp; cherry</X:flavour>"),
        &[("urn:example:davdir", "flavour")],
    );
    let toml = read_opt(&srv, "demo/work/.calendar.toml").unwrap();
    assert!(toml.contains("[dead]"), "{toml}");
    assert!(toml.contains("{urn:example:davdir}flavour"), "{toml}");

    let check = |srv: &Server| {
        let ms = srv.props("/demo/work/", &[("urn:example:davdir", "flavour")]);
        assert_eq!(
            ms.single().ok("urn:example:davdir", "flavour").text,
            "vanilla & cherry"
        );
    };
    check(&srv);
    // allprop includes dead properties (RFC 4918 §14.2).
    let all = srv
        .propfind(
            "/demo/work/",
            "0",
            Some(r#"<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>"#),
        )
        .multistatus();
    assert_eq!(
        all.single().ok("urn:example:davdir", "flavour").text,
        "vanilla & cherry"
    );

    srv.restart();
    check(&srv);

    patch_ok(
        &srv,
        "/demo/work/",
        &remove("<X:flavour/>"),
        &[("urn:example:davdir", "flavour")],
    );
    let toml = read_opt(&srv, "demo/work/.calendar.toml").unwrap();
    assert!(!toml.contains("flavour"), "{toml}");
    let ms = srv.props("/demo/work/", &[("urn:example:davdir", "flavour")]);
    assert_eq!(
        ms.single().status_of("urn:example:davdir", "flavour"),
        Some(404)
    );
}

/// The files that hold a calendar's collection properties.
fn metadata(srv: &Server, cal: &str) -> Vec<(String, Option<Vec<u8>>)> {
    ["displayname", "description", "color", ".calendar.toml"]
        .iter()
        .map(|f| {
            let rel = format!("demo/{cal}/{f}");
            (f.to_string(), std::fs::read(srv.file(&rel)).ok())
        })
        .collect()
}

#[test]
fn protected_property_fails_the_whole_request() {
    let srv = Server::sample();
    for protected in [
        "<D:getetag>\"x\"</D:getetag>",
        "<D:resourcetype><D:collection/></D:resourcetype>",
    ] {
        let before = metadata(&srv, "work");
        let body = set(&format!(
            "<D:displayname>Changed</D:displayname>\
             <C:calendar-description>Changed</C:calendar-description>\
             <ICAL:calendar-color>#00000000</ICAL:calendar-color>\
             <ICAL:calendar-order>99</ICAL:calendar-order>\
             <X:flavour>changed</X:flavour>{protected}"
        ));
        let ms = srv.proppatch("/demo/work/", &body).multistatus();
        let r = ms.single();
        let protected_name = if protected.contains("getetag") {
            "getetag"
        } else {
            "resourcetype"
        };
        assert_eq!(
            r.status_of(DAV, protected_name),
            Some(403),
            "{:#?}",
            r.props
        );
        for (ns, name) in [
            (DAV, "displayname"),
            (CALDAV, "calendar-description"),
            (ICAL, "calendar-color"),
            (ICAL, "calendar-order"),
            ("urn:example:davdir", "flavour"),
        ] {
            assert_eq!(
                r.status_of(ns, name),
                Some(424),
                "{{{ns}}}{name}: {:#?}",
                r.props
            );
        }
        assert_eq!(
            metadata(&srv, "work"),
            before,
            "files changed by a failed PROPPATCH"
        );
        let ms = srv.props("/demo/work/", &[(DAV, "displayname")]);
        assert_eq!(ms.single().ok(DAV, "displayname").text, "Work");
    }
}

/// RFC 4791 §5.2.2: a client-set calendar-timezone reads back as the
/// iCalendar text it set, also when the zone is not an IANA name.
#[test]
fn calendar_timezone_with_custom_zone_reads_back_as_icalendar() {
    let srv = Server::sample();
    let vtz = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTIMEZONE\r\n\
               TZID:My Office Time\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n\
               TZOFFSETFROM:+0300\r\nTZOFFSETTO:+0300\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
               END:VCALENDAR\r\n";
    patch_ok(
        &srv,
        "/demo/work/",
        &set(&format!("<C:calendar-timezone>{vtz}</C:calendar-timezone>")),
        &[(CALDAV, "calendar-timezone")],
    );
    let ms = srv.props("/demo/work/", &[(CALDAV, "calendar-timezone")]);
    let got = ms.single().ok(CALDAV, "calendar-timezone").text.clone();
    assert!(
        got.trim_start().starts_with("BEGIN:VCALENDAR") && got.contains("TZID:My Office Time"),
        "calendar-timezone is not the iCalendar text that was set:\n{got}"
    );
    // allprop reports the property once, in the CalDAV namespace.
    let all = srv
        .propfind(
            "/demo/work/",
            "0",
            Some(r#"<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>"#),
        )
        .multistatus();
    let count = all
        .single()
        .props
        .iter()
        .filter(|p| p.el.is(CALDAV, "calendar-timezone"))
        .count();
    assert_eq!(
        count, 1,
        "calendar-timezone reported {count} times by allprop"
    );
}

#[test]
fn calendar_timezone_with_iana_zone_is_stored_by_name() {
    let srv = Server::sample();
    let vtz = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTIMEZONE\r\n\
               TZID:Europe/Lisbon\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n\
               TZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
               END:VCALENDAR\r\n";
    patch_ok(
        &srv,
        "/demo/work/",
        &set(&format!("<C:calendar-timezone>{vtz}</C:calendar-timezone>")),
        &[(CALDAV, "calendar-timezone")],
    );
    let toml = read_opt(&srv, "demo/work/.calendar.toml").unwrap();
    assert!(toml.contains("timezone = \"Europe/Lisbon\""), "{toml}");
    let ms = srv.props("/demo/work/", &[(CALDAV, "calendar-timezone")]);
    assert!(ms
        .single()
        .ok(CALDAV, "calendar-timezone")
        .text
        .contains("TZID:Europe/Lisbon"));
}

#[test]
fn invalid_color_is_rejected_and_nothing_changes() {
    let srv = Server::sample();
    let before = metadata(&srv, "work");
    let ms = srv
        .proppatch(
            "/demo/work/",
            &set("<ICAL:calendar-color>not a colour</ICAL:calendar-color><D:displayname>Changed</D:displayname>"),
        )
        .multistatus();
    let r = ms.single();
    let st = r.status_of(ICAL, "calendar-color").unwrap();
    assert!(st == 409 || st == 403, "calendar-color: {st}");
    assert_eq!(r.status_of(DAV, "displayname"), Some(424));
    assert_eq!(metadata(&srv, "work"), before);
}

#[test]
fn proppatch_with_malformed_body_is_400() {
    let srv = Server::sample();
    for body in [
        r#"<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>"#,
        r#"<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>"#,
    ] {
        let r = srv.proppatch("/demo/work/", body);
        assert_eq!(r.status, 400, "{body}: {}", r.text());
    }
}
