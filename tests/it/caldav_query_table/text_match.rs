//! Text matching and collations, negate-condition, is-not-defined and
//! param-filter (RFC 4791 §9.7).

use super::*;

// --- Text matching, negation, is-not-defined, param-filter (§9.7) -----------

const TEXT_OBJECTS: &[(&str, &str)] = &[
    (
        "upper",
        "BEGIN:VEVENT
         DTSTART:20270115T100000Z
         DTEND:20270115T110000Z
         SUMMARY:Team MEETING
         LOCATION:Room 1
         ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@example.com
         BEGIN:VALARM
         ACTION:DISPLAY
         DESCRIPTION:x
         TRIGGER:-PT15M
         END:VALARM
         END:VEVENT",
    ),
    (
        "lower",
        "BEGIN:VEVENT
         DTSTART:20270116T100000Z
         DTEND:20270116T110000Z
         SUMMARY:team meeting
         ATTENDEE;PARTSTAT=DECLINED:mailto:b@example.com
         END:VEVENT",
    ),
    (
        "other",
        "BEGIN:VEVENT
         DTSTART:20270117T100000Z
         DTEND:20270117T110000Z
         SUMMARY:Lunch
         LOCATION:Café ÉTÉ
         ATTENDEE:mailto:c@example.com
         END:VEVENT",
    ),
    (
        "bare",
        "BEGIN:VEVENT
         DTSTART:20270118T100000Z
         DTEND:20270118T110000Z
         SUMMARY:Standup
         END:VEVENT",
    ),
    (
        "todo",
        "BEGIN:VTODO
         DUE:20270116T100000Z
         SUMMARY:meeting notes
         LOCATION:Room 1
         END:VTODO",
    ),
];

fn in_vevent(inner: &str) -> String {
    format!(
        r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">{inner}</C:comp-filter></C:comp-filter>"#
    )
}

fn text_match(prop: &str, attrs: &str, text: &str) -> String {
    in_vevent(&format!(
        r#"<C:prop-filter name="{prop}"><C:text-match{attrs}>{text}</C:text-match></C:prop-filter>"#
    ))
}

#[test]
fn text_match_and_definedness_filters() {
    let server = start(&[("text".to_string(), String::new())]);
    for (name, comp) in TEXT_OBJECTS {
        put(
            &server,
            &format!("/u/text/{name}.ics"),
            &object(&format!("text-{name}@davdir-test"), comp),
        );
    }
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "default collation i;ascii-casemap, substring (§9.7.5)",
            text_match("SUMMARY", "", "meeting"),
            &["upper", "lower"],
        ),
        (
            "i;ascii-casemap folds ASCII case",
            text_match("SUMMARY", r#" collation="i;ascii-casemap""#, "MEETING"),
            &["upper", "lower"],
        ),
        (
            "i;octet is case-sensitive (lower case)",
            text_match("SUMMARY", r#" collation="i;octet""#, "meeting"),
            &["lower"],
        ),
        (
            "i;octet is case-sensitive (upper case)",
            text_match("SUMMARY", r#" collation="i;octet""#, "MEETING"),
            &["upper"],
        ),
        (
            "negate-condition=yes (§9.7.5)",
            text_match("SUMMARY", r#" negate-condition="yes""#, "meeting"),
            &["other", "bare"],
        ),
        (
            "negate-condition=no is the plain match",
            text_match("SUMMARY", r#" negate-condition="no""#, "meeting"),
            &["upper", "lower"],
        ),
        (
            "negated text-match on a missing property does not match (§9.7.2)",
            text_match("LOCATION", r#" negate-condition="yes""#, "Room"),
            &["other"],
        ),
        (
            "i;ascii-casemap leaves non-ASCII letters alone: été does not match ÉTÉ",
            text_match("LOCATION", r#" collation="i;ascii-casemap""#, "CAFé été"),
            &[],
        ),
        (
            "i;ascii-casemap: ASCII folded, é/É kept (CAFé ÉTÉ)",
            text_match("LOCATION", r#" collation="i;ascii-casemap""#, "CAFé ÉTÉ"),
            &["other"],
        ),
        (
            "i;ascii-casemap: cafÉ does not match Café",
            text_match("LOCATION", "", "cafÉ"),
            &[],
        ),
        (
            "prop-filter is-not-defined (§9.7.2)",
            in_vevent(r#"<C:prop-filter name="LOCATION"><C:is-not-defined/></C:prop-filter>"#),
            &["lower", "bare"],
        ),
        (
            "prop-filter is-not-defined on a property all have",
            in_vevent(r#"<C:prop-filter name="SUMMARY"><C:is-not-defined/></C:prop-filter>"#),
            &[],
        ),
        (
            "empty prop-filter: the property exists",
            in_vevent(r#"<C:prop-filter name="LOCATION"/>"#),
            &["upper", "other"],
        ),
        (
            "comp-filter VALARM is-not-defined (§9.7.1)",
            in_vevent(r#"<C:comp-filter name="VALARM"><C:is-not-defined/></C:comp-filter>"#),
            &["lower", "other", "bare"],
        ),
        (
            "comp-filter VALARM exists",
            in_vevent(r#"<C:comp-filter name="VALARM"/>"#),
            &["upper"],
        ),
        (
            "comp-filter VTODO is-not-defined under VCALENDAR",
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"><C:is-not-defined/></C:comp-filter></C:comp-filter>"#.to_string(),
            &["upper", "lower", "other", "bare"],
        ),
        (
            "comp-filter VTODO with text-match: VEVENTs never match",
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"><C:prop-filter name="SUMMARY"><C:text-match>meeting</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter>"#.to_string(),
            &["todo"],
        ),
        (
            "param-filter text-match (§9.7.3)",
            in_vevent(r#"<C:prop-filter name="ATTENDEE"><C:param-filter name="PARTSTAT"><C:text-match>accepted</C:text-match></C:param-filter></C:prop-filter>"#),
            &["upper"],
        ),
        (
            "param-filter negated text-match",
            in_vevent(r#"<C:prop-filter name="ATTENDEE"><C:param-filter name="PARTSTAT"><C:text-match negate-condition="yes">ACCEPTED</C:text-match></C:param-filter></C:prop-filter>"#),
            &["lower"],
        ),
        (
            "prop-filter ATTENDEE is-not-defined",
            in_vevent(r#"<C:prop-filter name="ATTENDEE"><C:is-not-defined/></C:prop-filter>"#),
            &["bare"],
        ),
        (
            "param-filter is-not-defined: the property must exist (§9.7.2)",
            in_vevent(r#"<C:prop-filter name="ATTENDEE"><C:param-filter name="PARTSTAT"><C:is-not-defined/></C:param-filter></C:prop-filter>"#),
            &["other"],
        ),
        (
            "empty param-filter: the parameter exists",
            in_vevent(r#"<C:prop-filter name="ATTENDEE"><C:param-filter name="PARTSTAT"/></C:prop-filter>"#),
            &["upper", "lower"],
        ),
        (
            "prop-filter text-match on ATTENDEE value, default collation",
            text_match("ATTENDEE", "", "B@EXAMPLE.COM"),
            &["lower"],
        ),
        (
            "time-range AND text-match in one comp-filter",
            in_vevent(r#"<C:time-range start="20270115T000000Z" end="20270116T120000Z"/><C:prop-filter name="SUMMARY"><C:text-match collation="i;octet">MEETING</C:text-match></C:prop-filter>"#),
            &["upper"],
        ),
        (
            "two prop-filters are ANDed",
            in_vevent(r#"<C:prop-filter name="SUMMARY"><C:text-match>meeting</C:text-match></C:prop-filter><C:prop-filter name="LOCATION"><C:is-not-defined/></C:prop-filter>"#),
            &["lower"],
        ),
    ];
    let mut failures = Vec::new();
    for (what, filter, want) in cases {
        let want: BTreeSet<String> = want.iter().map(|n| format!("/u/text/{n}.ics")).collect();
        match query(&server, "text", &filter, None) {
            Ok(got) if got == want => {}
            Ok(got) => failures.push(format!(
                "{what}: expected {want:?}, got {got:?}\n  filter: {filter}"
            )),
            Err(e) => failures.push(format!(
                "{what}: expected {want:?}, got {e}\n  filter: {filter}"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
