//! Property values and names: CSS colour names, fuzz reproducers, names and
//! characters XML does not allow, escaped namespaces, and hand-edited dead
//! properties with bad names, which must never make a response ill-formed.

use super::*;

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
