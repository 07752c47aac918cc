//! prop-filter, param-filter, text-match and nested comp-filters.

use super::*;

// ---- prop-filter / param-filter / text-match ----

const MEETING: &str = "BEGIN:VEVENT\nUID:m\nDTSTAMP:20240101T000000Z\nDTSTART;TZID=Europe/Berlin:20240110T100000\nSUMMARY:Team Meeting\\, weekly\nATTENDEE;PARTSTAT=ACCEPTED;CN=Ann:mailto:ann@example.com\nATTENDEE;CN=Bob:mailto:bob@example.com\nEND:VEVENT\n";

fn ev_filter(inner: &str) -> Filter {
    filter(&format!(
        r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">{inner}</C:comp-filter></C:comp-filter>"#
    ))
    .unwrap()
}

#[test]
fn text_match_on_properties() {
    let ics = cal(MEETING);
    let yes = [
        r#"<C:prop-filter name="SUMMARY"><C:text-match>meeting, WEEKLY</C:text-match></C:prop-filter>"#,
        r#"<C:prop-filter name="SUMMARY"><C:text-match collation="i;octet">Meeting</C:text-match></C:prop-filter>"#,
        r#"<C:prop-filter name="SUMMARY"><C:text-match negate-condition="yes">party</C:text-match></C:prop-filter>"#,
        r#"<C:prop-filter name="SUMMARY"/>"#,
        r#"<C:prop-filter name="LOCATION"><C:is-not-defined/></C:prop-filter>"#,
        r#"<C:prop-filter name="ATTENDEE"><C:text-match>bob@</C:text-match></C:prop-filter>"#,
    ];
    for f in yes {
        assert!(matches(&ics, &ev_filter(f), None), "{f}");
    }
    let no = [
        r#"<C:prop-filter name="SUMMARY"><C:text-match collation="i;octet">meeting</C:text-match></C:prop-filter>"#,
        r#"<C:prop-filter name="SUMMARY"><C:text-match negate-condition="yes">team</C:text-match></C:prop-filter>"#,
        r#"<C:prop-filter name="LOCATION"/>"#,
        r#"<C:prop-filter name="SUMMARY"><C:is-not-defined/></C:prop-filter>"#,
        r#"<C:prop-filter name="LOCATION"><C:text-match negate-condition="yes">x</C:text-match></C:prop-filter>"#,
    ];
    for f in no {
        assert!(!matches(&ics, &ev_filter(f), None), "{f}");
    }
}

#[test]
fn param_filters_apply_to_the_same_property() {
    let ics = cal(MEETING);
    let f = |inner: &str| {
        ev_filter(&format!(
            r#"<C:prop-filter name="ATTENDEE">{inner}</C:prop-filter>"#
        ))
    };
    assert!(matches(
        &ics,
        &f(
            r#"<C:param-filter name="PARTSTAT"><C:text-match>accepted</C:text-match></C:param-filter>"#
        ),
        None
    ));
    assert!(matches(
        &ics,
        &f(r#"<C:param-filter name="PARTSTAT"><C:is-not-defined/></C:param-filter>"#),
        None
    ));
    assert!(!matches(
        &ics,
        &f(r#"<C:text-match>bob</C:text-match><C:param-filter name="PARTSTAT"/>"#),
        None
    ));
    assert!(matches(
        &ics,
        &f(r#"<C:text-match>ann</C:text-match><C:param-filter name="PARTSTAT"/>"#),
        None
    ));
    assert!(!matches(&ics, &f(r#"<C:param-filter name="ROLE"/>"#), None));
}

#[test]
fn prop_filter_time_range() {
    let ics = cal(MEETING);
    let f = |s: &str, e: &str| {
        ev_filter(&format!(
            r#"<C:prop-filter name="DTSTART"><C:time-range start="{s}" end="{e}"/></C:prop-filter>"#
        ))
    };
    assert!(matches(
        &ics,
        &f("20240110T090000Z", "20240110T090001Z"),
        None
    ));
    assert!(!matches(
        &ics,
        &f("20240110T100000Z", "20240110T110000Z"),
        None
    ));
    let g = ev_filter(
        r#"<C:prop-filter name="DTSTAMP"><C:time-range start="20231231T000000Z" end="20240102T000000Z"/></C:prop-filter>"#,
    );
    assert!(matches(&ics, &g, None));
}

#[test]
fn component_filters_nest_and_combine() {
    let ics = cal(MEETING);
    let todo =
        filter(r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"/></C:comp-filter>"#)
            .unwrap();
    assert!(!matches(&ics, &todo, None));
    let no_todo = filter(r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"><C:is-not-defined/></C:comp-filter></C:comp-filter>"#).unwrap();
    assert!(matches(&ics, &no_todo, None));
    let all = filter(r#"<C:comp-filter name="VCALENDAR"/>"#).unwrap();
    assert!(matches(&ics, &all, None));
    let cal_prop = filter(r#"<C:comp-filter name="VCALENDAR"><C:prop-filter name="VERSION"><C:text-match>2.0</C:text-match></C:prop-filter></C:comp-filter>"#).unwrap();
    assert!(matches(&ics, &cal_prop, None));
    assert!(!matches("not ical", &all, None));
}
