//! What an independent CalDAV/CardDAV compliance suite and real clients
//! found (issue 25), each case over raw HTTP: the precondition or status the
//! RFCs ask for, and, where they leave a choice, what CalendarServer and
//! sabre/dav do.

use crate::common::*;

const CARDDAV: &str = "urn:ietf:params:xml:ns:carddav";
const WORK_OBJ: &str = "/demo/work/team-weekly-sync.ics";
const ANNA: &str = "/demo/contacts/anna-schmidt.vcf";

fn card(uid: &str, name: &str) -> String {
    format!("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\nEND:VCARD\r\n")
}

/// COPY or MOVE of `from` onto `to`, overwriting.
fn transfer(srv: &Server, method: &str, from: &str, to: &str) -> Resp {
    srv.request(method, from)
        .header("Destination", srv.url(to))
        .header("Overwrite", "T")
        .fetch()
}

/// RFC 4791 §5.3.2.1: a PUT over an event with a body of another UID is
/// refused, naming the resource whose UID it would change; the file stays.
#[test]
fn a_put_that_changes_the_uid_is_a_uid_conflict() {
    let srv = Server::sample();
    let before = srv.read("demo/work/team-weekly-sync.ics");
    let r = srv.put_ics(WORK_OBJ, &event("another-uid", "Hijack"));
    r.expect(403);
    let cond = r.expect_condition(CALDAV, "no-uid-conflict");
    assert_eq!(cond.hrefs(), vec![WORK_OBJ.to_string()]);
    assert_eq!(srv.read("demo/work/team-weekly-sync.ics"), before);
    // The same UID with another body is an ordinary edit.
    let uid = uid_of(&String::from_utf8(before).unwrap());
    srv.put_ics(WORK_OBJ, &event(&uid, "Edited")).expect(204);
}

/// COPY and MOVE onto an existing event of another UID: the same refusal,
/// and neither the source nor the destination changes.
#[test]
fn copy_or_move_onto_another_uid_is_a_uid_conflict() {
    let srv = Server::sample();
    srv.put_ics("/demo/personal/other.ics", &event("other-uid", "Other"))
        .expect(201);
    let before = srv.read("demo/work/team-weekly-sync.ics");
    for method in ["COPY", "MOVE"] {
        let r = transfer(&srv, method, "/demo/personal/other.ics", WORK_OBJ);
        r.expect(403);
        let cond = r.expect_condition(CALDAV, "no-uid-conflict");
        assert_eq!(cond.hrefs(), vec![WORK_OBJ.to_string()], "{method}");
        assert_eq!(srv.read("demo/work/team-weekly-sync.ics"), before);
        srv.get("/demo/personal/other.ics").expect(200);
    }
    // Onto an object with the same UID, the overwrite goes through.
    srv.put_ics("/demo/work/twin.ics", &event("other-uid", "Twin"))
        .expect(201);
    transfer(
        &srv,
        "MOVE",
        "/demo/personal/other.ics",
        "/demo/work/twin.ics",
    )
    .expect(204);
}

/// RFC 6352 §6.3.2.1: the same for contacts, with CardDAV's element.
#[test]
fn a_contact_keeps_its_uid_on_put_copy_and_move() {
    let srv = Server::sample();
    let before = srv.read("demo/contacts/anna-schmidt.vcf");
    let r = srv.put_vcf(ANNA, &card("someone-else", "Someone Else"));
    r.expect(403);
    let cond = r.expect_condition(CARDDAV, "no-uid-conflict");
    assert_eq!(cond.hrefs(), vec![ANNA.to_string()]);
    for method in ["COPY", "MOVE"] {
        let r = transfer(&srv, method, "/demo/contacts/li-xiaolong.vcf", ANNA);
        r.expect(403);
        r.expect_condition(CARDDAV, "no-uid-conflict");
    }
    assert_eq!(srv.read("demo/contacts/anna-schmidt.vcf"), before);
}

/// A calendar-query for every VEVENT, asking the getetag and `data` (the
/// calendar-data element).
fn event_query(data: &str) -> String {
    calendar_query(
        &format!("<D:prop><D:getetag/>{data}</D:prop>"),
        r#"<C:comp-filter name="VEVENT"/>"#,
    )
}

/// A calendar-query asking `props` (DAV:prop, allprop or propname) with
/// `comps` inside the filter's VCALENDAR comp-filter.
fn calendar_query(props: &str, comps: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="{CALDAV}">{props}
<C:filter><C:comp-filter name="VCALENDAR">{comps}</C:comp-filter></C:filter></C:calendar-query>"#
    )
}

/// RFC 4791 §9.6: calendar-data in a form the server does not serve
/// (iCalendar 2.0 as text/calendar only) is CALDAV:supported-calendar-data,
/// in a calendar-query as in a multiget; the filter itself is fine.
#[test]
fn calendar_data_of_another_type_or_version_is_supported_calendar_data() {
    let srv = Server::sample();
    for data in [
        r#"<C:calendar-data content-type="text/vcalendar"/>"#,
        r#"<C:calendar-data content-type="text/calendar" version="3.0"/>"#,
        r#"<C:calendar-data version="1.0"/>"#,
    ] {
        let r = srv.report("/demo/work/", "1", &event_query(data));
        r.expect(403);
        r.expect_condition(CALDAV, "supported-calendar-data");
        let multiget = format!(
            r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="{CALDAV}"><D:prop>{data}</D:prop><D:href>{WORK_OBJ}</D:href></C:calendar-multiget>"#
        );
        let r = srv.report("/demo/work/", "1", &multiget);
        r.expect(403);
        r.expect_condition(CALDAV, "supported-calendar-data");
    }
    // The form it does serve, spelled out.
    let data = r#"<C:calendar-data content-type="text/calendar" version="2.0"/>"#;
    let ms = srv
        .report("/demo/work/", "1", &event_query(data))
        .multistatus();
    assert!(ms.find(WORK_OBJ).is_some());
}

/// RFC 6352 §10.4: address-data answers in vCard 3.0 and 4.0 (both are
/// supported); another version or type is CARDDAV:supported-address-data.
#[test]
fn address_data_of_another_type_or_version_is_supported_address_data() {
    let srv = Server::sample();
    let query = |data: &str| {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<R:addressbook-query xmlns:D="DAV:" xmlns:R="{CARDDAV}"><D:prop><D:getetag/>{data}</D:prop><R:filter/></R:addressbook-query>"#
        )
    };
    for data in [
        r#"<R:address-data content-type="text/x-vcalendar"/>"#,
        r#"<R:address-data version="2.1"/>"#,
    ] {
        let r = srv.report("/demo/contacts/", "1", &query(data));
        r.expect(403);
        r.expect_condition(CARDDAV, "supported-address-data");
    }
    for version in ["3.0", "4.0"] {
        let data = format!(r#"<R:address-data content-type="text/vcard" version="{version}"/>"#);
        let ms = srv
            .report("/demo/contacts/", "1", &query(&data))
            .multistatus();
        let card = &ms.get(ANNA).ok(CARDDAV, "address-data").text;
        assert!(card.contains(&format!("VERSION:{version}")), "{card}");
    }
}

/// RFC 4918 §14.20: a propfind holds one of propname, allprop and prop; a
/// body with two is malformed (400), not answered as either of them. The
/// same grammar holds for the properties of a REPORT (RFC 4791 §9.5).
#[test]
fn a_propfind_asking_two_ways_at_once_is_a_bad_request() {
    let srv = Server::sample();
    for inner in [
        "<D:allprop/><D:propname/>",
        "<D:propname/><D:prop><D:getetag/></D:prop>",
        "<D:prop><D:getetag/></D:prop><D:allprop/>",
    ] {
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:">{inner}</D:propfind>"#
        );
        let r = srv.propfind("/demo/work/", "0", Some(&body));
        r.expect(400);
        assert!(r.text().contains("propname"), "{}", r.text());
    }
    let both = calendar_query(
        "<D:allprop/><D:propname/>",
        r#"<C:comp-filter name="VEVENT"/>"#,
    );
    srv.report("/demo/work/", "1", &both).expect(400);
}

/// The methods named in an Allow header.
fn allowed(r: &Resp) -> Vec<String> {
    let allow = r
        .header("allow")
        .unwrap_or_else(|| panic!("a 405 without Allow: {}", r.text()));
    allow.split(',').map(|m| m.trim().to_string()).collect()
}

/// RFC 9110 §15.5.6: every 405 says in Allow what the resource does take,
/// and never the method it just refused.
#[test]
fn every_405_carries_allow_for_its_resource() {
    let srv = Server::sample();
    let cases = [
        ("LOCK", WORK_OBJ, "PUT"),
        ("UNLOCK", WORK_OBJ, "GET"),
        ("POST", WORK_OBJ, "DELETE"),
        ("LOCK", "/demo/work/", "PROPFIND"),
        ("MKCALENDAR", "/demo/work/", "REPORT"),
        ("MKCOL", "/demo/contacts/", "PROPPATCH"),
        ("PUT", "/demo/", "PROPFIND"),
        ("MKCOL", "/demo/", "PROPFIND"),
        ("PATCH", "/", "PROPFIND"),
        ("LOCK", "/demo/not-yet/", "MKCALENDAR"),
    ];
    for (method, path, listed) in cases {
        let r = srv.request(method, path).fetch();
        assert_eq!(r.status, 405, "{method} {path}: {}", r.text());
        let allow = allowed(&r);
        assert!(
            allow.iter().any(|m| m == listed),
            "{method} {path}: {allow:?}"
        );
        assert!(
            !allow.iter().any(|m| m == method),
            "{method} {path}: {allow:?}"
        );
    }
    // The web page's forms: logged in, a PUT of a page.
    let login = srv
        .request_as(None, "POST", "/.web/login")
        .form(&[("username", "demo"), ("password", "demo")])
        .fetch();
    let cookie = login.header("set-cookie").expect("a session cookie");
    let r = srv
        .request_as(None, "PUT", "/.web/account")
        .header("Cookie", cookie.split(';').next().unwrap())
        .fetch();
    r.expect(405);
    assert_eq!(allowed(&r), ["GET", "HEAD", "POST"]);
}

/// The DAV:responsedescription of a DAV:error body: why, in words.
fn description(r: &Resp) -> String {
    let root = parse_xml(&r.text()).expect("an XML error body");
    root.child(DAV, "responsedescription")
        .unwrap_or_else(|| panic!("no description: {}", r.text()))
        .text
        .clone()
}

/// A refused object says what is wrong and on which line, beside the
/// precondition, so a person reading a client's log can fix it.
#[test]
fn an_invalid_object_is_refused_with_what_is_wrong_and_where() {
    let srv = Server::sample();
    let broken = event("broken", "Broken").replace("DTSTART:20270115", "DTSTART:20270231");
    let r = srv.put_ics("/demo/work/broken.ics", &broken);
    r.expect(403);
    r.expect_condition(CALDAV, "valid-calendar-data");
    let why = description(&r);
    assert!(why.contains("line 7") && why.contains("DTSTART"), "{why}");

    let two = event("one", "One").replace(
        "END:VCALENDAR",
        "BEGIN:VEVENT\r\nUID:two\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:20270115T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR",
    );
    let r = srv.put_ics("/demo/work/two.ics", &two);
    r.expect(403);
    r.expect_condition(CALDAV, "valid-calendar-object-resource");
    assert!(description(&r).contains("UID"), "{}", description(&r));

    let r = srv.put_vcf(
        "/demo/contacts/broken.vcf",
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:b\r\nFN:B\r\nno colon here\r\nEND:VCARD\r\n",
    );
    r.expect(403);
    r.expect_condition(CARDDAV, "valid-address-data");
    assert!(description(&r).contains("line 5"), "{}", description(&r));

    // A UID conflict says which kind it is.
    let r = srv.put_ics(WORK_OBJ, &event("another-uid", "Hijack"));
    assert!(
        description(&r).contains("keeps its UID"),
        "{}",
        description(&r)
    );
}

/// A plain calendar-query for every VEVENT (no time range) of `cal`.
fn every_event(srv: &Server, cal: &str) -> std::collections::BTreeSet<String> {
    let body = calendar_query(
        "<D:prop><D:getetag/></D:prop>",
        r#"<C:comp-filter name="VEVENT"/>"#,
    );
    srv.report(cal, "1", &body).multistatus().hrefs()
}

/// A calendar-query for the VEVENTs of January 2027 in `cal`.
fn january_events(srv: &Server, cal: &str) -> std::collections::BTreeSet<String> {
    let body = calendar_query(
        "<D:prop><D:getetag/></D:prop>",
        r#"<C:comp-filter name="VEVENT"><C:time-range start="20270101T000000Z" end="20270201T000000Z"/></C:comp-filter>"#,
    );
    srv.report(cal, "1", &body).multistatus().hrefs()
}

/// An object that starts with a UTF-8 byte-order mark is the same object
/// without it to every reader: stored as sent, and found by a plain
/// comp-filter as by a time range, whether PUT or placed on disk.
#[test]
fn a_byte_order_mark_is_ignored_by_every_query() {
    let srv = Server::sample();
    let put = format!("\u{feff}{}", event("bom-put", "BOM over HTTP"));
    srv.put_ics("/demo/work/bom-put.ics", &put).expect(201);
    assert_eq!(srv.read("demo/work/bom-put.ics"), put.as_bytes());
    let placed = format!("\u{feff}{}", event("bom-disk", "BOM on disk"));
    std::fs::write(srv.file("demo/work/bom-disk.ics"), &placed).unwrap();
    let hrefs = ["/demo/work/bom-put.ics", "/demo/work/bom-disk.ics"].map(String::from);
    assert!(
        wait_until(10, || srv.members("/demo/work/").contains(&hrefs[1])),
        "the file placed on disk is not listed"
    );
    let plain = every_event(&srv, "/demo/work/");
    let ranged = january_events(&srv, "/demo/work/");
    for h in &hrefs {
        assert!(plain.contains(h), "plain comp-filter misses {h}: {plain:?}");
        assert!(ranged.contains(h), "time range misses {h}: {ranged:?}");
    }
}

/// The same for contacts and the readers beyond queries: a BOM-prefixed
/// contact is found by an addressbook-query and gives its birthday; both
/// objects are merged into a collection's GET without their marks; and
/// `davdir check` finds nothing wrong with either.
#[test]
fn a_byte_order_mark_is_ignored_by_birthdays_export_and_check() {
    let srv = Server::sample();
    let card = "\u{feff}BEGIN:VCARD\r\nVERSION:4.0\r\nUID:bom-card\r\nFN:Bom Person\r\nN:Person;Bom;;;\r\nBDAY:19800315\r\nEND:VCARD\r\n";
    srv.put_vcf("/demo/contacts/bom-card.vcf", card).expect(201);
    let placed = format!("\u{feff}{}", event("bom-disk", "BOM on disk"));
    std::fs::write(srv.file("demo/work/bom-disk.ics"), &placed).unwrap();
    assert!(
        wait_until(10, || srv
            .members("/demo/work/")
            .contains("/demo/work/bom-disk.ics")),
        "the file placed on disk is not listed"
    );

    let query = format!(
        r#"<R:addressbook-query xmlns:D="DAV:" xmlns:R="{CARDDAV}"><D:prop><D:getetag/></D:prop><R:filter><R:prop-filter name="FN"><R:text-match match-type="starts-with">Bom</R:text-match></R:prop-filter></R:filter></R:addressbook-query>"#
    );
    let found = srv.report("/demo/contacts/", "1", &query).multistatus();
    assert!(
        found.find("/demo/contacts/bom-card.vcf").is_some(),
        "{:?}",
        found.hrefs()
    );
    assert!(
        srv.members("/demo/birthdays/")
            .contains("/demo/birthdays/bom-card-bday.ics"),
        "{:?}",
        srv.members("/demo/birthdays/")
    );

    for (collection, text) in [
        ("/demo/work/", "SUMMARY:BOM on disk"),
        ("/demo/contacts/", "FN:Bom Person"),
    ] {
        let whole = srv.get(collection);
        whole.expect(200);
        let body = whole.text();
        assert!(body.contains(text), "{collection}: {body}");
        assert!(
            !body.contains('\u{feff}'),
            "{collection} keeps a mark inside"
        );
    }

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_davdir"))
        .args(["check", "--data"])
        .arg(&srv.data)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    assert!(!report.contains("bom-"), "{report}");
}

/// A calendar-query on the calendar home with Depth 1 searches every
/// calendar of the home, as CalendarServer and sabre/dav do: its answer is
/// the objects each calendar's own query finds, under their own hrefs.
#[test]
fn a_calendar_query_on_the_home_searches_every_calendar() {
    let srv = Server::sample();
    let mut each = std::collections::BTreeSet::new();
    for cal in ["/demo/work/", "/demo/personal/", "/demo/birthdays/"] {
        let found = every_event(&srv, cal);
        assert!(!found.is_empty(), "{cal} has events");
        each.extend(found);
    }
    assert_eq!(every_event(&srv, "/demo/"), each);

    let mut january = january_events(&srv, "/demo/work/");
    january.extend(january_events(&srv, "/demo/personal/"));
    january.extend(january_events(&srv, "/demo/birthdays/"));
    assert_eq!(january_events(&srv, "/demo/"), january);

    let ms = srv.props("/demo/", &[(DAV, "supported-report-set")]);
    let reports: Vec<String> = ms
        .single()
        .ok(DAV, "supported-report-set")
        .children_named(DAV, "supported-report")
        .flat_map(|s| s.child(DAV, "report").unwrap().child_names())
        .collect();
    assert!(
        reports.contains(&format!("{{{CALDAV}}}calendar-query")),
        "{reports:?}"
    );

    // Depth 0 names the home alone, which holds no calendar data.
    let body = calendar_query(
        "<D:prop><D:getetag/></D:prop>",
        r#"<C:comp-filter name="VEVENT"/>"#,
    );
    let r = srv.report("/demo/", "0", &body);
    r.expect(403);
    r.expect_condition(DAV, "supported-report");
}

/// A sync-collection report of `coll` from `token` ("" for the initial one).
fn sync(srv: &Server, coll: &str, token: &str) -> Multistatus {
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
    );
    srv.report(coll, "1", &body).expect(207).multistatus()
}

/// One kind of collection for [`check_object_named_freely`].
struct Kind {
    coll: &'static str,
    /// The collection's directory below the data directory.
    dir: &'static str,
    ext: &'static str,
    put: fn(&Server, &str, &str) -> Resp,
    /// Its multiget's element and namespace, and the data property.
    multiget: (&'static str, &'static str, &'static str),
}

/// Everything a client does with an object it named without the kind's
/// extension, under the URL it chose; the file on disk is `name` with the
/// reserved `.noext` mark and the extension (docs/DESIGN.md "Object names").
fn check_object_named_freely(srv: &mut Server, k: &Kind, first: &str, edited: &str) {
    let name = "6f1c2b7e-4d3a-4c1e-9b2f-0a5e7d9c1b3f";
    let url = format!("{}{name}", k.coll);
    let file = format!("{name}.noext.{}", k.ext);
    let token = sync(srv, k.coll, "").sync_token.expect("sync token");

    let created = (k.put)(srv, &url, first);
    created.expect(201);
    let etag = created.etag().expect("ETag of the PUT");
    // On disk, a vdir item: a file of the kind's extension holding the body.
    let on_disk = srv.dir_names(k.dir);
    assert!(on_disk.contains(&file), "{file} not in {on_disk:?}");
    assert!(!on_disk.contains(name), "{on_disk:?}");
    assert_eq!(srv.read(&format!("{}/{file}", k.dir)), first.as_bytes());

    let got = srv.get(&url);
    got.expect(200);
    assert_eq!(got.text(), first);
    assert_eq!(got.etag().as_deref(), Some(etag.as_str()));
    let head = srv.request("HEAD", &url).fetch();
    head.expect(200);
    assert_eq!(head.etag().as_deref(), Some(etag.as_str()));

    // Conditional writes see the same ETag.
    let put_if = |header: &str, value: &str| {
        srv.request("PUT", &url)
            .header(header, value)
            .body(edited.to_string())
            .fetch()
    };
    put_if("If-None-Match", "*").expect(412);
    put_if("If-Match", "\"not-the-etag\"").expect(412);
    let overwritten = (k.put)(srv, &url, edited);
    overwritten.expect(204);
    let etag = overwritten.etag().unwrap();
    assert_eq!(srv.get(&url).text(), edited);

    // Listed, synced and fetched under the client's URL only.
    let members = srv.members(k.coll);
    assert!(members.contains(&url), "{members:?}");
    assert!(!members.iter().any(|m| m.contains(".noext")), "{members:?}");
    let synced = sync(srv, k.coll, &token);
    assert_eq!(synced.hrefs(), [url.clone()].into(), "sync-collection");
    let (report, ns, data) = k.multiget;
    let body = format!(
        r#"<?xml version="1.0"?><X:{report} xmlns:D="DAV:" xmlns:X="{ns}"><D:prop><D:getetag/><X:{data}/></D:prop><D:href>{url}</D:href></X:{report}>"#
    );
    let ms = srv.report(k.coll, "1", &body).expect(207).multistatus();
    let r = ms.single();
    assert_eq!(r.href, url);
    assert_eq!(r.ok(DAV, "getetag").text.trim_matches('"'), etag);
    assert_eq!(
        r.ok(ns, data).text.replace("\r\n", "\n"),
        edited.replace("\r\n", "\n")
    );

    // The file's own name is not a second URL of it, nor can it be taken.
    let reserved = format!("{}{file}", k.coll);
    srv.get(&reserved).expect(404);
    srv.delete(&reserved).expect(404);
    transfer(srv, "MOVE", &reserved, &format!("{}elsewhere", k.coll)).expect(404);
    let r = transfer(srv, "COPY", &url, &reserved);
    r.expect(403);
    assert!(r.text().contains("reserved"), "{}", r.text());
    let r = (k.put)(srv, &reserved, first);
    r.expect(403);
    assert!(r.text().contains("reserved"), "{}", r.text());
    assert_eq!(srv.read(&format!("{}/{file}", k.dir)), edited.as_bytes());

    // davdir's own scan finds it again after a restart.
    srv.restart();
    assert_eq!(srv.get(&url).etag().as_deref(), Some(etag.as_str()));

    // MOVE to another free name and back, then DELETE, all by URL.
    let moved = format!("{}moved-{name}", k.coll);
    transfer(srv, "MOVE", &url, &moved).expect(201);
    srv.get(&url).expect(404);
    assert_eq!(srv.get(&moved).text(), edited);
    assert!(srv.dir_names(k.dir).contains(&format!("moved-{file}")));
    transfer(srv, "MOVE", &moved, &url).expect(201);
    assert_eq!(srv.read(&format!("{}/{file}", k.dir)), edited.as_bytes());
    let token = sync(srv, k.coll, "").sync_token.unwrap();
    srv.delete(&url).expect(204);
    srv.get(&url).expect(404);
    assert!(!srv.dir_names(k.dir).iter().any(|n| n.contains(name)));
    let gone = sync(srv, k.coll, &token);
    assert_eq!(gone.single().href, url);
    assert_eq!(gone.single().status, Some(404));
}

/// RFC 4791 and RFC 6352 ask nothing of a resource's name, and some clients
/// name objects by a bare UUID: such a name is taken and keeps working for
/// every method and report, while the file stays a vdir item.
#[test]
fn an_object_named_without_its_extension_keeps_its_url() {
    let mut srv = Server::sample();
    let calendar = Kind {
        coll: "/demo/personal/",
        dir: "demo/personal",
        ext: "ics",
        put: Server::put_ics,
        multiget: ("calendar-multiget", CALDAV, "calendar-data"),
    };
    let first = todo("free-name-task", "Water the plants");
    let edited = todo("free-name-task", "Water the plants twice");
    check_object_named_freely(&mut srv, &calendar, &first, &edited);
    let book = Kind {
        coll: "/demo/contacts/",
        dir: "demo/contacts",
        ext: "vcf",
        put: Server::put_vcf,
        multiget: ("addressbook-multiget", CARDDAV, "address-data"),
    };
    let first = card("free-name-card", "Nora Free");
    let edited = card("free-name-card", "Nora Freely");
    check_object_named_freely(&mut srv, &book, &first, &edited);
}

/// A calendar-query finds an object named without `.ics` under its URL,
/// also once COPYed into another calendar under another free name.
#[test]
fn a_calendar_query_answers_with_the_clients_url() {
    let srv = Server::sample();
    srv.put_ics(
        "/demo/personal/0b7f9d2e",
        &event("query-free-name", "Standup"),
    )
    .expect(201);
    transfer(
        &srv,
        "COPY",
        "/demo/personal/0b7f9d2e",
        "/demo/work/0b7f9d2e",
    )
    .expect(201);
    assert!(srv.dir_names("demo/work").contains("0b7f9d2e.noext.ics"));
    let hrefs = every_event(&srv, "/demo/work/");
    assert!(hrefs.contains("/demo/work/0b7f9d2e"), "{hrefs:?}");
    assert!(!hrefs.iter().any(|h| h.contains(".noext")), "{hrefs:?}");
    let ranged = january_events(&srv, "/demo/work/");
    assert!(ranged.contains("/demo/work/0b7f9d2e"), "{ranged:?}");
}

/// Every report whose request-URI, or a href of it, is an object named
/// without its kind's extension finds that object under the client's URL:
/// the query and the multiget on the collection and on the object itself,
/// and the sync-collection listing.
#[test]
fn every_report_finds_an_object_named_without_its_extension() {
    let srv = Server::sample();
    let cases = [
        (
            "/demo/personal/",
            "calendar",
            CALDAV,
            "calendar-data",
            r#"<X:comp-filter name="VCALENDAR"/>"#,
            Server::put_ics as fn(&Server, &str, &str) -> Resp,
            event("report-free-name", "Review"),
        ),
        (
            "/demo/contacts/",
            "addressbook",
            CARDDAV,
            "address-data",
            r#"<X:prop-filter name="FN"/>"#,
            Server::put_vcf,
            card("report-free-name", "Rita Report"),
        ),
    ];
    for (coll, kind, ns, data, filter, put, body) in cases {
        let url = format!("{coll}abc");
        put(&srv, &url, &body).expect(201);
        let prop = format!("<D:prop><D:getetag/><X:{data}/></D:prop>");
        let query = format!(
            r#"<?xml version="1.0"?><X:{kind}-query xmlns:D="DAV:" xmlns:X="{ns}">{prop}<X:filter>{filter}</X:filter></X:{kind}-query>"#
        );
        let multiget = format!(
            r#"<?xml version="1.0"?><X:{kind}-multiget xmlns:D="DAV:" xmlns:X="{ns}">{prop}<D:href>{url}</D:href></X:{kind}-multiget>"#
        );
        for (what, target, depth, report) in [
            ("query on the collection", coll, "1", &query),
            ("query on the object", url.as_str(), "0", &query),
            ("multiget on the collection", coll, "1", &multiget),
            ("multiget on the object", url.as_str(), "0", &multiget),
        ] {
            let r = srv.report(target, depth, report);
            assert_eq!(r.status, 207, "{kind} {what}: {}", r.text());
            let ms = r.multistatus();
            let found = ms.get(&url);
            assert_eq!(found.status, None, "{kind} {what}");
            assert!(
                found.ok(ns, data).text.contains("report-free-name"),
                "{kind} {what}"
            );
            assert!(
                !ms.hrefs().iter().any(|h| h.contains(".noext")),
                "{kind} {what}"
            );
        }
        let synced = sync(&srv, coll, "");
        assert!(synced.hrefs().contains(&url), "{kind} sync-collection");
        assert!(!synced.hrefs().iter().any(|h| h.contains(".noext")));
    }
}
