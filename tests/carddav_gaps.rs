//! CardDAV end to end over raw HTTP, for what the other CardDAV suites do
//! not show: objects refused across kinds by COPY/MOVE with their
//! precondition element, the CARDDAV namespace prefix, OPTIONS on an
//! address book, a whole address book copied with its properties, the hook
//! on contact writes, `davdir check` on bad `.vcf` files, and hand-copied
//! contacts in sync-collection within the issue's second.

mod common;

use common::*;

const CARDDAV: &str = "urn:ietf:params:xml:ns:carddav";
const ANNA: &str = "/demo/contacts/anna-schmidt.vcf";

#[test]
fn objects_crossing_kinds_fail_the_destinations_data_precondition() {
    let srv = Server::sample();
    for method in ["COPY", "MOVE"] {
        let r = srv
            .request(method, ANNA)
            .header("Destination", srv.url("/demo/work/anna.vcf"))
            .fetch();
        r.expect(415);
        r.expect_condition(CALDAV, "supported-calendar-data");
        let r = srv
            .request(method, "/demo/work/focus-time.ics")
            .header("Destination", srv.url("/demo/contacts/focus-time.ics"))
            .fetch();
        r.expect(403);
        r.expect_condition(CARDDAV, "supported-address-data");
    }
    assert!(srv.file("demo/contacts/anna-schmidt.vcf").is_file());
    assert!(srv.file("demo/work/focus-time.ics").is_file());
    assert!(!srv.file("demo/work/anna.vcf").exists());
    assert!(!srv.file("demo/contacts/focus-time.ics").exists());
}

/// CardDAV elements use the `CARD` prefix declared once on the root, as
/// CalDAV's use `C`, in properties, address-data and error bodies alike.
#[test]
fn carddav_elements_use_the_prefix_declared_at_the_root() {
    let srv = Server::sample();
    let local = format!("xmlns=\"{CARDDAV}\"");
    let root = format!("xmlns:CARD=\"{CARDDAV}\"");
    let body = propfind_body(&[
        (DAV, "resourcetype"),
        (CARDDAV, "supported-address-data"),
        (CARDDAV, "max-resource-size"),
        (CARDDAV, "addressbook-home-set"),
    ]);
    let propfind = srv.propfind("/demo/", "1", Some(&body));
    let report = srv.report(
        "/demo/contacts/",
        "1",
        &format!(
            r#"<?xml version="1.0"?><C:addressbook-multiget xmlns:D="DAV:" xmlns:C="{CARDDAV}"><D:prop><C:address-data/></D:prop><D:href>{ANNA}</D:href></C:addressbook-multiget>"#
        ),
    );
    let refused = srv
        .request("PUT", "/demo/contacts/bad.vcf")
        .header("Content-Type", "text/vcard")
        .body("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:No UID\r\nEND:VCARD\r\n")
        .fetch();
    refused.expect(403);
    for (what, text) in [
        ("PROPFIND", propfind.text()),
        ("REPORT", report.text()),
        ("PUT error", refused.text()),
    ] {
        assert!(!text.contains(&local), "{what}: local xmlns in\n{text}");
        let open = text.split('>').nth(1).unwrap_or_default();
        assert!(open.contains(&root), "{what}: root lacks CARD in\n{text}");
        assert!(
            text.contains("<CARD:"),
            "{what}: no CARD element in\n{text}"
        );
    }
    // Still the same expanded names to a namespace-aware reader.
    let ms = propfind.multistatus();
    let book = ms.get("/demo/contacts/").ok(DAV, "resourcetype");
    assert!(book.child(CARDDAV, "addressbook").is_some());
    refused.expect_condition(CARDDAV, "valid-address-data");
}
