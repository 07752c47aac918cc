//! Deep, huge and repeating XML request bodies, hand-edited deep dead
//! properties, and COPY / MOVE to a destination on another server.

use std::time::{Duration, Instant};

use super::*;

/// `depth` nested elements in the DAV namespace.
fn nested(name: &str, depth: usize) -> String {
    format!(
        "{}{}",
        format!("<D:{name}>").repeat(depth),
        format!("</D:{name}>").repeat(depth)
    )
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
    // A guard against answering each repeat, not a benchmark: generous.
    assert!(started.elapsed() < Duration::from_secs(30));
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
