//! The derived birthday calendar `/<user>/birthdays/` (issue 10): listed in
//! the home as a read-only calendar, served from the contacts of data-sample
//! (demo/contacts), queried by time range, its sync token moved by contact
//! date changes seen by the watcher, every write refused, and switched off
//! by `birthday_calendar = false`.

use std::collections::BTreeSet;

use crate::common::*;
use chrono::{Datelike, Months, NaiveDate};

const BOOK: &str = "demo/contacts";

fn bday_href(name: &str) -> String {
    href("demo", "birthdays", name)
}

fn vcard(uid: &str, fn_: &str, extra: &str) -> String {
    format!("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{uid}\r\nFN:{fn_}\r\n{extra}END:VCARD\r\n")
}

fn sync_body(token: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
    )
}

/// A sync-collection from `token`: (changed hrefs, removed hrefs, new token).
fn sync(srv: &Server, token: &str) -> (BTreeSet<String>, BTreeSet<String>, String) {
    let ms = srv
        .report("/demo/birthdays/", "0", &sync_body(token))
        .multistatus();
    let mut changed = BTreeSet::new();
    let mut removed = BTreeSet::new();
    for r in &ms.responses {
        if r.status == Some(404) {
            removed.insert(r.href.clone());
        } else {
            changed.insert(r.href.clone());
        }
    }
    (changed, removed, ms.sync_token.expect("a sync-token"))
}

fn token(srv: &Server) -> String {
    sync(srv, "").2
}

/// Waits (bounded) for the watcher to carry a hand edit into the token.
#[track_caller]
fn wait_token_moves(srv: &Server, from: &str) -> String {
    let mut now = from.to_string();
    assert!(
        wait_until(10, || {
            now = token(srv);
            now != from
        }),
        "birthday sync token did not move"
    );
    now
}

#[test]
fn listed_in_the_home_as_a_read_only_calendar_with_nothing_on_disk() {
    let srv = Server::sample();
    assert!(srv.members("/demo/").contains("/demo/birthdays/"));
    let ms = srv.props(
        "/demo/birthdays/",
        &[
            (DAV, "displayname"),
            (DAV, "resourcetype"),
            (CALDAV, "supported-calendar-component-set"),
            (DAV, "current-user-privilege-set"),
        ],
    );
    let r = ms.single();
    assert_eq!(r.ok(DAV, "displayname").text, "Birthdays");
    assert!(r
        .ok(DAV, "resourcetype")
        .child(CALDAV, "calendar")
        .is_some());
    let comps = r.ok(CALDAV, "supported-calendar-component-set");
    let names: Vec<String> = comps
        .children_named(CALDAV, "comp")
        .map(|c| c.attr("name").unwrap_or_default().to_string())
        .collect();
    assert_eq!(names, ["VEVENT"]);
    let privs = r.ok(DAV, "current-user-privilege-set");
    let granted: BTreeSet<String> = privs
        .children_named(DAV, "privilege")
        .flat_map(|p| p.children.iter().map(|c| c.name.to_string()))
        .collect();
    assert!(granted.contains("read"), "{granted:?}");
    assert!(
        !granted.contains("write") && !granted.contains("bind"),
        "{granted:?}"
    );
    assert!(!srv.data.join("demo/birthdays").exists());
}

#[test]
fn serves_one_yearly_all_day_event_per_contact_date() {
    let srv = Server::sample();
    let members = srv.members("/demo/birthdays/");
    let expected: BTreeSet<String> = [
        "/demo/birthdays/".to_string(),
        bday_href("anna-schmidt-bday.ics"),
        bday_href("juergen-weiss-bday.ics"),
        bday_href("zoe-angstrom-bday.ics"),
        bday_href("zoe-angstrom-anniversary.ics"),
    ]
    .into();
    assert_eq!(members, expected);
    let resp = srv.get("/demo/birthdays/anna-schmidt-bday.ics");
    resp.expect(200);
    let text = resp.text();
    assert!(text.contains("SUMMARY:Birthday: Anna Schmidt"), "{text}");
    assert!(text.contains("DTSTART;VALUE=DATE:19850412"), "{text}");
    assert!(text.contains("RRULE:FREQ=YEARLY"), "{text}");
    assert_eq!(resp.etag(), Some(sha256_hex(&resp.body)));
    srv.get("/demo/birthdays/maria-rossi-bday.ics").expect(404);
}

#[test]
fn a_time_range_query_finds_next_months_birthdays() {
    let srv = Server::sample();
    let before = token(&srv);
    let today = chrono::Utc::now().date_naive();
    let start = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap() + Months::new(1);
    let end = start + Months::new(1);
    let born = NaiveDate::from_ymd_opt(1990, start.month(), 9).unwrap();
    std::fs::write(
        srv.data.join(BOOK).join("birgit.vcf"),
        vcard(
            "bd-birgit",
            "Birgit Geburtstag",
            &format!("BDAY:{}\r\n", born.format("%Y%m%d")),
        ),
    )
    .unwrap();
    wait_token_moves(&srv, &before);
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{}T000000Z" end="{}T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#,
        start.format("%Y%m%d"),
        end.format("%Y%m%d")
    );
    let found = srv
        .report("/demo/birthdays/", "1", &body)
        .multistatus()
        .hrefs();
    // The sample's dates: Anna and Jürgen in April, Zoë's birthday in July
    // and her anniversary in June.
    let mut expected: BTreeSet<String> = [bday_href("birgit-bday.ics")].into();
    for (month, name) in [
        (4, "anna-schmidt-bday.ics"),
        (4, "juergen-weiss-bday.ics"),
        (7, "zoe-angstrom-bday.ics"),
        (6, "zoe-angstrom-anniversary.ics"),
    ] {
        if start.month() == month {
            expected.insert(bday_href(name));
        }
    }
    assert_eq!(found, expected);
}

#[test]
fn the_sync_token_follows_contact_dates_not_other_edits() {
    let srv = Server::sample();
    let (all, _, first) = sync(&srv, "");
    assert_eq!(all.len(), 4);
    let anna = srv.data.join(BOOK).join("anna-schmidt.vcf");
    let text = std::fs::read_to_string(&anna).unwrap();
    // An edit that leaves the dates and the name alone, then a date edit
    // of another contact: the watcher applies them in this order.
    std::fs::write(
        &anna,
        text.replace("END:VCARD", "NOTE:met at the fair\r\nEND:VCARD"),
    )
    .unwrap();
    let juergen = srv.data.join(BOOK).join("juergen-weiss.vcf");
    let text = std::fs::read_to_string(&juergen).unwrap();
    assert!(text.contains("BDAY:19850412"));
    std::fs::write(&juergen, text.replace("BDAY:19850412", "BDAY:19850413")).unwrap();
    let second = wait_token_moves(&srv, &first);
    let (changed, removed, _) = sync(&srv, &first);
    assert_eq!(changed, [bday_href("juergen-weiss-bday.ics")].into());
    assert!(removed.is_empty());
    let resp = srv.get("/demo/birthdays/juergen-weiss-bday.ics");
    assert!(resp
        .expect(200)
        .text()
        .contains("DTSTART;VALUE=DATE:19850413"));

    std::fs::remove_file(srv.data.join(BOOK).join("zoe-angstrom.vcf")).unwrap();
    wait_token_moves(&srv, &second);
    let (changed, removed, _) = sync(&srv, &second);
    assert!(changed.is_empty(), "{changed:?}");
    assert_eq!(
        removed,
        [
            bday_href("zoe-angstrom-anniversary.ics"),
            bday_href("zoe-angstrom-bday.ics")
        ]
        .into()
    );
    srv.get("/demo/birthdays/zoe-angstrom-bday.ics").expect(404);
}

#[test]
fn every_write_is_refused_with_need_privileges() {
    let srv = Server::sample();
    let need = |resp: Resp| {
        resp.expect(403).expect_condition(DAV, "need-privileges");
    };
    let obj = "/demo/birthdays/anna-schmidt-bday.ics";
    let etag_before = srv.get(obj).etag();
    need(srv.put_ics("/demo/birthdays/x.ics", &event("x", "Party")));
    need(srv.put_ics(obj, &event("x", "Party")));
    need(srv.delete(obj));
    need(srv.delete("/demo/birthdays/"));
    need(srv.proppatch(
        "/demo/birthdays/",
        r#"<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>Mine</D:displayname></D:prop></D:set></D:propertyupdate>"#,
    ));
    need(srv.mkcalendar("/demo/birthdays/", None));
    need(srv.request("MKCOL", "/demo/birthdays/").fetch());
    let to = |dest: &str| srv.url(dest);
    need(
        srv.request("MOVE", "/demo/work/")
            .header("Destination", to("/demo/birthdays/"))
            .fetch(),
    );
    need(
        srv.request("COPY", "/demo/birthdays/")
            .header("Destination", to("/demo/copied/"))
            .fetch(),
    );
    need(
        srv.request("COPY", obj)
            .header("Destination", to("/demo/work/anna.ics"))
            .fetch(),
    );
    need(
        srv.request("MOVE", "/demo/work/focus-time.ics")
            .header("Destination", to("/demo/birthdays/focus-time.ics"))
            .fetch(),
    );
    assert_eq!(srv.get(obj).etag(), etag_before);
    assert!(!srv.data.join("demo/birthdays").exists());
    assert!(!srv.data.join("demo/copied").exists());
    assert!(srv.data.join("demo/work/focus-time.ics").exists());
}

#[test]
fn switched_off_the_name_is_an_ordinary_calendar() {
    let srv = Server::start(Options {
        config: Some("birthday_calendar = false\n".into()),
        ..Options::default()
    });
    assert!(!srv.members("/demo/").contains("/demo/birthdays/"));
    srv.propfind("/demo/birthdays/", "0", None).expect(404);
    srv.mkcalendar("/demo/birthdays/", None).expect(201);
    assert!(srv.data.join("demo/birthdays").is_dir());
    srv.put_ics("/demo/birthdays/x.ics", &event("x", "Party"))
        .expect(201);
}

#[test]
fn a_directory_under_the_reserved_name_is_not_served_while_on() {
    let srv = Server::sample();
    let dir = srv.data.join("demo/birthdays");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("x.ics"), event("x", "Hand made")).unwrap();
    srv.get("/demo/birthdays/x.ics").expect(404);
    let members = srv.members("/demo/birthdays/");
    assert!(!members.contains(&bday_href("x.ics")), "{members:?}");
    assert!(members.contains(&bday_href("anna-schmidt-bday.ics")));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_davdir"))
        .args(["check", "--data"])
        .arg(&srv.data)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{report}");
    let line = format!("{}: the name is reserved", dir.display());
    assert!(report.contains(&line), "{report}");
    assert!(dir.join("x.ics").exists());
}
