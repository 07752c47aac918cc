//! Live properties are declared once (src/http/props): these tests check over
//! HTTP that PROPPATCH, MKCALENDAR/extended MKCOL and PROPFIND all follow the
//! same declarations, and that a refused creation answers with propstats
//! under the method's own root element (RFC 4791 §5.3.1.2, RFC 5689 §5.2).

use std::collections::BTreeMap;

use crate::common::*;

/// Statuses per property in a document whose root holds propstats.
fn propstat_statuses(root: &Element) -> BTreeMap<String, u16> {
    let mut out = BTreeMap::new();
    for ps in root.children_named(DAV, "propstat") {
        let status = status_code(&ps.child(DAV, "status").expect("status").text);
        for p in &ps.child(DAV, "prop").expect("prop").children {
            out.insert(format!("{{{}}}{}", p.ns, p.name), status);
        }
    }
    out
}

#[test]
fn refused_mkcalendar_answers_under_mkcalendar_response() {
    let srv = Server::sample();
    let body = format!(
        r#"<C:mkcalendar xmlns:D="{DAV}" xmlns:C="{CALDAV}"><D:set><D:prop>
<D:displayname>Trips</D:displayname><D:getetag>"x"</D:getetag>
</D:prop></D:set></C:mkcalendar>"#
    );
    let r = srv.mkcalendar("/demo/trips/", Some(&body));
    r.expect(403);
    let root = parse_xml(&r.text()).expect("well-formed answer");
    assert!(root.is(CALDAV, "mkcalendar-response"), "{}", r.text());
    assert!(root.children.iter().all(|c| c.is(DAV, "propstat")));
    let statuses = propstat_statuses(&root);
    assert_eq!(statuses.get("{DAV:}getetag"), Some(&403));
    assert_eq!(statuses.get("{DAV:}displayname"), Some(&424));
    assert!(!srv.file("demo/trips").exists(), "nothing is made");
}

#[test]
fn refused_extended_mkcol_answers_under_mkcol_response() {
    let srv = Server::sample();
    let body = format!(
        r#"<D:mkcol xmlns:D="{DAV}" xmlns:C="{CALDAV}" xmlns:I="{ICAL}"><D:set><D:prop>
<D:resourcetype><D:collection/><C:calendar/></D:resourcetype>
<I:calendar-color>not a colour</I:calendar-color>
</D:prop></D:set></D:mkcol>"#
    );
    let r = srv
        .request("MKCOL", "/demo/trips/")
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(body)
        .fetch();
    r.expect(403);
    let root = parse_xml(&r.text()).expect("well-formed answer");
    assert!(root.is(DAV, "mkcol-response"), "{}", r.text());
    let statuses = propstat_statuses(&root);
    assert_eq!(
        statuses.get(&format!("{{{ICAL}}}calendar-color")),
        Some(&409)
    );
    assert_eq!(statuses.get("{DAV:}resourcetype"), Some(&424));
    assert!(!srv.file("demo/trips").exists(), "nothing is made");
}

/// A property that may only be given at creation is protected afterwards;
/// a computed one is protected always; a writable one is written.
#[test]
fn proppatch_follows_each_declaration() {
    let srv = Server::sample();
    let cases = [
        (DAV, "resourcetype", "<D:collection/>", 403),
        (
            CALDAV,
            "supported-calendar-component-set",
            r#"<C:comp name="VTODO"/>"#,
            403,
        ),
        (DAV, "getetag", "\"x\"", 403),
        (DAV, "sync-token", "t", 403),
        (CS, "getctag", "t", 403),
        (CALDAV, "max-resource-size", "1", 403),
        (DAV, "displayname", "Work things", 200),
        (ICAL, "calendar-order", "3", 200),
        (ICAL, "calendar-order", "third", 409),
    ];
    for (ns, name, value, want) in cases {
        let body = format!(
            r#"<D:propertyupdate xmlns:D="{DAV}" xmlns:C="{CALDAV}"><D:set><D:prop><x:{name} xmlns:x="{ns}">{value}</x:{name}></D:prop></D:set></D:propertyupdate>"#
        );
        let ms = srv.proppatch("/demo/work/", &body).multistatus();
        assert_eq!(
            ms.single().status_of(ns, name),
            Some(want),
            "PROPPATCH {{{ns}}}{name} = {value}"
        );
    }
    let ms = srv.props(
        "/demo/work/",
        &[(DAV, "displayname"), (ICAL, "calendar-order")],
    );
    assert_eq!(
        ms.single().ok(DAV, "displayname").text.trim(),
        "Work things"
    );
    assert_eq!(ms.single().ok(ICAL, "calendar-order").text.trim(), "3");
}

/// calendar-data is an object's live property, but allprop leaves it out
/// (RFC 4791 §9.6) while asking for it by name returns it; the same holds,
/// unchanged from before the declarations, for supported-report-set.
#[test]
fn calendar_data_is_asked_for_by_name_only() {
    let srv = Server::sample();
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:lp-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260102T100000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    srv.put_ics("/demo/work/lp-1.ics", ics).expect(201);
    let all = format!(r#"<D:propfind xmlns:D="{DAV}"><D:allprop/></D:propfind>"#);
    let ms = srv
        .propfind("/demo/work/lp-1.ics", "0", Some(&all))
        .multistatus();
    let res = ms.single();
    assert!(res.prop(CALDAV, "calendar-data").is_none());
    // Answered by name on objects, as before, but not listed by allprop.
    assert!(res.prop(DAV, "supported-report-set").is_none());
    let by_name = srv.props("/demo/work/lp-1.ics", &[(DAV, "supported-report-set")]);
    assert_eq!(
        by_name.single().status_of(DAV, "supported-report-set"),
        Some(200)
    );
    assert_eq!(res.status_of(DAV, "getetag"), Some(200));
    let named = srv.props("/demo/work/lp-1.ics", &[(CALDAV, "calendar-data")]);
    assert!(named
        .single()
        .ok(CALDAV, "calendar-data")
        .text
        .contains("UID:lp-1"));
}
