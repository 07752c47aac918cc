//! Tests of CARDDAV:address-data parsing and rendering, apart from the
//! module so it stays short.

use super::*;

/// The photo is the first bytes of a JPEG (not UTF-8), base64 `/9j/4AAQ`.
const V3: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:jane-1\r\nFN:Jane Doe\r\nN:Doe;Jane;;;\r\n\
    EMAIL;TYPE=INTERNET,WORK:jane@example.com\r\nTEL;TYPE=CELL:+1 555 0100\r\n\
    PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ\r\nBDAY:1985-04-12\r\nitem1.X-CUSTOM:x\r\nEND:VCARD\r\n";

const V4: &str = "BEGIN:VCARD\nVERSION:4.0\nUID:urn:uuid:bob\nFN:Bob\nN:Smith;Bob;;;\n\
    EMAIL:bob@example.com\nTEL;VALUE=uri:tel:+1-555-0101\n\
    PHOTO:data:image/png;base64,iVBORw0KGgo=\nBDAY:19600229\nEND:VCARD\n";

fn req(xml: &str) -> Result<AddressData, CardQueryError> {
    parse_address_data(&crate::dav::xml::parse(xml.as_bytes()).unwrap())
}

fn ad(attrs: &str, inner: &str) -> AddressData {
    req(&format!(
        r#"<C:address-data xmlns:C="{CARDDAV}" {attrs}>{inner}</C:address-data>"#
    ))
    .unwrap()
}

fn parse(text: &[u8]) -> VCard {
    match Parser::new(std::str::from_utf8(text).unwrap()).entry() {
        Entry::VCard(c) => c,
        other => panic!("not a vCard: {other:?}"),
    }
}

fn rendered(stored: &str, req: &AddressData) -> String {
    String::from_utf8(render(stored.as_bytes(), req).unwrap().into_owned()).unwrap()
}

/// The properties that have to survive a version conversion, compared in
/// calcard's parsed form (so 3.0 and 4.0 spellings of one value agree).
fn assert_same_content(a: &VCard, b: &VCard) {
    use calcard::vcard::VCardProperty as P;
    for prop in [P::Uid, P::Fn, P::N, P::Email, P::Photo, P::Bday] {
        let values = |c: &VCard| c.property(&prop).map(|e| e.values.clone());
        assert_eq!(values(a), values(b), "{prop:?}");
        assert!(values(a).is_some(), "{prop:?} missing");
    }
    let tel = |c: &VCard| {
        let e = c.property(&P::Tel).unwrap();
        e.values[0].clone().into_uri().unwrap()
    };
    assert!(tel(b).contains("555"), "{}", tel(b));
}

#[test]
fn parses_requests() {
    assert_eq!(ad("", ""), AddressData::default());
    assert_eq!(
        ad(
            r#"content-type="text/vcard; charset=utf-8""#,
            "<C:allprop/>"
        ),
        AddressData::default()
    );
    let a = ad(
        r#"version="4.0""#,
        r#"<C:prop name="fn"/><C:prop name="item1.EMAIL" novalue="yes"/>"#,
    );
    assert_eq!(a.version, Some(CardVersion::V4));
    let props = a.props.unwrap();
    assert_eq!(
        props[0],
        PropSelect {
            group: None,
            name: "FN".into(),
            novalue: false
        }
    );
    assert_eq!(props[1].group.as_deref(), Some("ITEM1"));
    assert!(props[1].novalue);
}

#[test]
fn refuses_unsupported_and_malformed_requests() {
    let doc = |attrs: &str, inner: &str| {
        req(&format!(
            r#"<C:address-data xmlns:C="{CARDDAV}" {attrs}>{inner}</C:address-data>"#
        ))
    };
    for attrs in [
        r#"content-type="application/vcard+json""#,
        r#"version="2.1""#,
        r#"version="4""#,
    ] {
        assert!(
            matches!(doc(attrs, ""), Err(CardQueryError::SupportedAddressData(_))),
            "{attrs}"
        );
    }
    for inner in [
        r#"<C:allprop/><C:prop name="FN"/>"#,
        r#"<C:prop/>"#,
        r#"<C:prop name="FN" novalue="si"/>"#,
        r#"<C:comp name="VCARD"/>"#,
    ] {
        assert!(
            matches!(doc("", inner), Err(CardQueryError::Malformed(_))),
            "{inner}"
        );
    }
    let many = r#"<C:prop name="FN"/>"#.repeat(MAX_PROPS + 1);
    assert!(matches!(doc("", &many), Err(CardQueryError::Malformed(_))));
}

#[test]
fn unchanged_request_returns_the_stored_bytes() {
    for (stored, attrs) in [
        (V3, ""),
        (V3, r#"version="3.0""#),
        (V4, ""),
        (V4, r#"version="4.0""#),
    ] {
        let out = render(stored.as_bytes(), &ad(attrs, "<C:allprop/>")).unwrap();
        assert!(matches!(out, Cow::Borrowed(_)), "{attrs}");
        assert_eq!(&*out, stored.as_bytes());
    }
}

#[test]
fn converts_3_to_4_and_back() {
    let v4 = rendered(V3, &ad(r#"version="4.0""#, ""));
    assert!(v4.contains("VERSION:4.0\r\n"), "{v4}");
    assert!(v4.contains("data:image/jpeg;base64"), "{v4}");
    assert!(!v4.contains("ENCODING"), "{v4}");
    assert_same_content(&parse(V3.as_bytes()), &parse(v4.as_bytes()));
    let back = rendered(&v4, &ad(r#"version="3.0""#, ""));
    assert!(back.contains("VERSION:3.0\r\n"), "{back}");
    assert!(back.contains("ENCODING=b"), "{back}");
    assert_same_content(&parse(V3.as_bytes()), &parse(back.as_bytes()));
}

#[test]
fn converts_4_to_3_and_back() {
    let v3 = rendered(V4, &ad(r#"version="3.0""#, ""));
    assert!(v3.contains("VERSION:3.0\r\n"), "{v3}");
    assert!(v3.contains("ENCODING=b"), "{v3}");
    assert_same_content(&parse(V4.as_bytes()), &parse(v3.as_bytes()));
    let back = rendered(&v3, &ad(r#"version="4.0""#, ""));
    assert!(back.contains("VERSION:4.0\r\n"), "{back}");
    assert!(back.contains("BDAY:19600229"), "{back}");
    assert_same_content(&parse(V4.as_bytes()), &parse(back.as_bytes()));
}

#[test]
fn partial_retrieval_keeps_only_named_properties() {
    let out = rendered(
        V3,
        &ad(
            "",
            r#"<C:prop name="FN"/><C:prop name="email" novalue="yes"/><C:prop name="ITEM1.X-CUSTOM"/>"#,
        ),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[..2], ["BEGIN:VCARD", "VERSION:3.0"], "{out}");
    assert!(lines.contains(&"FN:Jane Doe"), "{out}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("EMAIL;") && l.ends_with(':')),
        "{out}"
    );
    assert!(lines.contains(&"item1.X-CUSTOM:x"), "{out}");
    assert_eq!(lines.last(), Some(&"END:VCARD"));
    assert_eq!(lines.len(), 6, "{out}");
    // A group given in the name selects only that group.
    let out = rendered(
        V3,
        &ad(
            r#"version="4.0""#,
            r#"<C:prop name="item2.X-CUSTOM"/><C:prop name="UID"/>"#,
        ),
    );
    assert_eq!(
        out,
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:jane-1\r\nEND:VCARD\r\n"
    );
}

#[test]
fn unparsable_vcard_cannot_be_converted() {
    let r = render(
        b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        &ad(r#"version="4.0""#, ""),
    );
    assert!(matches!(r, Err(CardQueryError::Conversion(_))), "{r:?}");
    let r = render(b"\xff\xfe", &ad(r#"version="4.0""#, ""));
    assert!(matches!(r, Err(CardQueryError::Conversion(_))));
}

/// The fuzzer's findings (fuzz/regressions/vcard_inspect): cards that are
/// accepted but whose conversion, or birthday event, once came out invalid.
/// Now each conversion is valid or refused, and each event valid or absent.
#[test]
fn fuzz_regressions_convert_to_valid_cards_or_not_at_all() {
    let cases: [&[u8]; 3] = [
        include_bytes!("../../../fuzz/regressions/vcard_inspect/birthday-summary-raw-cr.vcf"),
        include_bytes!("../../../fuzz/regressions/vcard_inspect/v3-to-v4-control-char.vcf"),
        include_bytes!("../../../fuzz/regressions/vcard_inspect/v3-to-v4-line-without-colon.vcf"),
    ];
    for bytes in cases {
        if crate::vcard::inspect(bytes).is_err() {
            continue;
        }
        for version in [CardVersion::V3, CardVersion::V4] {
            let req = AddressData {
                version: Some(version),
                props: None,
            };
            if let Ok(out) = render(bytes, &req) {
                crate::vcard::check_syntax(&out).expect("a converted card is valid");
            }
        }
        let text = String::from_utf8_lossy(bytes);
        for ev in crate::birthdays::events("x", &text).unwrap_or_default() {
            crate::ical::inspect(ev.ics.as_bytes()).expect("a birthday event is valid");
        }
    }
}
