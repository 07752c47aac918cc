//! OPTIONS and PROPFIND (RFC 4918, RFC 4791, RFC 5397, RFC 6578 properties).

use crate::common::*;

const WORK_OBJECT: &str = "/demo/work/team-weekly-sync.ics";

/// Every kind of resource: root, home, calendar, object.
const RESOURCES: [&str; 4] = ["/", "/demo/", "/demo/work/", WORK_OBJECT];

fn tokens(header: &str) -> Vec<String> {
    header.split(',').map(|t| t.trim().to_string()).collect()
}

#[test]
fn options_advertises_dav_classes_and_methods() {
    let srv = Server::sample();
    for path in RESOURCES {
        let r = srv.request("OPTIONS", path).fetch();
        r.expect(200);
        let dav = tokens(
            &r.header("dav")
                .unwrap_or_else(|| panic!("{path}: no DAV header")),
        );
        for class in ["1", "3", "calendar-access"] {
            assert!(
                dav.contains(&class.to_string()),
                "{path}: DAV {dav:?} lacks {class}"
            );
        }
        let allow: Vec<String> = tokens(&r.header("allow").expect("Allow header"))
            .into_iter()
            .map(|m| m.to_ascii_uppercase())
            .collect();
        for m in [
            "OPTIONS",
            "GET",
            "HEAD",
            "PUT",
            "DELETE",
            "PROPFIND",
            "PROPPATCH",
            "MKCALENDAR",
            "COPY",
            "MOVE",
            "REPORT",
        ] {
            assert!(
                allow.contains(&m.to_string()),
                "{path}: Allow {allow:?} lacks {m}"
            );
        }
    }
}

#[test]
fn propfind_depth0_returns_only_the_resource_with_its_type() {
    let srv = Server::sample();
    let expected: [(&str, &[(&str, &str)]); 4] = [
        ("/", &[(DAV, "collection")]),
        ("/demo/", &[(DAV, "collection"), (DAV, "principal")]),
        ("/demo/work/", &[(DAV, "collection"), (CALDAV, "calendar")]),
        (WORK_OBJECT, &[]),
    ];
    for (path, types) in expected {
        let ms = srv.props(path, &[(DAV, "resourcetype")]);
        let r = ms.single();
        assert_eq!(r.href, path);
        let rt = r.ok(DAV, "resourcetype");
        let mut got: Vec<(String, String)> = rt
            .children
            .iter()
            .map(|c| (c.ns.to_string(), c.name.to_string()))
            .collect();
        got.sort();
        let mut want: Vec<(String, String)> = types
            .iter()
            .map(|(n, l)| (n.to_string(), l.to_string()))
            .collect();
        want.sort();
        assert_eq!(got, want, "{path}: resourcetype");
    }
}

#[test]
fn propfind_depth1_lists_the_members() {
    let srv = Server::sample();
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    assert_eq!(srv.members("/"), set(&["/", "/demo/"]));
    assert_eq!(
        srv.members("/demo/"),
        set(&[
            "/demo/",
            "/demo/birthdays/",
            "/demo/contacts/",
            "/demo/personal/",
            "/demo/work/"
        ])
    );
    let mut want: std::collections::BTreeSet<String> = ics_names(&sample_dir().join("demo/work"))
        .into_iter()
        .map(|n| href("demo", "work", &n))
        .collect();
    assert!(want.len() >= 5, "sample calendar unexpectedly small");
    want.insert("/demo/work/".into());
    assert_eq!(srv.members("/demo/work/"), want);
    assert_eq!(srv.members(WORK_OBJECT), set(&[WORK_OBJECT]));
}

#[test]
fn propfind_depth_infinity_is_refused() {
    let srv = Server::sample();
    let r = srv.propfind(
        "/demo/",
        "infinity",
        Some(&propfind_body(&[(DAV, "displayname")])),
    );
    r.expect(403);
    r.expect_condition(DAV, "propfind-finite-depth");
}

#[test]
fn propfind_without_depth_is_refused_as_infinity() {
    let srv = Server::sample();
    let r = srv
        .request("PROPFIND", "/demo/")
        .body(propfind_body(&[(DAV, "displayname")]))
        .fetch();
    r.expect(403);
    r.expect_condition(DAV, "propfind-finite-depth");
}

#[test]
fn propfind_allprop_and_empty_body_return_live_values() {
    let srv = Server::sample();
    let allprop = r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>"#;
    for body in [Some(allprop), None] {
        let ms = srv.propfind("/demo/work/", "1", body).multistatus();
        let cal = ms.get("/demo/work/");
        assert_eq!(cal.ok(DAV, "displayname").text, "Work");
        assert!(cal
            .ok(DAV, "resourcetype")
            .child(CALDAV, "calendar")
            .is_some());
        assert!(!cal.ok(CS, "getctag").text.is_empty());
        let obj = ms.get(WORK_OBJECT);
        let file = srv.read("demo/work/team-weekly-sync.ics");
        assert_eq!(
            obj.ok(DAV, "getetag").text,
            format!("\"{}\"", sha256_hex(&file))
        );
        assert_eq!(obj.ok(DAV, "getcontentlength").text, file.len().to_string());
        // Every reported property carries a value-bearing 200 propstat only.
        for r in &ms.responses {
            assert!(
                r.props.iter().all(|p| p.status == 200),
                "allprop on {} reported failures: {:?}",
                r.href,
                r.props
            );
        }
    }
}

#[test]
fn propfind_propname_lists_names_without_values() {
    let srv = Server::sample();
    let body = r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>"#;
    let ms = srv.propfind(WORK_OBJECT, "0", Some(body)).multistatus();
    let r = ms.single();
    for (ns, name) in [
        (DAV, "resourcetype"),
        (DAV, "getetag"),
        (DAV, "getcontenttype"),
        (DAV, "getcontentlength"),
        (DAV, "getlastmodified"),
    ] {
        let el = r.ok(ns, name);
        assert!(
            el.children.is_empty() && el.text.trim().is_empty(),
            "propname must not carry values: {el:?}"
        );
    }
}

/// RFC 4918 §9.1: propname lists the properties defined on the resource, so
/// each listed name must then be retrievable (not 404) with a prop request.
#[test]
fn propfind_propname_lists_only_properties_that_exist() {
    let srv = Server::sample();
    srv.mkcalendar("/demo/bare/", None).expect(201);
    let body = r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>"#;
    for path in ["/demo/", "/demo/bare/", WORK_OBJECT] {
        let ms = srv.propfind(path, "0", Some(body)).multistatus();
        let names: Vec<(String, String)> = ms
            .single()
            .props
            .iter()
            .map(|p| (p.el.ns.to_string(), p.el.name.to_string()))
            .collect();
        let refs: Vec<(&str, &str)> = names
            .iter()
            .map(|(n, l)| (n.as_str(), l.as_str()))
            .collect();
        let values = srv.props(path, &refs);
        let missing: Vec<String> = values
            .single()
            .props
            .iter()
            .filter(|p| p.status != 200)
            .map(|p| format!("{{{}}}{} -> {}", p.el.ns, p.el.name, p.status))
            .collect();
        assert!(
            missing.is_empty(),
            "{path}: propname advertised properties that PROPFIND does not return: {missing:?}"
        );
    }
}

#[test]
fn propfind_unknown_property_is_404_beside_known_ones() {
    let srv = Server::sample();
    let ms = srv.props(
        "/demo/work/",
        &[(DAV, "displayname"), ("urn:example:nope", "no-such-thing")],
    );
    let r = ms.single();
    assert_eq!(r.ok(DAV, "displayname").text, "Work");
    assert_eq!(r.status_of("urn:example:nope", "no-such-thing"), Some(404));
    // An object has no displayname, calendar-color or getctag.
    let ms = srv.props(WORK_OBJECT, &[(DAV, "getetag"), (ICAL, "calendar-color")]);
    let r = ms.single();
    assert_eq!(r.status_of(DAV, "getetag"), Some(200));
    assert_eq!(r.status_of(ICAL, "calendar-color"), Some(404));
}

#[test]
fn current_user_principal_on_every_resource() {
    let srv = Server::sample();
    for path in RESOURCES {
        let ms = srv.props(path, &[(DAV, "current-user-principal")]);
        assert_eq!(
            ms.single().ok(DAV, "current-user-principal").hrefs(),
            vec!["/demo/".to_string()],
            "{path}"
        );
    }
    // The principal depends on who asks.
    let r = srv
        .request_as(Some(("alice", "alice")), "PROPFIND", "/")
        .header("Depth", "0")
        .body(propfind_body(&[(DAV, "current-user-principal")]))
        .fetch()
        .multistatus();
    assert_eq!(
        r.single().ok(DAV, "current-user-principal").hrefs(),
        vec!["/alice/".to_string()]
    );
}

#[test]
fn principal_properties_of_the_home() {
    let srv = Server::sample();
    let ms = srv.props(
        "/demo/",
        &[
            (DAV, "principal-URL"),
            (DAV, "principal-collection-set"),
            (DAV, "owner"),
            (CALDAV, "calendar-home-set"),
            (CALDAV, "calendar-user-address-set"),
            (DAV, "current-user-privilege-set"),
            (DAV, "supported-report-set"),
        ],
    );
    let r = ms.single();
    assert_eq!(r.ok(DAV, "principal-URL").hrefs(), vec!["/demo/"]);
    assert_eq!(r.ok(DAV, "principal-collection-set").hrefs(), vec!["/"]);
    assert_eq!(r.ok(DAV, "owner").hrefs(), vec!["/demo/"]);
    assert_eq!(r.ok(CALDAV, "calendar-home-set").hrefs(), vec!["/demo/"]);
    assert!(!r.ok(CALDAV, "calendar-user-address-set").hrefs().is_empty());
    assert!(r
        .ok(DAV, "supported-report-set")
        .children
        .iter()
        .all(|c| c.is(DAV, "supported-report")));
    let privs = privileges(r.ok(DAV, "current-user-privilege-set"));
    assert!(privs.contains(&"read".to_string()), "{privs:?}");
    // The root is readable and names the principal collection too.
    let ms = srv.props(
        "/",
        &[
            (DAV, "principal-collection-set"),
            (DAV, "current-user-privilege-set"),
        ],
    );
    assert_eq!(
        ms.single().ok(DAV, "principal-collection-set").hrefs(),
        vec!["/"]
    );
    assert!(privileges(ms.single().ok(DAV, "current-user-privilege-set")).contains(&"read".into()));
}

fn privileges(set: &Element) -> Vec<String> {
    set.children_named(DAV, "privilege")
        .flat_map(|p| p.children.iter().map(|c| c.name.to_string()))
        .collect()
}

fn reports(set: &Element) -> Vec<String> {
    set.children_named(DAV, "supported-report")
        .filter_map(|s| s.child(DAV, "report"))
        .flat_map(|r| r.children.iter().map(|c| format!("{{{}}}{}", c.ns, c.name)))
        .collect()
}

#[test]
fn calendar_live_properties() {
    let srv = Server::sample();
    let ms = srv.props(
        "/demo/work/",
        &[
            (DAV, "displayname"),
            (DAV, "owner"),
            (DAV, "current-user-privilege-set"),
            (DAV, "supported-report-set"),
            (DAV, "sync-token"),
            (CALDAV, "calendar-description"),
            (CALDAV, "calendar-timezone"),
            (CALDAV, "supported-calendar-component-set"),
            (CALDAV, "supported-calendar-data"),
            (CALDAV, "max-resource-size"),
            (ICAL, "calendar-color"),
            (ICAL, "calendar-order"),
            (CS, "getctag"),
        ],
    );
    let r = ms.single();
    assert_eq!(r.ok(DAV, "displayname").text, "Work");
    assert_eq!(r.ok(DAV, "owner").hrefs(), vec!["/demo/"]);
    let privs = privileges(r.ok(DAV, "current-user-privilege-set"));
    for p in ["read", "write"] {
        assert!(privs.contains(&p.to_string()), "{privs:?}");
    }
    let reps = reports(r.ok(DAV, "supported-report-set"));
    for rep in [
        format!("{{{CALDAV}}}calendar-multiget"),
        format!("{{{CALDAV}}}calendar-query"),
        format!("{{{DAV}}}sync-collection"),
    ] {
        assert!(reps.contains(&rep), "{reps:?} lacks {rep}");
    }
    // RFC 6578: the sync token is a URI.
    let token = &r.ok(DAV, "sync-token").text;
    assert!(token.contains(':'), "sync-token {token:?} is not a URI");
    assert_eq!(
        r.ok(CALDAV, "calendar-description").text,
        std::fs::read_to_string(srv.file("demo/work/description"))
            .unwrap()
            .trim_end()
    );
    let tz = &r.ok(CALDAV, "calendar-timezone").text;
    assert!(
        tz.contains("BEGIN:VTIMEZONE") && tz.contains("TZID:Europe/Berlin"),
        "{tz}"
    );
    let comps: Vec<&str> = r
        .ok(CALDAV, "supported-calendar-component-set")
        .children_named(CALDAV, "comp")
        .filter_map(|c| c.attr("name"))
        .collect();
    assert_eq!(comps, vec!["VEVENT", "VTODO", "VJOURNAL"]);
    let data = r.ok(CALDAV, "supported-calendar-data");
    let cd = data
        .child(CALDAV, "calendar-data")
        .expect("calendar-data element");
    assert_eq!(cd.attr("content-type"), Some("text/calendar"));
    assert_eq!(cd.attr("version"), Some("2.0"));
    assert_eq!(r.ok(CALDAV, "max-resource-size").text, "10485760");
    assert_eq!(r.ok(ICAL, "calendar-color").text, "#1565C0FF");
    assert_eq!(r.ok(ICAL, "calendar-order").text, "2");
    assert!(!r.ok(CS, "getctag").text.is_empty());
}

#[test]
fn calendar_color_reports_vdir_colour_with_alpha() {
    let srv = Server::sample();
    std::fs::write(srv.file("demo/personal/color"), "#A1B2C3\n").unwrap();
    let ms = srv.props("/demo/personal/", &[(ICAL, "calendar-color")]);
    assert_eq!(ms.single().ok(ICAL, "calendar-color").text, "#A1B2C3FF");
}

#[test]
fn object_live_properties() {
    let srv = Server::sample();
    let ms = srv.props(
        WORK_OBJECT,
        &[
            (DAV, "getetag"),
            (DAV, "getcontenttype"),
            (DAV, "getcontentlength"),
            (DAV, "getlastmodified"),
            (DAV, "owner"),
            (DAV, "current-user-privilege-set"),
        ],
    );
    let r = ms.single();
    let file = srv.read("demo/work/team-weekly-sync.ics");
    assert_eq!(
        r.ok(DAV, "getetag").text,
        format!("\"{}\"", sha256_hex(&file))
    );
    assert!(
        r.ok(DAV, "getcontenttype")
            .text
            .starts_with("text/calendar"),
        "{:?}",
        r.ok(DAV, "getcontenttype")
    );
    assert_eq!(r.ok(DAV, "getcontentlength").text, file.len().to_string());
    let get = srv.get(WORK_OBJECT);
    get.expect(200);
    assert_eq!(
        Some(r.ok(DAV, "getlastmodified").text.clone()),
        get.header("last-modified"),
        "getlastmodified must match Last-Modified"
    );
    assert!(r.ok(DAV, "getlastmodified").text.ends_with(" GMT"));
    assert_eq!(r.ok(DAV, "owner").hrefs(), vec!["/demo/"]);
    assert!(privileges(r.ok(DAV, "current-user-privilege-set")).contains(&"read".into()));
}

/// RFC 4791 §5.2.2: calendar-timezone is an iCalendar object with one valid
/// VTIMEZONE, and RFC 5545 §3.6.5 requires a STANDARD or DAYLIGHT rule in it.
#[test]
fn calendar_timezone_is_a_complete_vtimezone() {
    let srv = Server::sample();
    let ms = srv.props("/demo/work/", &[(CALDAV, "calendar-timezone")]);
    let tz = ms.single().ok(CALDAV, "calendar-timezone").text.clone();
    assert!(tz.starts_with("BEGIN:VCALENDAR"), "{tz}");
    assert!(
        tz.contains("BEGIN:STANDARD") || tz.contains("BEGIN:DAYLIGHT"),
        "VTIMEZONE without STANDARD/DAYLIGHT observance:\n{tz}"
    );
}

/// RFC 3253 §3.1.5: supported-report-set names the reports the resource
/// supports, so each one advertised must not be refused as unsupported.
#[test]
fn advertised_sync_collection_is_supported() {
    let srv = Server::sample();
    let sync = r#"<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#;
    for path in ["/demo/", "/demo/work/"] {
        let ms = srv.props(path, &[(DAV, "supported-report-set")]);
        let reps = reports(ms.single().ok(DAV, "supported-report-set"));
        if !reps.contains(&format!("{{{DAV}}}sync-collection")) {
            continue;
        }
        let r = srv.report(path, "0", sync);
        assert_eq!(
            r.status,
            207,
            "{path} advertises sync-collection but refuses it:\n{}",
            r.text()
        );
    }
}

#[test]
fn propfind_with_wrong_root_element_is_400() {
    let srv = Server::sample();
    let bodies = [
        // Well-formed, but not a propfind.
        r#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>"#,
        // A propfind without prop, allprop or propname.
        r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:nothing/></D:propfind>"#,
        // propfind in the wrong namespace.
        r#"<?xml version="1.0"?><propfind xmlns="urn:example:not-dav"><prop/></propfind>"#,
    ];
    for body in bodies {
        let r = srv.propfind("/demo/work/", "0", Some(body));
        assert_eq!(r.status, 400, "body {body}\ngot:\n{}", r.text());
    }
}

#[test]
fn propfind_with_non_well_formed_xml_is_400() {
    let srv = Server::sample();
    let bodies = [
        r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop>"#,
        r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop></D:propfind></D:prop>"#,
        r#"<x:propfind><x:allprop/></x:propfind>"#,
        "this is not xml at all",
    ];
    for body in bodies {
        let r = srv.propfind("/demo/work/", "0", Some(body));
        assert_eq!(r.status, 400, "body {body}\ngot:\n{}", r.text());
    }
}

#[test]
fn propfind_on_missing_resource_is_404() {
    let srv = Server::sample();
    for path in ["/demo/nope/", "/demo/work/nope.ics"] {
        let r = srv.propfind(path, "0", Some(&propfind_body(&[(DAV, "getetag")])));
        assert_eq!(r.status, 404, "{path}: {}", r.text());
    }
}
