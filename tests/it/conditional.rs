//! Conditional requests (RFC 9110 §13, RFC 4791 §5.3.4): If-Match and
//! If-None-Match on GET, PUT and DELETE, against davdir's strong ETags.

use crate::common::*;

const OBJ: &str = "/demo/work/focus-time.ics";
const OBJ_FILE: &str = "demo/work/focus-time.ics";

fn current_etag(srv: &Server) -> String {
    format!("\"{}\"", sha256_hex(&srv.read(OBJ_FILE)))
}

fn changed(srv: &Server) -> String {
    let body = String::from_utf8(srv.read(OBJ_FILE)).unwrap();
    body.replacen("END:VEVENT", "COMMENT:edited\r\nEND:VEVENT", 1)
}

#[test]
fn get_with_matching_if_none_match_is_304() {
    let srv = Server::sample();
    let etag = current_etag(&srv);
    let r = srv
        .request("GET", OBJ)
        .header("If-None-Match", etag.as_str())
        .fetch();
    r.expect(304);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(etag.clone()));
    let r = srv
        .request("GET", OBJ)
        .header("If-None-Match", "\"something-else\"")
        .fetch();
    r.expect(200);
    assert_eq!(r.body, srv.read(OBJ_FILE));
}

#[test]
fn put_if_none_match_star_on_existing_is_412() {
    let srv = Server::sample();
    let before = srv.read(OBJ_FILE);
    let r = srv
        .request("PUT", OBJ)
        .header("Content-Type", "text/calendar")
        .header("If-None-Match", "*")
        .body(changed(&srv))
        .fetch();
    r.expect(412);
    assert_eq!(srv.read(OBJ_FILE), before);
    // On a new name the same condition lets the PUT through.
    srv.request("PUT", "/demo/work/brand-new.ics")
        .header("Content-Type", "text/calendar")
        .header("If-None-Match", "*")
        .body(event("brand-new", "x"))
        .fetch()
        .expect(201);
}

#[test]
fn put_with_stale_if_match_is_412() {
    let srv = Server::sample();
    let before = srv.read(OBJ_FILE);
    let stale = format!("\"{}\"", sha256_hex(b"an older version"));
    let r = srv
        .request("PUT", OBJ)
        .header("Content-Type", "text/calendar")
        .header("If-Match", stale.as_str())
        .body(changed(&srv))
        .fetch();
    r.expect(412);
    assert_eq!(srv.read(OBJ_FILE), before);
    srv.assert_no_temp_files("demo/work");
}

#[test]
fn put_with_matching_if_match_is_204() {
    let srv = Server::sample();
    let etag = current_etag(&srv);
    let body = changed(&srv);
    let r = srv
        .request("PUT", OBJ)
        .header("Content-Type", "text/calendar")
        .header("If-Match", etag.as_str())
        .body(body.clone())
        .fetch();
    r.expect(204);
    assert_eq!(srv.read(OBJ_FILE), body.as_bytes());
    assert_eq!(r.etag(), Some(sha256_hex(body.as_bytes())));
    // The old ETag is stale now.
    srv.request("PUT", OBJ)
        .header("Content-Type", "text/calendar")
        .header("If-Match", etag.as_str())
        .body(body)
        .fetch()
        .expect(412);
}

#[test]
fn put_with_if_match_on_missing_resource_is_412() {
    let srv = Server::sample();
    srv.request("PUT", "/demo/work/not-there.ics")
        .header("Content-Type", "text/calendar")
        .header("If-Match", "*")
        .body(event("not-there", "x"))
        .fetch()
        .expect(412);
    assert!(!srv.file("demo/work/not-there.ics").exists());
}

#[test]
fn etag_follows_a_hand_edit() {
    let srv = Server::sample();
    let old = current_etag(&srv);
    std::fs::write(srv.file(OBJ_FILE), changed(&srv)).unwrap();
    let new = current_etag(&srv);
    assert_ne!(old, new);
    // The edit is seen at once by GET (the server reads the file it serves).
    let ok = wait_until(10, || srv.get(OBJ).header("etag") == Some(new.clone()));
    assert!(ok, "GET did not report the hand-edited ETag");
    srv.request("PUT", OBJ)
        .header("Content-Type", "text/calendar")
        .header("If-Match", old.as_str())
        .body(changed(&srv))
        .fetch()
        .expect(412);
}

#[test]
fn delete_with_stale_if_match_is_412() {
    let srv = Server::sample();
    let r = srv
        .request("DELETE", OBJ)
        .header("If-Match", "\"0000\"")
        .fetch();
    r.expect(412);
    assert!(srv.file(OBJ_FILE).exists());
    let etag = current_etag(&srv);
    srv.request("DELETE", OBJ)
        .header("If-Match", etag.as_str())
        .fetch()
        .expect(204);
    assert!(!srv.file(OBJ_FILE).exists());
}

/// RFC 9110 §13.1.1: If-Match uses the strong comparison, so a weak entity
/// tag never matches, even with the same opaque value.
#[test]
fn if_match_with_a_weak_etag_does_not_match() {
    let srv = Server::sample();
    let before = srv.read(OBJ_FILE);
    let weak = format!("W/{}", current_etag(&srv));
    srv.request("PUT", OBJ)
        .header("Content-Type", "text/calendar")
        .header("If-Match", weak.as_str())
        .body(changed(&srv))
        .fetch()
        .expect(412);
    assert_eq!(srv.read(OBJ_FILE), before);
}

#[test]
fn delete_calendar_with_stale_if_match_is_412() {
    let srv = Server::sample();
    srv.request("DELETE", "/demo/personal/")
        .header("If-Match", "\"not-the-ctag\"")
        .fetch()
        .expect(412);
    assert!(srv.file("demo/personal").is_dir());
}

/// docs/DESIGN.md "Writes": the If-Match check and the write are atomic, so of
/// several writers holding the same ETag exactly one succeeds.
#[test]
fn concurrent_if_match_puts_let_exactly_one_win() {
    let srv = Server::sample();
    let etag = current_etag(&srv);
    let base = changed(&srv);
    let statuses: Vec<(u16, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let body = base.replacen("COMMENT:edited", &format!("COMMENT:writer {i}"), 1);
                let (srv, etag) = (&srv, etag.as_str());
                s.spawn(move || {
                    let r = srv
                        .request("PUT", OBJ)
                        .header("Content-Type", "text/calendar")
                        .header("If-Match", etag)
                        .body(body.clone())
                        .fetch();
                    (r.status, body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<&(u16, String)> = statuses.iter().filter(|(s, _)| *s == 204).collect();
    assert_eq!(
        winners.len(),
        1,
        "statuses: {:?}",
        statuses.iter().map(|s| s.0).collect::<Vec<_>>()
    );
    assert!(statuses.iter().all(|(s, _)| *s == 204 || *s == 412));
    assert_eq!(srv.read(OBJ_FILE), winners[0].1.as_bytes());
    srv.assert_no_temp_files("demo/work");
}
