//! Until the CardDAV phase, address books exist only in the store: over
//! HTTP an address book and its contacts are 404, absent from the home's
//! listing, and calendar methods cannot write into or over them.

mod common;

use common::*;

#[test]
fn address_book_is_not_served_as_a_calendar() {
    let srv = Server::sample();
    let members = srv.members("/demo/");
    assert!(members.contains("/demo/work/"), "{members:?}");
    assert!(
        !members.iter().any(|m| m.contains("contacts")),
        "{members:?}"
    );
    srv.propfind("/demo/contacts/", "0", None).expect(404);
    srv.get("/demo/contacts/anna-schmidt.vcf").expect(404);
    srv.put_ics("/demo/contacts/x.ics", &event("x", "x"))
        .expect(409);
    srv.delete("/demo/contacts/").expect(404);
    assert!(srv.file("demo/contacts/anna-schmidt.vcf").is_file());
    // MOVE of a calendar onto it with Overwrite: T does not replace it.
    let r = srv
        .request("MOVE", "/demo/work/")
        .header("Destination", srv.url("/demo/contacts/"))
        .header("Overwrite", "T")
        .fetch();
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(srv.file("demo/contacts/anna-schmidt.vcf").is_file());
    assert!(srv.file("demo/work/focus-time.ics").is_file());
}
