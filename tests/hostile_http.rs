//! Hostile requests at the HTTP and XML layer (issue 14, findings 3, 4, 10
//! and 12): deep or huge XML bodies, repeated property names, foreign COPY
//! destinations, slow and malformed connections. Each probe asserts the exact
//! status it must get, that the server still answers afterwards, and (through
//! the fence) that nothing outside demo's home was written or leaked.

mod common;

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
