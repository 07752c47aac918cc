//! CardDAV (RFC 6352) over raw HTTP, everything but the REPORTs: discovery,
//! the properties of principals, address books and contacts, extended MKCOL
//! (RFC 5689), PROPPATCH/DELETE/COPY/MOVE of address books, and PUT/GET/
//! DELETE of contacts with each precondition's error element.

use crate::common::*;

const CARDDAV: &str = "urn:ietf:params:xml:ns:carddav";
const BOOK: &str = "/demo/contacts/";
const ANNA: &str = "/demo/contacts/anna-schmidt.vcf";
/// The UID of data-sample's anna-schmidt.vcf.
const ANNA_UID: &str = "3F2E1A40-5B6C-4D7E-8F90-A1B2C3D4E5F6";

fn card(version: &str, uid: &str, name: &str) -> String {
    format!("BEGIN:VCARD\r\nVERSION:{version}\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\nEND:VCARD\r\n")
}

/// A vdir metadata file's text (written with a final newline).
fn vdir(srv: &Server, rel: &str) -> String {
    String::from_utf8(srv.read(rel))
        .unwrap()
        .trim_end()
        .to_string()
}

fn mkcol(srv: &Server, path: &str, prop_xml: &str) -> Resp {
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:R="{CARDDAV}" xmlns:C="{CALDAV}"><D:set><D:prop>{prop_xml}</D:prop></D:set></D:mkcol>"#
    );
    srv.request("MKCOL", path)
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(body)
        .fetch()
}

const BOOK_TYPE: &str = "<D:resourcetype><D:collection/><R:addressbook/></D:resourcetype>";

// ---------------------------------------------------------------- discovery

#[test]
fn a_client_finds_the_address_books_from_the_well_known_url() {
    let srv = Server::sample();
    let r = srv.get("/.well-known/carddav");
    r.expect(301);
    assert_eq!(r.header("location").as_deref(), Some("/"));
    let dav = srv
        .request("OPTIONS", "/demo/")
        .fetch()
        .header("dav")
        .unwrap();
    assert!(dav.split(',').any(|c| c.trim() == "addressbook"), "{dav}");
    let ms = srv.props("/demo/", &[(CARDDAV, "addressbook-home-set")]);
    assert_eq!(
        ms.single().ok(CARDDAV, "addressbook-home-set").hrefs(),
        ["/demo/"]
    );
    let listing = srv
        .propfind(
            "/demo/",
            "1",
            Some(&propfind_body(&[(DAV, "resourcetype")])),
        )
        .multistatus();
    let book = listing.get(BOOK).ok(DAV, "resourcetype");
    assert!(book.child(DAV, "collection").is_some());
    assert!(book.child(CARDDAV, "addressbook").is_some(), "{book:?}");
    assert!(book.child(CALDAV, "calendar").is_none());
    let work = listing.get("/demo/work/").ok(DAV, "resourcetype");
    assert!(work.child(CARDDAV, "addressbook").is_none());
}

// ---------------------------------------------------------------- properties

#[test]
fn an_address_book_has_the_carddav_properties() {
    let srv = Server::sample();
    let ms = srv.props(
        BOOK,
        &[
            (DAV, "displayname"),
            (CARDDAV, "supported-address-data"),
            (CARDDAV, "max-resource-size"),
            (CARDDAV, "addressbook-description"),
            (CS, "getctag"),
            (DAV, "sync-token"),
            (DAV, "getetag"),
            (DAV, "current-user-privilege-set"),
            (DAV, "supported-report-set"),
        ],
    );
    let r = ms.single();
    assert_eq!(r.ok(DAV, "displayname").text, "Contacts");
    let versions: Vec<_> = r
        .ok(CARDDAV, "supported-address-data")
        .children_named(CARDDAV, "address-data-type")
        .map(|t| (t.attr("content-type").unwrap(), t.attr("version").unwrap()))
        .collect();
    assert_eq!(versions, [("text/vcard", "3.0"), ("text/vcard", "4.0")]);
    assert_eq!(r.ok(CARDDAV, "max-resource-size").text, "10485760");
    // The sample book has no description file.
    assert_eq!(r.status_of(CARDDAV, "addressbook-description"), Some(404));
    assert!(!r.ok(CS, "getctag").text.is_empty());
    assert!(!r.ok(DAV, "sync-token").text.is_empty());
    assert!(!r.ok(DAV, "getetag").text.is_empty());
    let privileges = r.ok(DAV, "current-user-privilege-set");
    assert!(privileges
        .children_named(DAV, "privilege")
        .any(|p| p.child(DAV, "write-content").is_some()));
    let reports: Vec<String> = r
        .ok(DAV, "supported-report-set")
        .children_named(DAV, "supported-report")
        .filter_map(|s| s.child(DAV, "report"))
        .flat_map(|rep| rep.child_names())
        .collect();
    assert_eq!(
        reports,
        [
            format!("{{{CARDDAV}}}addressbook-multiget"),
            format!("{{{CARDDAV}}}addressbook-query"),
            "{DAV:}sync-collection".to_string(),
        ]
    );
}

#[test]
fn calendar_and_address_book_properties_stay_on_their_own_kind() {
    let srv = Server::sample();
    let calendar_only = [
        (CALDAV, "supported-calendar-component-set"),
        (CALDAV, "calendar-timezone"),
        (CALDAV, "calendar-description"),
        (CALDAV, "supported-calendar-data"),
        (CALDAV, "max-resource-size"),
    ];
    let ms = srv.props(BOOK, &calendar_only);
    for (ns, name) in calendar_only {
        assert_eq!(ms.single().status_of(ns, name), Some(404), "{name}");
    }
    let book_only = [
        (CARDDAV, "supported-address-data"),
        (CARDDAV, "max-resource-size"),
        (CARDDAV, "addressbook-description"),
    ];
    let ms = srv.props("/demo/work/", &book_only);
    for (ns, name) in book_only {
        assert_eq!(ms.single().status_of(ns, name), Some(404), "{name}");
    }
    // allprop and propname list none of the other kind's properties.
    for body in [
        r#"<propfind xmlns="DAV:"><allprop/></propfind>"#,
        r#"<propfind xmlns="DAV:"><propname/></propfind>"#,
    ] {
        let book = srv.propfind(BOOK, "0", Some(body)).multistatus();
        let names: Vec<String> = book
            .single()
            .props
            .iter()
            .map(|p| p.el.ns.to_string())
            .collect();
        assert!(!names.iter().any(|ns| ns == CALDAV), "{names:?}");
        assert!(names.iter().any(|ns| ns == CARDDAV), "{names:?}");
        let cal = srv.propfind("/demo/work/", "0", Some(body)).multistatus();
        assert!(!cal.single().props.iter().any(|p| p.el.ns == CARDDAV));
    }
}

#[test]
fn a_contact_has_its_content_type_etag_length_and_date() {
    let srv = Server::sample();
    let bytes = srv.read("demo/contacts/anna-schmidt.vcf");
    let ms = srv.props(
        ANNA,
        &[
            (DAV, "getcontenttype"),
            (DAV, "getetag"),
            (DAV, "getcontentlength"),
            (DAV, "getlastmodified"),
            (DAV, "resourcetype"),
            (CALDAV, "calendar-data"),
        ],
    );
    let r = ms.single();
    assert_eq!(
        r.ok(DAV, "getcontenttype").text,
        "text/vcard; charset=utf-8"
    );
    assert_eq!(
        r.ok(DAV, "getetag").text,
        format!("\"{}\"", sha256_hex(&bytes))
    );
    assert_eq!(r.ok(DAV, "getcontentlength").text, bytes.len().to_string());
    assert!(r.ok(DAV, "getlastmodified").text.ends_with("GMT"));
    assert!(r.ok(DAV, "resourcetype").children.is_empty());
    assert_eq!(r.status_of(CALDAV, "calendar-data"), Some(404));
}

// ---------------------------------------------------------------- MKCOL

#[test]
fn extended_mkcol_makes_an_address_book_with_its_properties() {
    let srv = Server::sample();
    mkcol(
        &srv,
        "/demo/friends/",
        &format!("{BOOK_TYPE}<D:displayname>Friends</D:displayname><R:addressbook-description>People I like</R:addressbook-description>"),
    )
    .expect(201);
    assert!(srv.file("demo/friends/.addressbook.toml").is_file());
    assert_eq!(vdir(&srv, "demo/friends/displayname"), "Friends");
    assert_eq!(vdir(&srv, "demo/friends/description"), "People I like");
    let ms = srv.props(
        "/demo/friends/",
        &[(DAV, "resourcetype"), (CARDDAV, "addressbook-description")],
    );
    let r = ms.single();
    assert!(r
        .ok(DAV, "resourcetype")
        .child(CARDDAV, "addressbook")
        .is_some());
    assert_eq!(
        r.ok(CARDDAV, "addressbook-description").text,
        "People I like"
    );
    // It exists now: a second MKCOL is 405.
    let again = mkcol(&srv, "/demo/friends/", BOOK_TYPE);
    again.expect(405);
    again.expect_condition(DAV, "resource-must-be-null");
    let over_book = mkcol(&srv, BOOK, BOOK_TYPE);
    over_book.expect(405);
    over_book.expect_condition(DAV, "resource-must-be-null");
}

#[test]
fn mkcol_of_no_type_or_an_unknown_type_is_valid_resourcetype() {
    let srv = Server::sample();
    let r = srv.request("MKCOL", "/demo/plain/").fetch();
    r.expect(403);
    r.expect_condition(DAV, "valid-resourcetype");
    for rt in [
        "<D:resourcetype><D:collection/></D:resourcetype>",
        "<D:resourcetype><D:collection/><X:thing xmlns:X=\"urn:x\"/></D:resourcetype>",
        "<D:resourcetype><D:collection/><C:calendar/><R:addressbook/></D:resourcetype>",
    ] {
        let r = mkcol(&srv, "/demo/plain/", rt);
        r.expect(403);
        r.expect_condition(DAV, "valid-resourcetype");
    }
    assert!(!srv.file("demo/plain").exists());
}

#[test]
fn mkcol_of_an_address_book_refuses_calendar_properties() {
    let srv = Server::sample();
    let r = mkcol(
        &srv,
        "/demo/friends/",
        &format!("{BOOK_TYPE}<C:calendar-description>no</C:calendar-description>"),
    );
    r.expect(403);
    let root = parse_xml(&r.text()).unwrap();
    assert!(root.is(DAV, "mkcol-response"), "{}", r.text());
    assert!(!srv.file("demo/friends").exists(), "nothing is made");
}

// ---------------------------------------------------------------- collections

#[test]
fn proppatch_writes_an_address_books_vdir_files() {
    let srv = Server::sample();
    let body = format!(
        r#"<D:propertyupdate xmlns:D="DAV:" xmlns:R="{CARDDAV}" xmlns:I="{ICAL}"><D:set><D:prop>
<D:displayname>Kontakte</D:displayname>
<R:addressbook-description>Everyone</R:addressbook-description>
<I:calendar-color>#112233</I:calendar-color>
</D:prop></D:set></D:propertyupdate>"#
    );
    let ms = srv.proppatch(BOOK, &body).multistatus();
    assert!(ms.single().props.iter().all(|p| p.status == 200), "{ms:?}");
    assert_eq!(vdir(&srv, "demo/contacts/displayname"), "Kontakte");
    assert_eq!(vdir(&srv, "demo/contacts/description"), "Everyone");
    assert_eq!(vdir(&srv, "demo/contacts/color"), "#112233");
    let ms = srv.props(BOOK, &[(CARDDAV, "addressbook-description")]);
    assert_eq!(
        ms.single().ok(CARDDAV, "addressbook-description").text,
        "Everyone"
    );

    // A calendar's property on an address book is refused, and nothing applies.
    let body = format!(
        r#"<D:propertyupdate xmlns:D="DAV:" xmlns:C="{CALDAV}"><D:set><D:prop>
<D:displayname>Other</D:displayname><C:calendar-description>x</C:calendar-description>
</D:prop></D:set></D:propertyupdate>"#
    );
    let ms = srv.proppatch(BOOK, &body).multistatus();
    assert_eq!(
        ms.single().status_of(CALDAV, "calendar-description"),
        Some(403)
    );
    assert_eq!(ms.single().status_of(DAV, "displayname"), Some(424));
    assert_eq!(vdir(&srv, "demo/contacts/displayname"), "Kontakte");
}

#[test]
fn an_address_book_is_copied_moved_and_deleted_whole() {
    let srv = Server::sample();
    let names = srv.dir_names("demo/contacts");
    srv.request("COPY", BOOK)
        .header("Destination", srv.url("/demo/copied/"))
        .fetch()
        .expect(201);
    assert_eq!(srv.dir_names("demo/copied"), names);
    let ms = srv.props("/demo/copied/", &[(DAV, "resourcetype")]);
    assert!(ms
        .single()
        .ok(DAV, "resourcetype")
        .child(CARDDAV, "addressbook")
        .is_some());

    srv.request("MOVE", "/demo/copied/")
        .header("Destination", srv.url("/demo/moved/"))
        .fetch()
        .expect(201);
    assert!(!srv.file("demo/copied").exists());
    assert_eq!(srv.dir_names("demo/moved"), names);
    srv.get("/demo/moved/anna-schmidt.vcf").expect(200);

    // A calendar never replaces an address book, nor the reverse.
    let r = srv
        .request("MOVE", "/demo/work/")
        .header("Destination", srv.url("/demo/moved/"))
        .header("Overwrite", "T")
        .fetch();
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(srv.file("demo/work/focus-time.ics").is_file());

    srv.delete("/demo/moved/").expect(204);
    assert!(!srv.file("demo/moved").exists());
    srv.propfind("/demo/moved/", "0", None).expect(404);
    assert!(srv.file("demo/contacts/anna-schmidt.vcf").is_file());
}

#[test]
fn contacts_move_between_address_books_but_not_into_calendars() {
    let srv = Server::sample();
    mkcol(&srv, "/demo/friends/", BOOK_TYPE).expect(201);
    let bytes = srv.read("demo/contacts/li-xiaolong.vcf");
    srv.request("MOVE", "/demo/contacts/li-xiaolong.vcf")
        .header("Destination", srv.url("/demo/friends/li.vcf"))
        .fetch()
        .expect(201);
    assert_eq!(srv.read("demo/friends/li.vcf"), bytes);
    srv.get("/demo/contacts/li-xiaolong.vcf").expect(404);
    // COPY back beside a card with the same UID in the target: no-uid-conflict.
    srv.request("COPY", ANNA)
        .header("Destination", srv.url("/demo/friends/anna.vcf"))
        .fetch()
        .expect(201);
    let r = srv
        .request("COPY", ANNA)
        .header("Destination", srv.url("/demo/friends/anna-again.vcf"))
        .fetch();
    r.expect(403);
    let el = r.expect_condition(CARDDAV, "no-uid-conflict");
    assert_eq!(el.hrefs(), ["/demo/friends/anna.vcf"]);
    let r = srv
        .request("MOVE", ANNA)
        .header("Destination", srv.url("/demo/work/anna.vcf"))
        .fetch();
    // The calendar's media-type precondition, with its one status (415).
    r.expect(415);
    r.expect_condition(CALDAV, "supported-calendar-data");
    assert!(srv.file("demo/contacts/anna-schmidt.vcf").is_file());
}

// ---------------------------------------------------------------- contacts

#[test]
fn a_contact_is_stored_byte_exact_and_read_back_as_text_vcard() {
    let srv = Server::sample();
    // No final line break, lower-case property names: still kept as sent.
    let body = "BEGIN:VCARD\r\nversion:4.0\r\nUID:kept-1\r\nFN:Jörg Weiß\r\nEND:VCARD";
    let r = srv.put_vcf("/demo/contacts/kept.vcf", body);
    r.expect(201);
    let etag = r.etag().unwrap();
    assert_eq!(etag, sha256_hex(body.as_bytes()));
    assert_eq!(srv.read("demo/contacts/kept.vcf"), body.as_bytes());
    let got = srv.get("/demo/contacts/kept.vcf");
    got.expect(200);
    assert_eq!(got.body, body.as_bytes());
    assert_eq!(
        got.header("content-type").as_deref(),
        Some("text/vcard; charset=utf-8")
    );
    assert_eq!(got.etag().as_deref(), Some(etag.as_str()));
    let head = srv.request("HEAD", "/demo/contacts/kept.vcf").fetch();
    head.expect(200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), Some(body.len().to_string()));

    srv.delete("/demo/contacts/kept.vcf").expect(204);
    srv.get("/demo/contacts/kept.vcf").expect(404);
    assert!(!srv.file("demo/contacts/kept.vcf").exists());
}

#[test]
fn puts_of_contacts_are_conditional() {
    let srv = Server::sample();
    let path = "/demo/contacts/cond.vcf";
    let first = card("3.0", "cond-1", "First");
    let etag = srv.put_vcf(path, &first).expect(201).etag().unwrap();
    let again = srv
        .request("PUT", path)
        .header("Content-Type", "text/vcard")
        .header("If-None-Match", "*")
        .body(card("3.0", "cond-1", "Again"))
        .fetch();
    again.expect(412);
    let stale = "\"0000000000000000000000000000000000000000000000000000000000000000\"";
    for (method, body) in [
        ("PUT", card("3.0", "cond-1", "Stale")),
        ("DELETE", String::new()),
    ] {
        srv.request(method, path)
            .header("Content-Type", "text/vcard")
            .header("If-Match", stale)
            .body(body)
            .fetch()
            .expect(412);
    }
    assert_eq!(srv.read("demo/contacts/cond.vcf"), first.as_bytes());
    srv.request("PUT", path)
        .header("Content-Type", "text/vcard")
        .header("If-Match", format!("\"{etag}\""))
        .body(card("3.0", "cond-1", "Second"))
        .fetch()
        .expect(204);
    assert!(String::from_utf8(srv.read("demo/contacts/cond.vcf"))
        .unwrap()
        .contains("FN:Second"));
}

#[test]
fn each_put_precondition_of_an_address_book_has_its_element() {
    let srv = Server::sample();
    let fence = srv.fence();
    let cases: [(&str, &str, String, &str, &str); 7] = [
        // (content type, path, body, namespace, condition)
        (
            "text/vcard",
            "/demo/contacts/bad.vcf",
            "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:No UID\r\nEND:VCARD\r\n".into(),
            CARDDAV,
            "valid-address-data",
        ),
        (
            "text/vcard",
            "/demo/contacts/bad.vcf",
            "not a vcard at all".into(),
            CARDDAV,
            "valid-address-data",
        ),
        (
            "text/vcard",
            "/demo/contacts/bad.vcf",
            event("ev-in-book", "Event"),
            CARDDAV,
            "valid-address-data",
        ),
        (
            "text/vcard",
            "/demo/contacts/bad.vcf",
            card("2.1", "old-1", "Old"),
            CARDDAV,
            "supported-address-data",
        ),
        (
            "text/calendar",
            "/demo/contacts/bad.vcf",
            card("4.0", "ct-1", "Typed"),
            CARDDAV,
            "supported-address-data",
        ),
        (
            "text/calendar",
            "/demo/contacts/bad.ics",
            event("ics-in-book", "Event"),
            CARDDAV,
            "supported-address-data",
        ),
        (
            "text/vcard",
            "/demo/work/bad.vcf",
            card("4.0", "vcf-in-cal", "Card"),
            CALDAV,
            "supported-calendar-data",
        ),
    ];
    for (ct, path, body, ns, cond) in cases {
        let r = srv
            .request("PUT", path)
            .header("Content-Type", ct)
            .body(body)
            .fetch();
        assert!(
            r.status == 403 || r.status == 415,
            "{path} {cond}: {}",
            r.status
        );
        r.expect_condition(ns, cond);
        srv.get(path).expect(404);
    }
    // The same UID under another name.
    let r = srv.put_vcf("/demo/contacts/twin.vcf", &card("3.0", ANNA_UID, "Twin"));
    r.expect(403);
    assert_eq!(
        r.expect_condition(CARDDAV, "no-uid-conflict").hrefs(),
        [ANNA]
    );
    assert!(!srv.file("demo/contacts/twin.vcf").exists());
    // Into an address book that does not exist: 409.
    srv.put_vcf("/demo/nobook/x.vcf", &card("4.0", "nb", "N"))
        .expect(409);
    fence.check("PUT preconditions", None);
}

#[test]
fn an_oversized_contact_fails_carddav_max_resource_size() {
    let srv = Server::start(Options {
        config: Some("max_resource_size = 2000\n".into()),
        ..Options::default()
    });
    let ms = srv.props(BOOK, &[(CARDDAV, "max-resource-size")]);
    assert_eq!(ms.single().ok(CARDDAV, "max-resource-size").text, "2000");
    let note = format!("NOTE:{}\r\n", "x".repeat(3000));
    let big = card("4.0", "big-1", "Big").replace("END:VCARD", &format!("{note}END:VCARD"));
    // Just above the bound, and far above it (refused while it is read).
    let huge = big.replace(&note, &format!("NOTE:{}\r\n", "x".repeat(200_000)));
    // Also under a name without `.vcf` (docs/DESIGN.md "Object names").
    for path in ["/demo/contacts/big.vcf", "/demo/contacts/big"] {
        for body in [&big, &huge] {
            let r = srv.put_vcf(path, body);
            r.expect(403);
            r.expect_condition(CARDDAV, "max-resource-size");
        }
    }
    assert!(!srv.file("demo/contacts/big.vcf").exists());
    assert!(!srv.file("demo/contacts/big.noext.vcf").exists());
}

#[test]
fn get_of_an_address_book_exports_every_card() {
    let srv = Server::sample();
    let r = srv.get(BOOK);
    r.expect(200);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("text/vcard; charset=utf-8")
    );
    let text = r.text();
    let files: Vec<String> = srv
        .dir_names("demo/contacts")
        .into_iter()
        .filter(|n| n.ends_with(".vcf"))
        .collect();
    assert_eq!(files.len(), 5);
    for name in &files {
        let card = String::from_utf8(srv.read(&format!("demo/contacts/{name}"))).unwrap();
        assert!(
            text.contains(card.trim_end()),
            "{name} missing from the export"
        );
    }
    assert_eq!(text.matches("BEGIN:VCARD").count(), files.len());
    assert_eq!(text.matches("END:VCARD").count(), files.len());
    // Conditional on the collection's tag, as the calendar export is.
    let tag = r.header("etag").unwrap();
    srv.request("GET", BOOK)
        .header("If-None-Match", tag)
        .fetch()
        .expect(304);
}
