//! CardDAV end to end over raw HTTP, for what the other CardDAV suites do
//! not show: objects refused across kinds by COPY/MOVE with their
//! precondition element, the CARDDAV namespace prefix, OPTIONS on an
//! address book, a whole address book copied with its properties, the hook
//! on contact writes, `davdir check` on bad `.vcf` files, and hand-copied
//! contacts in sync-collection within the second.

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
