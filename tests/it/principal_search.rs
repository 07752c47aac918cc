//! Principal search over HTTP (RFC 3744 §9.4 principal-property-search and
//! §9.5 principal-search-property-set), as Thunderbird, Evolution and python
//! caldav send it: a user finds their own principal by (part of) its display
//! name; other users only when `principal_search = "all"`.

use std::collections::BTreeSet;

use crate::common::*;

/// A principal-property-search for `text` in DAV:displayname.
fn search(text: &str, extra: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<D:principal-property-search xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:property-search><D:prop><D:displayname/></D:prop><D:match>{text}</D:match></D:property-search>
  {extra}
  <D:prop><D:displayname/><C:calendar-home-set/><C:calendar-user-address-set/><D:current-user-privilege-set/></D:prop>
</D:principal-property-search>"#
    )
}

fn found(srv: &Server, path: &str, body: &str) -> BTreeSet<String> {
    srv.report(path, "0", body).multistatus().hrefs()
}

#[test]
fn a_user_finds_their_own_principal_by_display_name() {
    let srv = Server::sample();
    let ms = srv.report("/", "0", &search("DEM", "")).multistatus();
    let me = ms.single();
    assert_eq!(me.href, "/demo/");
    assert_eq!(me.ok(DAV, "displayname").text, "demo");
    assert_eq!(me.ok(CALDAV, "calendar-home-set").hrefs(), vec!["/demo/"]);
    assert_eq!(
        me.ok(CALDAV, "calendar-user-address-set").hrefs(),
        vec!["/demo/"]
    );
    me.ok(DAV, "current-user-privilege-set");
    // Substring, from the principal collection or the principal itself.
    let body = search("em", "<D:apply-to-principal-collection-set/>");
    assert_eq!(
        found(&srv, "/demo/", &body),
        BTreeSet::from(["/demo/".into()])
    );
    assert_eq!(found(&srv, "/demo/", &search("mo", "")).len(), 1);
    assert!(found(&srv, "/", &search("nobody", "")).is_empty());
}

#[test]
fn other_users_are_not_found_by_default() {
    let srv = Server::sample();
    // A 207 with only what may be shown: alice is not there.
    assert!(found(&srv, "/", &search("alice", "")).is_empty());
    let everyone = r#"<D:principal-property-search xmlns:D="DAV:"><D:apply-to-principal-collection-set/><D:prop><D:displayname/></D:prop></D:principal-property-search>"#;
    assert_eq!(
        found(&srv, "/", everyone),
        BTreeSet::from(["/demo/".into()])
    );
}

#[test]
fn searching_all_users_is_a_config_choice() {
    let srv = Server::start(Options {
        config: Some("principal_search = \"all\"\n".into()),
        ..Options::default()
    });
    let ms = srv.report("/", "0", &search("ALI", "")).multistatus();
    let alice = ms.single();
    assert_eq!(alice.href, "/alice/");
    assert_eq!(alice.ok(DAV, "displayname").text, "alice");
    assert_eq!(
        alice.ok(CALDAV, "calendar-home-set").hrefs(),
        vec!["/alice/"]
    );
    // Another user's privileges are not shown to the searcher.
    assert_eq!(
        alice.status_of(DAV, "current-user-privilege-set"),
        Some(404)
    );
    let any = r#"<D:principal-property-search xmlns:D="DAV:" test="anyof">
      <D:property-search><D:prop><D:displayname/></D:prop><D:match>alice</D:match></D:property-search>
      <D:property-search><D:prop><D:displayname/></D:prop><D:match>demo</D:match></D:property-search>
      <D:prop><D:displayname/></D:prop></D:principal-property-search>"#;
    assert_eq!(
        found(&srv, "/", any),
        BTreeSet::from(["/alice/".into(), "/demo/".into()])
    );
    let all = any.replace(r#" test="anyof""#, "");
    assert!(found(&srv, "/", &all).is_empty(), "allof: nobody is both");
    // Still no way into alice's home.
    srv.propfind("/alice/", "0", None).expect(403);
}

#[test]
fn search_property_set_lists_displayname() {
    let srv = Server::sample();
    let r = srv.report(
        "/",
        "0",
        r#"<D:principal-search-property-set xmlns:D="DAV:"/>"#,
    );
    r.expect(200);
    let root = parse_xml(&r.text()).unwrap();
    assert!(
        root.is(DAV, "principal-search-property-set"),
        "{}",
        r.text()
    );
    let props: Vec<String> = root
        .children_named(DAV, "principal-search-property")
        .flat_map(|p| p.child(DAV, "prop").unwrap().child_names())
        .collect();
    assert!(
        props.contains(&format!("{{{DAV}}}displayname")),
        "{props:?}"
    );
    assert!(props.contains(&format!("{{{CALDAV}}}calendar-user-address-set")));
    for p in root.children_named(DAV, "principal-search-property") {
        assert!(p.child(DAV, "description").is_some());
    }
}

#[test]
fn principals_advertise_the_search_reports_and_their_collection() {
    let srv = Server::sample();
    for path in ["/", "/demo/"] {
        let ms = srv.props(
            path,
            &[
                (DAV, "supported-report-set"),
                (DAV, "principal-collection-set"),
            ],
        );
        let r = ms.single();
        assert_eq!(r.ok(DAV, "principal-collection-set").hrefs(), vec!["/"]);
        let reports: Vec<String> = r
            .ok(DAV, "supported-report-set")
            .children_named(DAV, "supported-report")
            .flat_map(|s| s.child(DAV, "report").unwrap().child_names())
            .collect();
        assert!(
            reports.contains(&format!("{{{DAV}}}principal-property-search")),
            "{path}: {reports:?}"
        );
    }
}

#[test]
fn repeated_names_are_answered_once_and_requests_are_bounded() {
    let srv = Server::sample();
    let many = "<D:displayname/>".repeat(50);
    let body = format!(
        r#"<D:principal-property-search xmlns:D="DAV:"><D:prop>{many}</D:prop></D:principal-property-search>"#
    );
    let r = srv.report("/", "0", &body);
    assert_eq!(
        r.text().matches("<D:displayname>").count(),
        1,
        "{}",
        r.text()
    );
    let conditions = "<D:property-search><D:prop><D:displayname/></D:prop><D:match>d</D:match></D:property-search>".repeat(17);
    let body = format!(
        r#"<D:principal-property-search xmlns:D="DAV:">{conditions}<D:prop><D:displayname/></D:prop></D:principal-property-search>"#
    );
    srv.report("/", "0", &body).expect(400);
    let long = search(&"x".repeat(300), "");
    srv.report("/", "0", &long).expect(400);
}

/// python caldav 3.6 puts the wanted properties beside an empty DAV:prop.
#[test]
fn properties_beside_an_empty_prop_are_answered() {
    let srv = Server::sample();
    let body = r#"<D:principal-property-search xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:property-search><D:prop><D:displayname/></D:prop><D:match>demo</D:match></D:property-search><D:prop/><C:calendar-home-set/><D:displayname/></D:principal-property-search>"#;
    let ms = srv.report("/", "0", body).multistatus();
    let me = ms.single();
    assert_eq!(me.ok(DAV, "displayname").text, "demo");
    assert_eq!(me.ok(CALDAV, "calendar-home-set").hrefs(), vec!["/demo/"]);
}
