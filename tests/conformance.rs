//! What an independent CalDAV/CardDAV compliance suite and real clients
//! found (issue 25), each case over raw HTTP: the precondition or status the
//! RFCs ask for, and, where they leave a choice, what CalendarServer and
//! sabre/dav do.

mod common;

use common::*;

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
