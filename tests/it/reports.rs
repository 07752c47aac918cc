//! REPORTs: calendar-multiget (RFC 4791 §7.9) and sync-collection (RFC 6578),
//! plus getctag / sync-token movement.

use std::collections::BTreeSet;

use crate::common::*;

fn multiget(hrefs: &[&str]) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>"#,
    );
    for h in hrefs {
        s.push_str(&format!("<D:href>{h}</D:href>"));
    }
    s.push_str("</C:calendar-multiget>");
    s
}

/// XML turns CR LF into LF (XML 1.0 §2.11), so compare iCalendar text without CRs.
fn lf(s: &str) -> String {
    s.replace("\r\n", "\n")
}

#[test]
fn multiget_returns_data_and_etags_and_404_for_missing() {
    let srv = Server::sample();
    let a = "/demo/work/focus-time.ics";
    let b = "/demo/work/team-weekly-sync.ics";
    let missing = "/demo/work/does-not-exist.ics";
    let ms = srv
        .report("/demo/work/", "1", &multiget(&[a, missing, b]))
        .multistatus();
    assert_eq!(ms.responses.len(), 3);
    for (h, file) in [
        (a, "demo/work/focus-time.ics"),
        (b, "demo/work/team-weekly-sync.ics"),
    ] {
        let r = ms.get(h);
        let bytes = srv.read(file);
        assert_eq!(
            r.ok(DAV, "getetag").text,
            format!("\"{}\"", sha256_hex(&bytes))
        );
        assert_eq!(
            lf(&r.ok(CALDAV, "calendar-data").text),
            lf(&String::from_utf8(bytes).unwrap())
        );
    }
    let m = ms.get(missing);
    let status = m
        .status
        .or_else(|| m.props.first().map(|p| p.status))
        .unwrap();
    assert_eq!(status, 404);
    assert!(m
        .prop(CALDAV, "calendar-data")
        .is_none_or(|p| p.status == 404));
}

/// Hrefs that name one object (percent-encoded or not, absolute or not)
/// are answered once, and so is an href repeated that names nothing.
#[test]
fn multiget_answers_each_resource_once() {
    let srv = Server::sample();
    let a = "/demo/work/focus-time.ics";
    let missing = "/demo/work/nothing.ics";
    let body = multiget(&[
        a,
        "/demo/work/focus%2Dtime.ics",
        &format!("{}{a}", srv.base),
        missing,
        missing,
        "not a path",
        "not a path",
    ]);
    let ms = srv.report("/demo/work/", "1", &body).multistatus();
    let hrefs: Vec<&str> = ms.responses.iter().map(|r| r.href.as_str()).collect();
    assert_eq!(hrefs, [a, missing, "not a path"]);
}

fn sync_body(token: &str, limit: Option<usize>) -> String {
    let limit = limit
        .map(|n| format!("<D:limit><D:nresults>{n}</D:nresults></D:limit>"))
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level>{limit}<D:prop><D:getetag/></D:prop></D:sync-collection>"#
    )
}

fn sync(srv: &Server, cal: &str, token: &str, limit: Option<usize>) -> Multistatus {
    let ms = srv.report(cal, "0", &sync_body(token, limit)).multistatus();
    assert!(
        ms.sync_token.is_some(),
        "sync-collection answer without sync-token"
    );
    ms
}

#[test]
fn initial_sync_lists_every_object() {
    let srv = Server::sample();
    let ms = sync(&srv, "/demo/work/", "", None);
    let want: BTreeSet<String> = ics_names(&srv.file("demo/work"))
        .into_iter()
        .map(|n| href("demo", "work", &n))
        .collect();
    assert_eq!(ms.hrefs(), want);
    for r in &ms.responses {
        let name = r.href.rsplit('/').next().unwrap();
        let bytes = srv.read(&format!("demo/work/{name}"));
        assert_eq!(
            r.ok(DAV, "getetag").text,
            format!("\"{}\"", sha256_hex(&bytes))
        );
    }
}

#[test]
fn sync_after_put_returns_just_that_object() {
    let srv = Server::sample();
    let t1 = sync(&srv, "/demo/work/", "", None).sync_token.unwrap();
    let body = event("sync-new-1", "New");
    srv.put_ics("/demo/work/sync-new.ics", &body).expect(201);
    let ms = sync(&srv, "/demo/work/", &t1, None);
    assert_eq!(
        ms.hrefs(),
        BTreeSet::from(["/demo/work/sync-new.ics".to_string()])
    );
    assert_eq!(
        ms.single().ok(DAV, "getetag").text,
        format!("\"{}\"", sha256_hex(body.as_bytes()))
    );
    let t2 = ms.sync_token.unwrap();
    assert_ne!(t1, t2);
    // Nothing changed since t2.
    let ms = sync(&srv, "/demo/work/", &t2, None);
    assert!(ms.responses.is_empty(), "{:#?}", ms.responses);
}

#[test]
fn sync_after_delete_reports_404_for_the_removed_href() {
    let srv = Server::sample();
    let t1 = sync(&srv, "/demo/work/", "", None).sync_token.unwrap();
    srv.delete("/demo/work/focus-time.ics").expect(204);
    let ms = sync(&srv, "/demo/work/", &t1, None);
    let r = ms.single();
    assert_eq!(r.href, "/demo/work/focus-time.ics");
    assert_eq!(r.status, Some(404));
    assert!(r.props.is_empty());
}

#[test]
fn bogus_sync_token_is_403_valid_sync_token() {
    let srv = Server::sample();
    for token in [
        "not-a-token",
        "http://davdir.invalid/sync/0123456789abcdef-3",
        "http://example.com/other-server/1",
    ] {
        let r = srv.report("/demo/work/", "0", &sync_body(token, None));
        r.expect(403);
        r.expect_condition(DAV, "valid-sync-token");
    }
}

#[test]
fn sync_with_limit_truncates_with_507_and_a_token_that_continues() {
    let srv = Server::sample();
    srv.mkcalendar("/demo/limited/", None).expect(201);
    let t0 = sync(&srv, "/demo/limited/", "", None).sync_token.unwrap();
    let mut all = BTreeSet::new();
    for i in 0..5 {
        let h = format!("/demo/limited/item{i}.ics");
        srv.put_ics(&h, &event(&format!("limited-{i}"), "x"))
            .expect(201);
        all.insert(h);
    }
    let mut seen = BTreeSet::new();
    let mut token = t0;
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds <= 5, "sync did not finish in 5 rounds");
        let ms = sync(&srv, "/demo/limited/", &token, Some(2));
        let truncated = ms
            .responses
            .iter()
            .any(|r| r.href == "/demo/limited/" && r.status == Some(507));
        let objects: Vec<&Response> = ms
            .responses
            .iter()
            .filter(|r| r.href != "/demo/limited/")
            .collect();
        assert!(objects.len() <= 2, "limit 2 exceeded: {:#?}", ms.responses);
        for r in objects {
            assert_eq!(r.status_of(DAV, "getetag"), Some(200), "{r:#?}");
            seen.insert(r.href.clone());
        }
        let next = ms.sync_token.clone().unwrap();
        if rounds == 1 {
            assert!(truncated, "5 changes with limit 2 must be truncated (507)");
        }
        token = next;
        if !truncated {
            break;
        }
    }
    assert!(
        rounds >= 3,
        "5 changes in rounds of 2 need 3 answers, got {rounds}"
    );
    assert_eq!(seen, all);
    let ms = sync(&srv, "/demo/limited/", &token, None);
    assert!(ms.responses.is_empty(), "{:#?}", ms.responses);
}

fn ctag_and_token(srv: &Server, cal: &str) -> (String, String) {
    let ms = srv.props(cal, &[(CS, "getctag"), (DAV, "sync-token")]);
    let r = ms.single();
    (
        r.ok(CS, "getctag").text.clone(),
        r.ok(DAV, "sync-token").text.clone(),
    )
}

/// Waits until the file watcher has handled every change made so far (the
/// server's own writes echo back through it): it handles them in order, so
/// once a contact written by hand now shows in sync-collection, the changes
/// before it were seen too. The control a check of "nothing changed" needs.
fn watcher_caught_up(srv: &Server) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::fs::write(
        srv.file(&format!("demo/contacts/control-{n}.vcf")),
        format!("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:control-{n}\r\nFN:Control\r\nEND:VCARD\r\n"),
    )
    .unwrap();
    let href = format!("/demo/contacts/control-{n}.vcf");
    assert!(
        wait_until(30, || sync(srv, "/demo/contacts/", "", None)
            .hrefs()
            .contains(&href)),
        "the watcher did not see {href} within 30 s"
    );
}

#[test]
fn ctag_and_sync_token_move_only_on_change() {
    let srv = Server::sample();
    let settle = || watcher_caught_up(&srv);
    settle();
    let a = ctag_and_token(&srv, "/demo/work/");
    // Reads change nothing.
    srv.get("/demo/work/focus-time.ics").expect(200);
    srv.get("/demo/work/").expect(200);
    srv.propfind("/demo/work/", "1", None).expect(207);
    settle();
    assert_eq!(ctag_and_token(&srv, "/demo/work/"), a);

    srv.put_ics("/demo/work/ctag.ics", &event("ctag-1", "x"))
        .expect(201);
    let b = ctag_and_token(&srv, "/demo/work/");
    assert_ne!(a.0, b.0, "getctag did not change after a PUT");
    assert_ne!(a.1, b.1, "sync-token did not change after a PUT");
    settle();
    let b = ctag_and_token(&srv, "/demo/work/");
    settle();
    assert_eq!(ctag_and_token(&srv, "/demo/work/"), b);

    srv.delete("/demo/work/ctag.ics").expect(204);
    let c = ctag_and_token(&srv, "/demo/work/");
    assert_ne!(b.0, c.0, "getctag did not change after a DELETE");
    assert_ne!(b.1, c.1, "sync-token did not change after a DELETE");
    // Another calendar is unaffected.
    let p = ctag_and_token(&srv, "/demo/personal/");
    srv.put_ics("/demo/work/ctag2.ics", &event("ctag-2", "x"))
        .expect(201);
    settle();
    assert_eq!(ctag_and_token(&srv, "/demo/personal/"), p);
}

#[test]
fn sync_sees_a_move_in_both_calendars() {
    let srv = Server::sample();
    let work = sync(&srv, "/demo/work/", "", None).sync_token.unwrap();
    let personal = sync(&srv, "/demo/personal/", "", None).sync_token.unwrap();
    srv.request("MOVE", "/demo/work/focus-time.ics")
        .header("Destination", srv.url("/demo/personal/focus-time.ics"))
        .fetch()
        .expect(201);
    let ms = sync(&srv, "/demo/work/", &work, None);
    assert_eq!(ms.single().href, "/demo/work/focus-time.ics");
    assert_eq!(ms.single().status, Some(404));
    let ms = sync(&srv, "/demo/personal/", &personal, None);
    assert_eq!(ms.single().href, "/demo/personal/focus-time.ics");
    assert_eq!(ms.single().status_of(DAV, "getetag"), Some(200));
}

#[test]
fn unsupported_report_is_403_supported_report() {
    let srv = Server::sample();
    let r = srv.report(
        "/demo/work/",
        "0",
        r#"<D:expand-property xmlns:D="DAV:"><D:property name="owner"/></D:expand-property>"#,
    );
    r.expect(403);
    r.expect_condition(DAV, "supported-report");
}
