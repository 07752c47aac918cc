//! Hostile requests at the HTTP and XML layer (issue 14, findings 3, 4, 10
//! and 12): deep or huge XML bodies, repeated property names, foreign COPY
//! destinations, slow and malformed connections; names and characters XML
//! does not allow, in bodies and in hand-edited dead properties, which must
//! never be echoed into a response that is not well-formed. Each probe
//! asserts the exact status it must get, that the server still answers
//! afterwards, and (through the fence) that nothing outside demo's home was
//! written or leaked.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;

/// `depth` nested elements in the DAV namespace.
fn nested(name: &str, depth: usize) -> String {
    format!(
        "{}{}",
        format!("<D:{name}>").repeat(depth),
        format!("</D:{name}>").repeat(depth)
    )
}

/// The server still serves a normal request.
#[track_caller]
fn alive(srv: &Server) {
    srv.propfind(
        "/demo/work/",
        "0",
        Some(&propfind_body(&[(DAV, "displayname")])),
    )
    .expect(207);
}

#[test]
fn deep_and_huge_xml_bodies_are_refused() {
    let srv = Server::sample();
    let fence = srv.fence();

    // Finding 3: a PROPFIND nested 35,000 levels (~385 KB).
    let body = format!(
        "<D:propfind xmlns:D=\"DAV:\"><D:prop>{}</D:prop></D:propfind>",
        nested("x", 35_000)
    );
    let r = srv.propfind("/demo/work/", "0", Some(&body));
    r.expect(400);
    fence.check("PROPFIND nested 35,000 levels", Some(&r));
    alive(&srv);

    // Finding 3: a PROPPATCH dead property nested 20,000 levels.
    let body = format!(
        "<D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop><X:deep xmlns:X=\"urn:x\">{}</X:deep></D:prop></D:set></D:propertyupdate>",
        nested("x", 20_000)
    );
    let r = srv.proppatch("/demo/work/", &body);
    r.expect(400);
    fence.check("PROPPATCH dead property nested 20,000 levels", Some(&r));
    let toml = std::fs::read_to_string(srv.file("demo/work/.calendar.toml")).unwrap_or_default();
    assert!(!toml.contains("deep"), "refused property was stored");
    alive(&srv);

    // Just past the depth bound (64): refused. Well inside it: kept and served.
    let body = format!(
        "<D:propfind xmlns:D=\"DAV:\"><D:prop>{}</D:prop></D:propfind>",
        nested("x", 63)
    );
    let r = srv.propfind("/demo/work/", "0", Some(&body));
    r.expect(400);
    fence.check("PROPFIND nested 65 levels", Some(&r));
    let body = format!(
        "<D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop><X:ok xmlns:X=\"urn:x\">{}</X:ok></D:prop></D:set></D:propertyupdate>",
        nested("x", 40)
    );
    let r = srv.proppatch("/demo/work/", &body);
    r.expect(207);
    fence.check("PROPPATCH dead property nested 40 levels", Some(&r));
    let ms = srv.props("/demo/work/", &[("urn:x", "ok")]);
    assert_eq!(ms.single().status_of("urn:x", "ok"), Some(200));

    // 25,000 sibling elements (the element bound is 20,000).
    let body = format!(
        "<D:propfind xmlns:D=\"DAV:\"><D:prop>{}</D:prop></D:propfind>",
        "<D:x/>".repeat(25_000)
    );
    let r = srv.propfind("/demo/work/", "0", Some(&body));
    r.expect(400);
    fence.check("PROPFIND with 25,000 elements", Some(&r));

    // 100 attributes on one element (the bound is 32).
    let attrs: String = (0..100).map(|i| format!(" a{i}=\"v\"")).collect();
    let body =
        format!("<D:propfind xmlns:D=\"DAV:\"><D:prop><D:getetag{attrs}/></D:prop></D:propfind>");
    let r = srv.propfind("/demo/work/", "0", Some(&body));
    r.expect(400);
    fence.check("element with 100 attributes", Some(&r));

    // 2 MB of text (the bound is 1 MiB per document).
    let body = format!(
        "<D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop><X:big xmlns:X=\"urn:x\">{}</X:big></D:prop></D:set></D:propertyupdate>",
        "y".repeat(2 << 20)
    );
    let r = srv.proppatch("/demo/work/", &body);
    r.expect(400);
    fence.check("PROPPATCH with 2 MB of text", Some(&r));

    // A dead property with a 100 KB name (names are bounded at 1 KiB).
    let body = format!(
        "<D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop><X:{n} xmlns:X=\"urn:x\">v</X:{n}></D:prop></D:set></D:propertyupdate>",
        n = "n".repeat(100 * 1024)
    );
    let r = srv.proppatch("/demo/work/", &body);
    r.expect(400);
    fence.check("PROPPATCH with a 100 KB property name", Some(&r));

    // Entity expansion: DOCTYPE entities are never expanded.
    let body = "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><D:propfind xmlns:D=\"DAV:\"><D:prop><D:displayname>&b;</D:displayname></D:prop></D:propfind>";
    let r = srv.propfind("/demo/work/", "0", Some(body));
    r.expect(400);
    fence.check("DOCTYPE entity expansion", Some(&r));

    // External entity pointing at the outside secret.
    let secret = srv.outside().join("secret.ics");
    let body = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY s SYSTEM \"file://{}\">]><D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop><D:displayname>&s;</D:displayname></D:prop></D:set></D:propertyupdate>",
        secret.display()
    );
    let r = srv.proppatch("/demo/work/", &body);
    r.expect(400);
    fence.check("external entity", Some(&r));

    // Not UTF-8 (an overlong encoding of '/').
    let r = srv
        .request("PROPFIND", "/demo/work/")
        .header("Depth", "0")
        .body(b"<D:propfind xmlns:D=\"DAV:\"><D:prop><D:x\xc0\xaf/></D:prop></D:propfind>".to_vec())
        .fetch();
    r.expect(400);
    fence.check("overlong UTF-8 in an XML body", Some(&r));
    alive(&srv);
}

#[test]
fn hand_edited_deep_dead_property_is_skipped() {
    let srv = Server::sample();
    let fence = srv.fence();
    let deep = nested("x", 100_000)
        .replace("<D:x>", "<x>")
        .replace("</D:x>", "</x>");
    let toml = format!(
        "[dead]\n\"{{urn:x}}deep\" = '<deep xmlns=\"urn:x\">{deep}</deep>'\n\"{{urn:x}}fine\" = '<fine xmlns=\"urn:x\">1</fine>'\n"
    );
    std::fs::write(srv.file("demo/work/.calendar.toml"), toml).unwrap();
    // allprop lists the readable one and leaves the deep one out.
    let r = srv.propfind("/demo/work/", "0", None);
    let ms = r.multistatus();
    fence.check("allprop over a hand-edited deep dead property", Some(&r));
    assert_eq!(ms.single().status_of("urn:x", "fine"), Some(200));
    assert!(ms.single().prop("urn:x", "deep").is_none());
    // Asked for by name, it is not found rather than sent malformed.
    let ms = srv.props("/demo/work/", &[("urn:x", "deep"), ("urn:x", "fine")]);
    assert_eq!(ms.single().status_of("urn:x", "deep"), Some(404));
    assert_eq!(ms.single().status_of("urn:x", "fine"), Some(200));
    assert!(srv.log().contains("dead property {urn:x}deep skipped"));
    alive(&srv);
}

/// An event made about `size` bytes by 72-octet `X-FILL` lines (an unfolded
/// line stays far below the iCalendar line bound).
fn large_event(uid: &str, size: usize) -> String {
    let mut fill = String::new();
    for i in 0..size / 80 {
        fill.push_str(&format!("X-FILL:{i:08}{}\r\n", "d".repeat(64)));
    }
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nSUMMARY:big\r\n{fill}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

#[test]
fn repeated_names_are_answered_once() {
    let srv = Server::sample();
    let fence = srv.fence();
    let big = large_event("big-1", 2 << 20);
    srv.put_ics("/demo/work/big.ics", &big).expect(201);

    // Finding 4: a 2 KB multiget naming calendar-data 100 times.
    let body = format!(
        "<C:calendar-multiget xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:prop>{}</D:prop><D:href>/demo/work/big.ics</D:href></C:calendar-multiget>",
        "<C:calendar-data/>".repeat(100)
    );
    assert!(body.len() < 2100);
    let r = srv.report("/demo/work/", "1", &body);
    let text = r.text();
    let ms = r.multistatus();
    fence.check("multiget naming calendar-data 100 times", Some(&r));
    assert_eq!(text.matches("calendar-data>").count(), 2, "one element");
    assert!(
        r.body.len() < big.len() + big.len() / 10,
        "{}",
        r.body.len()
    );
    assert_eq!(ms.single().status_of(CALDAV, "calendar-data"), Some(200));

    // The same object named 5,000 times, in three spellings: one response.
    let hrefs: String = (0..5000)
        .map(|i| match i % 3 {
            0 => "<D:href>/demo/work/big.ics</D:href>".to_string(),
            1 => format!("<D:href>{}</D:href>", srv.url("/demo/work/big.ics")),
            _ => "<D:href>/demo/work/%62ig.ics</D:href>".to_string(),
        })
        .collect();
    let body = format!(
        "<C:calendar-multiget xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:prop><C:calendar-data/></D:prop>{hrefs}</C:calendar-multiget>"
    );
    let r = srv.report("/demo/work/", "1", &body);
    let ms = r.multistatus();
    fence.check("multiget naming one object 5,000 times", Some(&r));
    assert_eq!(ms.responses.len(), 1);

    // More distinct hrefs than a multiget may name (10,000).
    let hrefs: String = (0..10_001)
        .map(|i| format!("<D:href>/demo/work/n{i}.ics</D:href>"))
        .collect();
    let body = format!(
        "<C:calendar-multiget xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:prop><D:getetag/></D:prop>{hrefs}</C:calendar-multiget>"
    );
    let r = srv.report("/demo/work/", "1", &body);
    r.expect(400);
    fence.check("multiget naming 10,001 objects", Some(&r));

    // Finding 4: PROPFIND naming getetag 800,000 times: refused quickly.
    let body = format!(
        "<D:propfind xmlns:D=\"DAV:\"><D:prop>{}</D:prop></D:propfind>",
        "<D:getetag/>".repeat(800_000)
    );
    let started = Instant::now();
    let r = srv.propfind("/demo/work/", "1", Some(&body));
    r.expect(400);
    fence.check("PROPFIND naming getetag 800,000 times", Some(&r));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(r.body.len() < 1000);

    // Within the element bound, repeats are answered once per resource.
    let body = format!(
        "<D:propfind xmlns:D=\"DAV:\"><D:prop>{}</D:prop></D:propfind>",
        "<D:getetag/>".repeat(10_000)
    );
    let r = srv.propfind("/demo/work/big.ics", "0", Some(&body));
    let text = r.text();
    r.multistatus();
    fence.check("PROPFIND naming getetag 10,000 times", Some(&r));
    assert_eq!(text.matches("getetag>").count(), 2, "one getetag:\n{text}");

    // 300 distinct names (the bound is 256).
    let names: String = (0..300).map(|i| format!("<X:p{i}/>")).collect();
    let body = format!(
        "<D:propfind xmlns:D=\"DAV:\" xmlns:X=\"urn:x\"><D:prop>{names}</D:prop></D:propfind>"
    );
    let r = srv.propfind("/demo/work/", "0", Some(&body));
    r.expect(400);
    fence.check("PROPFIND naming 300 distinct properties", Some(&r));

    // PROPPATCH setting 300 dead properties: refused whole, nothing stored.
    let props: String = (0..300).map(|i| format!("<X:p{i}>v</X:p{i}>")).collect();
    let body = format!(
        "<D:propertyupdate xmlns:D=\"DAV:\" xmlns:X=\"urn:x\"><D:set><D:prop>{props}</D:prop></D:set></D:propertyupdate>"
    );
    let r = srv.proppatch("/demo/work/", &body);
    r.expect(400);
    fence.check("PROPPATCH setting 300 properties", Some(&r));
    let toml = std::fs::read_to_string(srv.file("demo/work/.calendar.toml")).unwrap_or_default();
    assert!(
        !toml.contains("urn:x"),
        "refused properties were stored:\n{toml}"
    );

    // A calendar-query filter of 1,500 elements (the bound is 1,000).
    let filters: String =
        "<C:prop-filter name=\"SUMMARY\"><C:text-match>x</C:text-match></C:prop-filter>"
            .repeat(500);
    let body = format!(
        "<C:calendar-query xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name=\"VCALENDAR\"><C:comp-filter name=\"VEVENT\">{filters}</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
    );
    let r = srv.report("/demo/work/", "1", &body);
    r.expect(403);
    r.expect_condition(CALDAV, "valid-filter");
    fence.check("calendar-query with a 1,500-element filter", Some(&r));
    alive(&srv);
}

#[test]
fn copy_and_move_to_another_server_are_502() {
    let srv = Server::sample();
    let fence = srv.fence();
    let src = "/demo/work/focus-time.ics";
    let port: u16 = srv.base.rsplit(':').next().unwrap().parse().unwrap();
    let foreign = [
        "http://evil.example/demo/personal/x.ics".to_string(),
        format!(
            "http://127.0.0.1:{}/demo/personal/x.ics",
            port.wrapping_add(1)
        ),
        format!("http://127.0.0.1:{port}@evil.example/demo/personal/x.ics"),
        "https://evil.example:443/alice/home/x.ics".to_string(),
    ];
    for (i, dest) in foreign.iter().enumerate() {
        for method in ["COPY", "MOVE"] {
            let r = srv.request(method, src).header("Destination", dest).fetch();
            r.expect(502);
            fence.check(&format!("{method} to foreign destination {i}"), Some(&r));
        }
    }
    assert!(srv.file("demo/work/focus-time.ics").exists());
    assert!(!srv.file("demo/personal/x.ics").exists());
    // The same host with the request's port, or a path, still works.
    let r = srv
        .request("COPY", src)
        .header("Destination", srv.url("/demo/personal/x.ics"))
        .fetch();
    r.expect(201);
    fence.check("COPY to this server", Some(&r));
    let r = srv
        .request("MOVE", "/demo/personal/x.ics")
        .header("Destination", "/demo/personal/y.ics")
        .fetch();
    r.expect(201);
    fence.check("MOVE to a path", Some(&r));
    // Behind a proxy that rewrites Host, X-Forwarded-Host names this server.
    let r = srv
        .request("MOVE", "/demo/personal/y.ics")
        .header("Destination", "https://cal.example/demo/personal/z.ics")
        .header("X-Forwarded-Host", "cal.example")
        .fetch();
    r.expect(201);
    fence.check("MOVE to the forwarded host", Some(&r));
    assert!(srv.file("demo/personal/z.ics").exists());
}

/// A raw connection to the server.
fn connect(srv: &Server) -> TcpStream {
    let addr = srv.base.trim_start_matches("http://");
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

/// Reads until the server closes the connection (or 20 s pass); returns what
/// came and how long it took.
fn read_until_closed(s: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    (
        String::from_utf8_lossy(&got).into_owned(),
        started.elapsed(),
    )
}

/// Sends raw bytes and returns the status of the first answer (0 if none).
fn raw_status(srv: &Server, request: &[u8]) -> (u16, String) {
    let mut s = connect(srv);
    s.write_all(request).unwrap();
    let _ = s.shutdown(std::net::Shutdown::Write);
    let (text, _) = read_until_closed(&mut s);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

const DEMO_AUTH: &str = "Authorization: Basic ZGVtbzpkZW1v\r\n";

#[test]
fn slow_clients_are_dropped() {
    let srv = Server::start(Options {
        config: Some("request_timeout = 2\n".into()),
        ..Options::default()
    });
    let fence = srv.fence();
    // Finding 12: a logged-in client announces a body and never sends it.
    let head = format!(
        "PUT /demo/work/slow.ics HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}Content-Type: text/calendar\r\nContent-Length: 1000\r\n\r\n"
    );
    let mut conns: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut s = connect(&srv);
            s.write_all(head.as_bytes()).unwrap();
            s
        })
        .collect();
    // Others are served meanwhile.
    alive(&srv);
    for (i, s) in conns.iter_mut().enumerate() {
        let (text, took) = read_until_closed(s);
        assert!(
            text.starts_with("HTTP/1.1 408"),
            "connection {i} got {text:?}"
        );
        assert!(
            took < Duration::from_secs(10),
            "connection {i} held {took:?}"
        );
    }
    fence.check("50 connections that never send their body", None);
    assert!(!srv.file("demo/work/slow.ics").exists());

    // A body dripped one byte a second is cut off at the same bound.
    let mut s = connect(&srv);
    s.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let mut closed = false;
    while started.elapsed() < Duration::from_secs(10) {
        if s.write_all(b"B").is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let (text, _) = read_until_closed(&mut s);
    assert!(closed || text.starts_with("HTTP/1.1 408"), "{text:?}");
    fence.check("body dripped a byte at a time", None);

    // Headers that never end are dropped too (actix's header timeout).
    let mut s = connect(&srv);
    s.write_all(b"GET /demo/work/ HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let (_, took) = read_until_closed(&mut s);
    assert!(took < Duration::from_secs(10), "held {took:?}");
    fence.check("headers that never end", None);

    // 300 connections that send nothing: others are served, all are closed.
    let mut idle: Vec<TcpStream> = (0..300).map(|_| connect(&srv)).collect();
    alive(&srv);
    let started = Instant::now();
    for s in idle.iter_mut() {
        read_until_closed(s);
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    fence.check("300 idle connections", None);
    alive(&srv);
}

#[test]
fn malformed_and_oversized_requests_are_refused() {
    let srv = Server::sample();
    let fence = srv.fence();
    let put = |extra: &str, body: &str| {
        format!("PUT /demo/work/smuggled.ics HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}Content-Type: text/calendar\r\n{extra}\r\n{body}")
    };
    let ics = event("smuggled", "Smuggled");
    let probes: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "Content-Length and Transfer-Encoding together",
            put(
                "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                &format!("{:x}\r\n{ics}\r\n0\r\n\r\n", ics.len()),
            )
            .into_bytes(),
            400,
        ),
        (
            "two different Content-Lengths",
            put(
                &format!("Content-Length: {}\r\nContent-Length: 5\r\n", ics.len()),
                &ics,
            )
            .into_bytes(),
            400,
        ),
        (
            "Transfer-Encoding other than chunked",
            put("Transfer-Encoding: gzip, identity\r\n", &ics).into_bytes(),
            400,
        ),
        // actix drops the connection on a broken chunk (0: closed, no answer).
        (
            "bad chunk size",
            put("Transfer-Encoding: chunked\r\n", "zz\r\nBEGIN\r\n0\r\n\r\n").into_bytes(),
            0,
        ),
        (
            "200 headers",
            format!(
                "GET /demo/work/ HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}{}\r\n",
                (0..200).map(|i| format!("X-H{i}: v\r\n")).collect::<String>()
            )
            .into_bytes(),
            431,
        ),
        // actix buffers at most 128 KiB of request head.
        (
            "one 200 KB header",
            format!(
                "GET /demo/work/ HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}X-Big: {}\r\n\r\n",
                "a".repeat(200 * 1024)
            )
            .into_bytes(),
            431,
        ),
        (
            "NUL in a header value",
            format!("GET /demo/work/ HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}X-A: a\0b\r\n\r\n").into_bytes(),
            400,
        ),
        (
            "bare LF line ends with an obs-fold",
            format!("GET /demo/work/ HTTP/1.1\nHost: x\n {DEMO_AUTH}\n").into_bytes(),
            400,
        ),
        (
            "absolute-form request target on another host",
            format!("GET http://evil.example/alice/home/ HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}\r\n").into_bytes(),
            403,
        ),
        (
            "double-encoded dot segments",
            format!("GET /demo/work/%252e%252e/%252e%252e/alice/home/ HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}\r\n").into_bytes(),
            404,
        ),
        (
            "encoded dot segments",
            format!("GET /demo/%2e%2e/alice/home/ HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}\r\n").into_bytes(),
            404,
        ),
        (
            "overlong UTF-8 dots in the path",
            format!("GET /demo/%c0%ae%c0%ae/alice/home/ HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}\r\n").into_bytes(),
            404,
        ),
        (
            "HTTP/1.0 without Host",
            format!("PROPFIND /alice/ HTTP/1.0\r\n{DEMO_AUTH}Depth: 0\r\n\r\n").into_bytes(),
            403,
        ),
    ];
    let mut wrong = Vec::new();
    for (name, bytes, want) in probes {
        let (status, text) = raw_status(&srv, &bytes);
        if status != want {
            wrong.push(format!(
                "{name}: want {want}, got {:?}",
                text.lines().next()
            ));
        }
        assert!(
            !text.contains("OUTSIDE-SECRET-7f3a"),
            "{name}: secret leaked"
        );
        fence.check(name, None);
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(!srv.file("demo/work/smuggled.ics").exists());
    alive(&srv);
}

#[test]
fn options_is_200_with_an_empty_body_everywhere() {
    let srv = Server::sample();
    let fence = srv.fence();
    for path in [
        "/",
        "/demo/",
        "/demo/work/",
        "/demo/work/focus-time.ics",
        "/demo/work/missing.ics",
        "/nobody/cal/",
        "/a/b/c/d/e",
        "/.well-known/caldav",
        "/%2e%2e/",
    ] {
        for creds in [Some(("demo", "demo")), None, Some(("demo", "wrong"))] {
            let r = srv.request_as(creds, "OPTIONS", path).fetch();
            r.expect(200);
            fence.check(&format!("OPTIONS {path}"), Some(&r));
            assert_eq!(r.header("content-length").as_deref(), Some("0"), "{path}");
            assert!(r.body.is_empty());
            let dav = r.header("dav").unwrap_or_default();
            assert!(dav.contains("calendar-access"), "{path}: DAV {dav:?}");
            assert!(r.header("allow").unwrap_or_default().contains("REPORT"));
        }
    }
    // Raw, as GNOME Online Accounts sends it: the head says Content-Length: 0.
    let mut s = connect(&srv);
    s.write_all(b"OPTIONS /demo/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (text, _) = read_until_closed(&mut s);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("\r\ncontent-length: 0\r\n"),
        "{text}"
    );
}

fn set_color(srv: &Server, value: &str) -> Resp {
    srv.proppatch(
        "/demo/work/",
        &format!(
            "<D:propertyupdate xmlns:D=\"DAV:\" xmlns:I=\"http://apple.com/ns/ical/\"><D:set><D:prop><I:calendar-color>{value}</I:calendar-color></D:prop></D:set></D:propertyupdate>"
        ),
    )
}

#[test]
fn css_colour_names_are_stored_as_hex() {
    let srv = Server::sample();
    let fence = srv.fence();
    for (given, stored) in [
        ("rebeccapurple", "#663399"),
        ("Red", "#FF0000"),
        ("#abc", "#aabbcc"),
        ("#11AA22CC", "#11AA22"),
    ] {
        let r = set_color(&srv, given);
        let ms = r.multistatus();
        fence.check(&format!("calendar-color {given}"), Some(&r));
        assert_eq!(ms.single().status_of(ICAL, "calendar-color"), Some(200));
        assert_eq!(
            std::fs::read_to_string(srv.file("demo/work/color"))
                .unwrap()
                .trim_end(),
            stored
        );
        let ms = srv.props("/demo/work/", &[(ICAL, "calendar-color")]);
        assert_eq!(
            ms.single().ok(ICAL, "calendar-color").text,
            format!("{stored}FF")
        );
    }
    // MKCALENDAR takes a name too.
    let r = srv.mkcalendar(
        "/demo/named/",
        Some("<C:mkcalendar xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" xmlns:I=\"http://apple.com/ns/ical/\"><D:set><D:prop><I:calendar-color>SteelBlue</I:calendar-color></D:prop></D:set></C:mkcalendar>"),
    );
    r.expect(201);
    fence.check("MKCALENDAR with a colour name", Some(&r));
    assert_eq!(
        std::fs::read_to_string(srv.file("demo/named/color"))
            .unwrap()
            .trim_end(),
        "#4682B4"
    );
    // Not colours: 409, the file unchanged.
    let long = "a".repeat(10_000);
    for bad in ["transparent", "rgb(1,2,3)", "notacolour", "#12345", &long] {
        let r = set_color(&srv, bad);
        let ms = r.multistatus();
        fence.check("calendar-color that is not a colour", Some(&r));
        assert_eq!(
            ms.single().status_of(ICAL, "calendar-color"),
            Some(409),
            "{bad:.20}"
        );
        assert_eq!(
            std::fs::read_to_string(srv.file("demo/work/color"))
                .unwrap()
                .trim_end(),
            "#11AA22"
        );
    }
    // A NUL character reference, or a control character, is not XML at all.
    for (bad, what) in [
        ("red&#0;", "a NUL character reference"),
        ("red\u{1}", "a raw U+0001"),
    ] {
        let r = set_color(&srv, bad);
        r.expect(400);
        fence.check(&format!("calendar-color with {what}"), Some(&r));
    }
}

/// A PROPPATCH setting `props` (already XML) on demo's work calendar.
fn set_props(srv: &Server, props: &str) -> Resp {
    srv.proppatch(
        "/demo/work/",
        &format!(
            "<D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop>{props}</D:prop></D:set></D:propertyupdate>"
        ),
    )
}

/// allprop and propname of demo's work calendar are both well-formed XML.
#[track_caller]
fn calendar_props_well_formed(srv: &Server, what: &str) -> Element {
    let propname = format!("<D:propfind xmlns:D=\"{DAV}\"><D:propname/></D:propfind>");
    let r = srv.propfind("/demo/work/", "0", Some(&propname));
    r.expect(207);
    if let Err(e) = parse_xml(&r.text()) {
        panic!(
            "{what}: propname answer is not well-formed ({e}): {}",
            r.text()
        );
    }
    let r = srv.propfind("/demo/work/", "0", None);
    r.expect(207);
    parse_xml(&r.text()).unwrap_or_else(|e| {
        panic!(
            "{what}: allprop answer is not well-formed ({e}): {}",
            r.text()
        )
    })
}

#[test]
fn fuzz_reproducers_are_refused_or_harmless() {
    let srv = Server::sample();
    let fence = srv.fence();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/xml_request");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 6,
        "reproducers missing from {}",
        dir.display()
    );
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let body = std::fs::read_to_string(&file).unwrap();
        // As a whole body: none is a DAV:propfind or DAV:propertyupdate.
        let r = srv.propfind("/demo/work/", "0", Some(&body));
        r.expect(400);
        fence.check(&format!("{name} as a PROPFIND body"), Some(&r));
        let r = srv.proppatch("/demo/work/", &body);
        r.expect(400);
        fence.check(&format!("{name} as a PROPPATCH body"), Some(&r));
        // As a dead property: refused, except the one that is good XML,
        // which must then come back as it was sent.
        let r = set_props(&srv, &body);
        let harmless = name == "namespace-not-unescaped.xml";
        r.expect(if harmless { 207 } else { 400 });
        fence.check(&format!("{name} as a dead property"), Some(&r));
        calendar_props_well_formed(&srv, &name);
    }
    let root = calendar_props_well_formed(&srv, "after every reproducer");
    let text = format!("{root:?}");
    assert!(text.contains("ns: \"x&y\""), "{text}");
    alive(&srv);
}

#[test]
fn names_that_are_not_xml_names_are_refused() {
    let srv = Server::sample();
    let fence = srv.fence();
    let toml_before = std::fs::read(srv.file("demo/work/.calendar.toml")).ok();
    for (props, what) in [
        (
            "<x:dead xmlns:x=\"urn:x\"><x:b:c/></x:dead>",
            "a child named b:c",
        ),
        ("<x:b:c xmlns:x=\"urn:x\"/>", "a property named b:c"),
        (
            "<x:dead xmlns:x=\"urn:x\"><x:-a/></x:dead>",
            "a name starting with '-'",
        ),
        (
            "<x:dead xmlns:x=\"urn:x\" a:=\"v\"/>",
            "an empty attribute local name",
        ),
        (
            "<x:dead xmlns:x=\"urn:x\" xmlns:!p=\"urn:p\"/>",
            "a prefix that is not a name",
        ),
        (
            "<x:dead xmlns:x=\"urn:x\" xmlns:y=\"urn:y\" x:k=\"1\" y:k=\"2\"/>",
            "two attributes with one local name",
        ),
        (
            "<x:dead xmlns:x=\"urn:x\" x:xmlns=\"urn:z\"/>",
            "an attribute named xmlns",
        ),
        ("<xml:dead/>", "an element in the xml namespace"),
        (
            "<dead xmlns=\"http://www.w3.org/2000/xmlns/\"/>",
            "an element in the xmlns namespace",
        ),
    ] {
        let r = set_props(&srv, props);
        r.expect(400);
        fence.check(&format!("PROPPATCH with {what}"), Some(&r));
        let body = format!("<D:propfind xmlns:D=\"DAV:\"><D:prop>{props}</D:prop></D:propfind>");
        let r = srv.propfind("/demo/work/", "0", Some(&body));
        r.expect(400);
        fence.check(&format!("PROPFIND of {what}"), Some(&r));
    }
    assert_eq!(
        std::fs::read(srv.file("demo/work/.calendar.toml")).ok(),
        toml_before,
        "a refused property was stored"
    );
    calendar_props_well_formed(&srv, "after refused names");
    alive(&srv);
}

#[test]
fn characters_xml_forbids_are_refused() {
    let srv = Server::sample();
    let fence = srv.fence();
    let toml_before = std::fs::read(srv.file("demo/work/.calendar.toml")).ok();
    for (props, what) in [
        (
            "<D:displayname>a\u{0}b</D:displayname>",
            "a raw NUL in text",
        ),
        (
            "<D:displayname>a&#1;b</D:displayname>",
            "U+0001 as a character reference",
        ),
        (
            "<x:d xmlns:x=\"urn:x\">\u{1B}[2J</x:d>",
            "an escape character in a dead property",
        ),
        (
            "<x:d xmlns:x=\"urn:x\" k=\"&#x1F;\"/>",
            "U+001F in an attribute value",
        ),
        ("<x:d xmlns:x=\"urn:&#2;\"/>", "U+0002 in a namespace"),
        (
            "<x:d xmlns:x=\"urn:x\"><![CDATA[\u{7}]]></x:d>",
            "a bell in CDATA",
        ),
        ("<x:d xmlns:x=\"urn:x\">\u{FFFF}</x:d>", "U+FFFF in text"),
        (
            "<!-- \u{0} --><x:d xmlns:x=\"urn:x\"/>",
            "a NUL in a comment",
        ),
    ] {
        let r = set_props(&srv, props);
        r.expect(400);
        fence.check(&format!("PROPPATCH with {what}"), Some(&r));
    }
    let r = srv.propfind(
        "/demo/work/",
        "0",
        Some("<D:propfind xmlns:D=\"DAV:\"><D:prop><D:displayname/>\u{0}</D:prop></D:propfind>"),
    );
    r.expect(400);
    fence.check("PROPFIND with a NUL between elements", Some(&r));
    assert_eq!(
        std::fs::read(srv.file("demo/work/.calendar.toml")).ok(),
        toml_before,
        "a refused property was stored"
    );
    // TAB, LF and CR are characters like any other: kept and sent back.
    let r = set_props(
        &srv,
        "<x:ws xmlns:x=\"urn:x\" k=\"a&#9;b&#10;c\">1&#13;\n2\t3</x:ws>",
    );
    r.expect(207);
    fence.check("PROPPATCH with TAB, LF and CR", Some(&r));
    let ms = srv.props("/demo/work/", &[("urn:x", "ws")]);
    let ws = ms.single().ok("urn:x", "ws");
    assert_eq!(ws.text, "1\r\n2\t3");
    assert_eq!(ws.attr("k"), Some("a\tb\nc"));
    alive(&srv);
}

#[test]
fn escaped_namespaces_round_trip_exactly() {
    let srv = Server::sample();
    let fence = srv.fence();
    let r = set_props(&srv, "<x:amp xmlns:x=\"urn:a&amp;b&lt;c\">v</x:amp>");
    r.expect(207);
    fence.check("PROPPATCH in a namespace with &amp; and &lt;", Some(&r));
    // Asked for by name (common::propfind_body does not escape namespaces).
    let by_name = "<D:propfind xmlns:D=\"DAV:\"><D:prop><amp xmlns=\"urn:a&amp;b&lt;c\"/></D:prop></D:propfind>";
    let r = srv.propfind("/demo/work/", "0", Some(by_name));
    fence.check("PROPFIND by an escaped namespace", Some(&r));
    assert_eq!(r.multistatus().single().ok("urn:a&b<c", "amp").text, "v");
    let r = srv.propfind("/demo/work/", "0", None);
    r.expect(207);
    fence.check("allprop with an escaped namespace", Some(&r));
    let text = r.text();
    assert!(text.contains("xmlns=\"urn:a&amp;b&lt;c\""), "{text}");
    assert!(!text.contains("&amp;amp;"), "escaped twice: {text}");
    calendar_props_well_formed(&srv, "escaped namespace");
    // Removing it by its unescaped name works too.
    let r = srv.proppatch(
        "/demo/work/",
        "<D:propertyupdate xmlns:D=\"DAV:\"><D:remove><D:prop><x:amp xmlns:x=\"urn:a&#38;b&#60;c\"/></D:prop></D:remove></D:propertyupdate>",
    );
    r.expect(207);
    fence.check(
        "PROPPATCH remove by a character-referenced namespace",
        Some(&r),
    );
    let r = srv.propfind("/demo/work/", "0", Some(by_name));
    let ms = r.multistatus();
    assert_eq!(ms.single().status_of("urn:a&b<c", "amp"), Some(404));
}

#[test]
fn hand_edited_dead_property_with_a_bad_name_is_skipped() {
    let srv = Server::sample();
    let fence = srv.fence();
    let toml = [
        // Not XML names: the stored element does not parse.
        r#""{urn:x}b:c" = '<b:c xmlns="urn:x"/>'"#,
        r#""{urn:x}bang" = '<!x xmlns="urn:x"/>'"#,
        // A good element under a key that is not its name (propname would
        // echo the key).
        r#""{urn:x}bad:key" = '<ok xmlns="urn:x"/>'"#,
        // A control character, as a TOML escape.
        r#""{urn:x}ctl" = "<ctl xmlns=\"urn:x\">\u0001</ctl>""#,
        // Good XML that cannot be embedded verbatim: sent re-serialised.
        r#""{urn:x}decl" = '<?xml version="1.0"?><decl xmlns="urn:x">d</decl>'"#,
        r#""{urn:x}fine" = '<fine xmlns="urn:x">1</fine>'"#,
    ];
    std::fs::write(
        srv.file("demo/work/.calendar.toml"),
        format!("[dead]\n{}\n", toml.join("\n")),
    )
    .unwrap();
    let root = calendar_props_well_formed(&srv, "hand-edited bad names");
    let text = format!("{root:?}");
    for skipped in ["\"b:c\"", "\"bang\"", "\"bad:key\"", "\"ctl\"", "\"ok\""] {
        assert!(!text.contains(skipped), "{skipped} was served: {text}");
    }
    let r = srv.propfind("/demo/work/", "0", None);
    fence.check("allprop over hand-edited bad names", Some(&r));
    let ms = r.multistatus();
    assert_eq!(ms.single().status_of("urn:x", "fine"), Some(200));
    assert_eq!(ms.single().ok("urn:x", "decl").text, "d");
    // Asked for by name: not found rather than sent broken.
    let ms = srv.props(
        "/demo/work/",
        &[("urn:x", "bang"), ("urn:x", "ctl"), ("urn:x", "fine")],
    );
    assert_eq!(ms.single().status_of("urn:x", "bang"), Some(404));
    assert_eq!(ms.single().status_of("urn:x", "ctl"), Some(404));
    assert_eq!(ms.single().status_of("urn:x", "fine"), Some(200));
    let log = srv.log();
    for key in ["{urn:x}b:c", "{urn:x}bang", "{urn:x}bad:key", "{urn:x}ctl"] {
        assert!(
            log.contains(&format!("dead property {key} skipped")),
            "{key} not logged"
        );
    }
    alive(&srv);
}
