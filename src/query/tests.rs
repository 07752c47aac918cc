//! Behaviour tests for filters, §9.9 time-ranges and recurrence.

use super::filter::tests::filter;
use super::object::{is, normalize, Object};
use super::recur::occurrences;
use super::value::format_utc;
use super::*;

/// Wraps component text into a VCALENDAR.
pub(crate) fn cal(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n")
}

fn ts(s: &str) -> i64 {
    super::value::parse_date_or_datetime(s)
        .unwrap()
        .local
        .and_utc()
        .timestamp()
}

/// A VCALENDAR > `comp` filter with a time-range (either bound may be "").
fn tr_filter(comp: &str, start: &str, end: &str) -> Filter {
    let attr = |k: &str, v: &str| {
        if v.is_empty() {
            String::new()
        } else {
            format!(r#" {k}="{v}""#)
        }
    };
    filter(&format!(
        r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="{comp}"><C:time-range{}{}/></C:comp-filter></C:comp-filter>"#,
        attr("start", start),
        attr("end", end)
    ))
    .unwrap()
}

fn hit(body: &str, comp: &str, start: &str, end: &str) -> bool {
    matches(&cal(body), &tr_filter(comp, start, end), None)
}

/// UTC starts of all instances of `kind` overlapping [lo, hi].
fn starts(ics: &str, kind: &str, lo: &str, hi: &str, tz: Option<chrono_tz::Tz>) -> Vec<String> {
    let text = normalize(ics);
    let obj = Object::parse(&text, tz.map(crate::query::FloatingTz::Iana).as_ref()).unwrap();
    let list: Vec<_> = obj
        .comps
        .iter()
        .filter(|c| is(c.name.as_str(), kind))
        .collect();
    occurrences(&obj, &list, kind, ts(lo), ts(hi))
        .items
        .iter()
        .map(|o| format_utc(o.start))
        .collect()
}

// ---- VEVENT rows of RFC 4791 §9.9 ----

#[test]
fn vevent_with_dtend() {
    let ev = "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nDTEND:20240110T110000Z\nEND:VEVENT\n";
    assert!(hit(ev, "VEVENT", "20240110T103000Z", "20240110T120000Z"));
    assert!(hit(ev, "VEVENT", "20240110T090000Z", "20240110T100001Z"));
    assert!(!hit(ev, "VEVENT", "20240110T110000Z", "20240110T120000Z"));
    assert!(!hit(ev, "VEVENT", "20240110T090000Z", "20240110T100000Z"));
    assert!(hit(ev, "VEVENT", "20240110T105959Z", ""));
    assert!(hit(ev, "VEVENT", "", "20240110T100001Z"));
}

#[test]
fn vevent_with_duration_and_zero_duration() {
    let ev = "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nDURATION:PT1H\nEND:VEVENT\n";
    assert!(hit(ev, "VEVENT", "20240110T105900Z", "20240110T120000Z"));
    assert!(!hit(ev, "VEVENT", "20240110T110000Z", "20240110T120000Z"));
    let zero = "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nDURATION:PT0S\nEND:VEVENT\n";
    assert!(hit(zero, "VEVENT", "20240110T100000Z", "20240110T110000Z"));
    assert!(!hit(zero, "VEVENT", "20240110T090000Z", "20240110T100000Z"));
}

#[test]
fn vevent_without_end() {
    let ev = "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nEND:VEVENT\n";
    assert!(hit(ev, "VEVENT", "20240110T100000Z", "20240110T100001Z"));
    assert!(!hit(ev, "VEVENT", "20240110T090000Z", "20240110T100000Z"));
    assert!(!hit(ev, "VEVENT", "20240110T100001Z", "20240110T110000Z"));
}

#[test]
fn vevent_all_day_floating() {
    let ev = "BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20240110\nEND:VEVENT\n";
    assert!(hit(ev, "VEVENT", "20240110T230000Z", "20240111T000000Z"));
    assert!(!hit(ev, "VEVENT", "20240111T000000Z", "20240112T000000Z"));
    assert!(!hit(ev, "VEVENT", "20240109T000000Z", "20240110T000000Z"));
    // With a default zone the day is local: Berlin's Jan 10 starts at 23:00Z.
    let f = tr_filter("VEVENT", "20240109T230000Z", "20240109T233000Z");
    assert!(matches(
        &cal(ev),
        &f,
        Some(&crate::query::FloatingTz::Iana(
            chrono_tz::Tz::Europe__Berlin
        ))
    ));
    assert!(!matches(&cal(ev), &f, None));
    let two =
        "BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20240110\nDTEND;VALUE=DATE:20240112\nEND:VEVENT\n";
    assert!(hit(two, "VEVENT", "20240111T120000Z", "20240111T130000Z"));
    assert!(!hit(two, "VEVENT", "20240112T000000Z", "20240113T000000Z"));
}

#[test]
fn floating_time_uses_default_zone() {
    let ev = "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000\nDTEND:20240110T110000\nEND:VEVENT\n";
    let f = tr_filter("VEVENT", "20240110T150000Z", "20240110T153000Z");
    assert!(matches(
        &cal(ev),
        &f,
        Some(&crate::query::FloatingTz::Iana(
            chrono_tz::Tz::America__New_York
        ))
    ));
    assert!(!matches(&cal(ev), &f, None));
}

// ---- VTODO rows ----

#[test]
fn vtodo_rows() {
    let todo = |props: &str| format!("BEGIN:VTODO\nUID:t\n{props}END:VTODO\n");
    // DTSTART + DURATION
    let t = todo("DTSTART:20240110T100000Z\nDURATION:PT1H\n");
    assert!(hit(&t, "VTODO", "20240110T110000Z", "20240110T120000Z"));
    assert!(!hit(&t, "VTODO", "20240110T110001Z", "20240110T120000Z"));
    assert!(!hit(&t, "VTODO", "20240110T080000Z", "20240110T100000Z"));
    // DTSTART + DUE
    let t = todo("DTSTART:20240110T100000Z\nDUE:20240110T110000Z\n");
    assert!(hit(&t, "VTODO", "20240110T103000Z", "20240110T120000Z"));
    assert!(!hit(&t, "VTODO", "20240110T110000Z", "20240110T120000Z"));
    assert!(!hit(&t, "VTODO", "20240110T090000Z", "20240110T100000Z"));
    // DTSTART only
    let t = todo("DTSTART:20240110T100000Z\n");
    assert!(hit(&t, "VTODO", "20240110T100000Z", "20240110T100001Z"));
    assert!(!hit(&t, "VTODO", "20240110T100001Z", "20240110T120000Z"));
    // DUE only
    let t = todo("DUE:20240110T100000Z\n");
    assert!(hit(&t, "VTODO", "20240110T090000Z", "20240110T100000Z"));
    assert!(!hit(&t, "VTODO", "20240110T100000Z", "20240110T110000Z"));
    // COMPLETED + CREATED
    let t = todo("CREATED:20240101T000000Z\nCOMPLETED:20240110T000000Z\n");
    assert!(hit(&t, "VTODO", "20231201T000000Z", "20240101T000000Z"));
    assert!(hit(&t, "VTODO", "20240110T000000Z", "20240111T000000Z"));
    assert!(!hit(&t, "VTODO", "20240111T000000Z", "20240112T000000Z"));
    // COMPLETED only
    let t = todo("COMPLETED:20240110T000000Z\n");
    assert!(hit(&t, "VTODO", "20240109T000000Z", "20240110T000000Z"));
    assert!(!hit(&t, "VTODO", "20240110T000001Z", "20240111T000000Z"));
    // CREATED only
    let t = todo("CREATED:20240110T000000Z\n");
    assert!(hit(&t, "VTODO", "20240109T000000Z", "20240110T000001Z"));
    assert!(!hit(&t, "VTODO", "20240109T000000Z", "20240110T000000Z"));
    assert!(hit(&t, "VTODO", "20300101T000000Z", "20300102T000000Z"));
    // nothing
    assert!(hit(
        &todo(""),
        "VTODO",
        "20300101T000000Z",
        "20300102T000000Z"
    ));
}

#[test]
fn vtodo_created_and_completed_straddle() {
    let t = "BEGIN:VTODO\nUID:t\nCREATED:20240101T000000Z\nCOMPLETED:20240110T000000Z\nEND:VTODO\n";
    // A range between CREATED and COMPLETED: start <= COMPLETED and end >= CREATED.
    assert!(hit(t, "VTODO", "20240105T000000Z", "20240106T000000Z"));
}

// ---- VJOURNAL rows ----

#[test]
fn vjournal_rows() {
    let j = "BEGIN:VJOURNAL\nUID:j\nDTSTART:20240110T100000Z\nEND:VJOURNAL\n";
    assert!(hit(j, "VJOURNAL", "20240110T100000Z", "20240110T110000Z"));
    assert!(!hit(j, "VJOURNAL", "20240110T100001Z", "20240110T110000Z"));
    let d = "BEGIN:VJOURNAL\nUID:j\nDTSTART;VALUE=DATE:20240110\nEND:VJOURNAL\n";
    assert!(hit(d, "VJOURNAL", "20240110T230000Z", "20240111T000000Z"));
    assert!(!hit(d, "VJOURNAL", "20240111T000000Z", "20240112T000000Z"));
    let none = "BEGIN:VJOURNAL\nUID:j\nSUMMARY:x\nEND:VJOURNAL\n";
    assert!(!hit(
        none,
        "VJOURNAL",
        "19000101T000000Z",
        "21000101T000000Z"
    ));
}

// ---- VFREEBUSY rows ----

#[test]
fn vfreebusy_rows() {
    let fb =
        "BEGIN:VFREEBUSY\nUID:f\nDTSTART:20240110T000000Z\nDTEND:20240111T000000Z\nEND:VFREEBUSY\n";
    assert!(hit(fb, "VFREEBUSY", "20240111T000000Z", "20240112T000000Z"));
    assert!(!hit(
        fb,
        "VFREEBUSY",
        "20240111T000001Z",
        "20240112T000000Z"
    ));
    let p = "BEGIN:VFREEBUSY\nUID:f\nFREEBUSY:20240110T100000Z/PT1H,20240110T140000Z/20240110T150000Z\nEND:VFREEBUSY\n";
    assert!(hit(p, "VFREEBUSY", "20240110T143000Z", "20240110T160000Z"));
    assert!(!hit(p, "VFREEBUSY", "20240110T110000Z", "20240110T140000Z"));
    let none = "BEGIN:VFREEBUSY\nUID:f\nEND:VFREEBUSY\n";
    assert!(!hit(
        none,
        "VFREEBUSY",
        "19000101T000000Z",
        "21000101T000000Z"
    ));
}

// ---- VALARM ----

fn alarm_filter(start: &str, end: &str) -> Filter {
    filter(&format!(
        r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:comp-filter name="VALARM"><C:time-range start="{start}" end="{end}"/></C:comp-filter></C:comp-filter></C:comp-filter>"#
    ))
    .unwrap()
}

#[test]
fn valarm_relative_absolute_and_repeat() {
    let ev = |alarm: &str| {
        cal(&format!("BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nDTEND:20240110T110000Z\nBEGIN:VALARM\nACTION:DISPLAY\n{alarm}END:VALARM\nEND:VEVENT\n"))
    };
    let before = ev("TRIGGER:-PT15M\n");
    assert!(matches(
        &before,
        &alarm_filter("20240110T094500Z", "20240110T094501Z"),
        None
    ));
    assert!(!matches(
        &before,
        &alarm_filter("20240110T095000Z", "20240110T110000Z"),
        None
    ));
    let after_end = ev("TRIGGER;RELATED=END:PT5M\n");
    assert!(matches(
        &after_end,
        &alarm_filter("20240110T110000Z", "20240110T110600Z"),
        None
    ));
    assert!(!matches(
        &after_end,
        &alarm_filter("20240110T100000Z", "20240110T110459Z"),
        None
    ));
    let abs = ev("TRIGGER;VALUE=DATE-TIME:20240101T080000Z\n");
    assert!(matches(
        &abs,
        &alarm_filter("20240101T080000Z", "20240101T090000Z"),
        None
    ));
    assert!(!matches(
        &abs,
        &alarm_filter("20240110T000000Z", "20240111T000000Z"),
        None
    ));
    let rep = ev("TRIGGER:-PT30M\nREPEAT:2\nDURATION:PT10M\n");
    assert!(matches(
        &rep,
        &alarm_filter("20240110T095000Z", "20240110T095500Z"),
        None
    ));
    assert!(!matches(
        &rep,
        &alarm_filter("20240110T095001Z", "20240110T100000Z"),
        None
    ));
}

#[test]
fn valarm_on_recurring_instances() {
    let ics = cal("BEGIN:VEVENT\nUID:a\nDTSTART:20240101T100000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY\nBEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-P1D\nEND:VALARM\nEND:VEVENT\n");
    // The alarm of the 2030-06-02 instance fires on 2030-06-01 at 10:00.
    assert!(matches(
        &ics,
        &alarm_filter("20300601T095959Z", "20300601T100001Z"),
        None
    ));
    assert!(!matches(
        &ics,
        &alarm_filter("20300601T100001Z", "20300601T110000Z"),
        None
    ));
    // No VALARM at all: is-not-defined matches.
    let plain = cal("BEGIN:VEVENT\nUID:a\nDTSTART:20240101T100000Z\nEND:VEVENT\n");
    let f = filter(r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:comp-filter name="VALARM"><C:is-not-defined/></C:comp-filter></C:comp-filter></C:comp-filter>"#).unwrap();
    assert!(matches(&plain, &f, None));
    assert!(!matches(&ics, &f, None));
}

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

// ---- recurrence ----

const WEEKLY: &str = "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:w\nDTSTART;TZID=Europe/Berlin:20240108T090000\nDTEND;TZID=Europe/Berlin:20240108T100000\nRRULE:FREQ=WEEKLY;BYDAY=MO\nEXDATE;TZID=Europe/Berlin:20240115T090000\nSUMMARY:Standup\nEND:VEVENT\nBEGIN:VEVENT\nUID:w\nRECURRENCE-ID;TZID=Europe/Berlin:20240122T090000\nDTSTART;TZID=Europe/Berlin:20240123T140000\nDTEND;TZID=Europe/Berlin:20240123T150000\nSUMMARY:Moved\nEND:VEVENT\nEND:VCALENDAR\n";

#[test]
fn weekly_with_exdate_and_override() {
    assert_eq!(
        starts(
            WEEKLY,
            "VEVENT",
            "20240101T000000Z",
            "20240131T000000Z",
            None
        ),
        ["20240108T080000Z", "20240123T130000Z", "20240129T080000Z"]
    );
    // The excluded and the moved-away Mondays do not match; the new slot does.
    assert!(!matches(
        WEEKLY,
        &tr_filter("VEVENT", "20240115T000000Z", "20240116T000000Z"),
        None
    ));
    assert!(!matches(
        WEEKLY,
        &tr_filter("VEVENT", "20240122T000000Z", "20240123T000000Z"),
        None
    ));
    assert!(matches(
        WEEKLY,
        &tr_filter("VEVENT", "20240123T000000Z", "20240124T000000Z"),
        None
    ));
    // Far in the future, only the window is expanded.
    assert!(matches(
        WEEKLY,
        &tr_filter("VEVENT", "21240101T000000Z", "21240108T000000Z"),
        None
    ));
}

#[test]
fn dst_crossing_keeps_wall_clock() {
    let berlin = cal("BEGIN:VEVENT\nUID:d\nDTSTART;TZID=Europe/Berlin:20240330T090000\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n");
    assert_eq!(
        starts(
            &berlin,
            "VEVENT",
            "20240101T000000Z",
            "20250101T000000Z",
            None
        ),
        ["20240330T080000Z", "20240331T070000Z", "20240401T070000Z"]
    );
    let ny = cal("BEGIN:VEVENT\nUID:d\nDTSTART;TZID=America/New_York:20241102T093000\nRRULE:FREQ=WEEKLY;UNTIL=20241109T143000Z\nEND:VEVENT\n");
    assert_eq!(
        starts(&ny, "VEVENT", "20240101T000000Z", "20250101T000000Z", None),
        ["20241102T133000Z", "20241109T143000Z"]
    );
}

#[test]
fn vtimezone_only_zone_recurs_across_dst() {
    let ics = cal("BEGIN:VTIMEZONE\nTZID:Custom Central\nBEGIN:STANDARD\nDTSTART:16011104T020000\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0600\nEND:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:16010311T020000\nRRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\nTZOFFSETFROM:-0600\nTZOFFSETTO:-0500\nEND:DAYLIGHT\nEND:VTIMEZONE\nBEGIN:VEVENT\nUID:c\nDTSTART;TZID=Custom Central:20240309T080000\nRRULE:FREQ=DAILY;COUNT=2\nEND:VEVENT\n");
    assert_eq!(
        starts(&ics, "VEVENT", "20240101T000000Z", "20250101T000000Z", None),
        ["20240309T140000Z", "20240310T130000Z"]
    );
}

#[test]
fn monthly_byday_and_rdate() {
    let ics = cal("BEGIN:VEVENT\nUID:m\nDTSTART:20240109T120000Z\nRRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=3\nRDATE:20240301T120000Z,20240401T120000Z/PT2H\nEND:VEVENT\n");
    assert_eq!(
        starts(&ics, "VEVENT", "20240101T000000Z", "20250101T000000Z", None),
        [
            "20240109T120000Z",
            "20240213T120000Z",
            "20240301T120000Z",
            "20240312T120000Z",
            "20240401T120000Z"
        ]
    );
}

#[test]
fn dtstart_is_always_an_instance() {
    // DTSTART is a Wednesday but the rule only yields Mondays.
    let ics = cal("BEGIN:VEVENT\nUID:x\nDTSTART:20240103T100000Z\nRRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2\nEND:VEVENT\n");
    assert_eq!(
        starts(&ics, "VEVENT", "20240101T000000Z", "20250101T000000Z", None),
        ["20240103T100000Z", "20240108T100000Z", "20240115T100000Z"]
    );
}

#[test]
fn all_day_recurrence_with_exdate() {
    let ics = cal("BEGIN:VEVENT\nUID:y\nDTSTART;VALUE=DATE:20240101\nDTEND;VALUE=DATE:20240102\nRRULE:FREQ=YEARLY;UNTIL=20270101\nEXDATE;VALUE=DATE:20250101\nEND:VEVENT\n");
    assert_eq!(
        starts(&ics, "VEVENT", "20200101T000000Z", "20300101T000000Z", None),
        ["20240101T000000Z", "20260101T000000Z", "20270101T000000Z"]
    );
    assert!(!hit(
        &ics[ics.find("BEGIN:VEVENT").unwrap()..ics.find("END:VCALENDAR").unwrap()],
        "VEVENT",
        "20250101T000000Z",
        "20250102T000000Z"
    ));
}

#[test]
fn this_and_future_override_shifts_later_instances() {
    let ics = cal("BEGIN:VEVENT\nUID:f\nDTSTART:20240101T100000Z\nDTEND:20240101T110000Z\nRRULE:FREQ=DAILY;COUNT=5\nEND:VEVENT\nBEGIN:VEVENT\nUID:f\nRECURRENCE-ID;RANGE=THISANDFUTURE:20240103T100000Z\nDTSTART:20240103T120000Z\nDTEND:20240103T130000Z\nEND:VEVENT\n");
    assert_eq!(
        starts(&ics, "VEVENT", "20240101T000000Z", "20240201T000000Z", None),
        [
            "20240101T100000Z",
            "20240102T100000Z",
            "20240103T120000Z",
            "20240104T120000Z",
            "20240105T120000Z"
        ]
    );
    assert!(!hit(
        &ics[ics.find("BEGIN:VEVENT").unwrap()..ics.find("END:VCALENDAR").unwrap()],
        "VEVENT",
        "20240104T100000Z",
        "20240104T110000Z"
    ));
}

#[test]
fn unknown_tzid_is_floating_and_bad_rule_keeps_dtstart() {
    let ics = cal("BEGIN:VEVENT\nUID:u\nDTSTART;TZID=Mars/Olympus:20240101T100000\nRRULE:FREQ=FORTNIGHTLY\nEND:VEVENT\n");
    assert_eq!(
        starts(&ics, "VEVENT", "20200101T000000Z", "20300101T000000Z", None),
        ["20240101T100000Z"]
    );
}

#[test]
fn exdate_also_removes_an_override_of_that_instance() {
    let ics = cal("BEGIN:VEVENT\nUID:e\nDTSTART:20240101T100000Z\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE:20240102T100000Z\nEND:VEVENT\nBEGIN:VEVENT\nUID:e\nRECURRENCE-ID:20240102T100000Z\nDTSTART:20240102T150000Z\nEND:VEVENT\n");
    assert_eq!(
        starts(&ics, "VEVENT", "20240101T000000Z", "20240201T000000Z", None),
        ["20240101T100000Z", "20240103T100000Z"]
    );
}

/// UTC (start, end) of all instances of `kind` overlapping [lo, hi].
fn spans(ics: &str, kind: &str, lo: &str, hi: &str) -> Vec<(String, String)> {
    let text = normalize(ics);
    let obj = Object::parse(&text, None).unwrap();
    let list: Vec<_> = obj
        .comps
        .iter()
        .filter(|c| is(c.name.as_str(), kind))
        .collect();
    occurrences(&obj, &list, kind, ts(lo), ts(hi))
        .items
        .iter()
        .map(|o| (format_utc(o.start), format_utc(o.end)))
        .collect()
}

/// RFC 5545 §3.3.6: the days of a DURATION are nominal (same local time on a
/// later day), its hours, minutes and seconds exact, so across a DST change
/// `P1D` and `PT24H` end an hour apart and `P1DT2H` is neither 26 h nor 24 h.
#[test]
fn duration_days_are_nominal_and_hours_exact() {
    let ny = |start: &str, dur: &str| {
        cal(&format!("BEGIN:VEVENT\nUID:n\nDTSTART;TZID=America/New_York:{start}\nDURATION:{dur}\nRRULE:FREQ=DAILY;COUNT=1\nEND:VEVENT\n"))
    };
    let one = |start: &str, dur: &str| {
        spans(
            &ny(start, dur),
            "VEVENT",
            "20251001T000000Z",
            "20251201T000000Z",
        )
    };
    // 1 Nov 12:00 EDT + 1 day = 2 Nov 12:00 EST (17:00Z), + 2 h = 19:00Z.
    assert_eq!(
        one("20251101T120000", "P1DT2H"),
        [("20251101T160000Z".into(), "20251102T190000Z".into())]
    );
    // 24 exact hours from 12:00 EDT is 11:00 EST; one day is 12:00 EST.
    assert_eq!(
        one("20251101T120000", "PT24H"),
        [("20251101T160000Z".into(), "20251102T160000Z".into())]
    );
    assert_eq!(
        one("20251101T120000", "P1D"),
        [("20251101T160000Z".into(), "20251102T170000Z".into())]
    );
    // The time-range test sees the same ends.
    let f = tr_filter("VEVENT", "20251102T163000Z", "20251102T170000Z");
    assert!(!matches(&ny("20251101T120000", "PT24H"), &f, None));
    assert!(matches(&ny("20251101T120000", "P1D"), &f, None));
}

// ---- recurrence budget (issue 14, finding 5) ----

#[test]
fn runaway_rules_are_capped_and_answered_as_matching() {
    let storm = cal(&format!(
        "BEGIN:VEVENT\nUID:s\nDTSTART:19000101T000000Z\n{}END:VEVENT\n",
        "RRULE:FREQ=SECONDLY\n".repeat(8)
    ));
    let started = std::time::Instant::now();
    // Far from any instance the cap would find: still a (superset) match.
    assert!(matches(
        &storm,
        &tr_filter("VEVENT", "20261130T000000Z", "20261207T000000Z"),
        None
    ));
    // Debug build: the cap keeps this well under a second in release.
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let budget = QueryBudget::default();
    let f = tr_filter("VEVENT", "20261130T000000Z", "20261207T000000Z");
    for _ in 0..(QUERY_STEPS / OBJECT_STEPS) {
        assert!(matches_within(&storm, &f, None, &budget));
    }
    assert_eq!(budget.left(), 0);
    // With the query's budget spent, a recurring object is a superset match,
    // a single one still exact.
    let daily =
        cal("BEGIN:VEVENT\nUID:d\nDTSTART:20240101T100000Z\nRRULE:FREQ=DAILY\nEND:VEVENT\n");
    assert!(matches_within(
        &daily,
        &tr_filter("VEVENT", "20200101T000000Z", "20200102T000000Z"),
        None,
        &budget
    ));
    let single = cal("BEGIN:VEVENT\nUID:o\nDTSTART:20240101T100000Z\nEND:VEVENT\n");
    assert!(!matches_within(
        &single,
        &tr_filter("VEVENT", "20250101T000000Z", "20250102T000000Z"),
        None,
        &budget
    ));
}

#[test]
fn ordinary_rules_stay_exact_and_refund_the_budget() {
    let budget = QueryBudget::default();
    let daily = cal("BEGIN:VEVENT\nUID:d\nDTSTART:20240101T100000Z\nRRULE:FREQ=DAILY\nEXDATE:20240105T100000Z\nEND:VEVENT\n");
    let year = tr_filter("VEVENT", "20240101T000000Z", "20250101T000000Z");
    assert!(matches_within(&daily, &year, None, &budget));
    assert!(budget.left() > QUERY_STEPS - 1_000);
    let excluded_day = tr_filter("VEVENT", "20240105T000000Z", "20240106T000000Z");
    assert!(!matches_within(&daily, &excluded_day, None, &budget));
    assert!(!matches(
        &daily,
        &tr_filter("VEVENT", "20230101T000000Z", "20231231T000000Z"),
        None
    ));
}

#[test]
fn many_exdates_and_overrides_expand_in_linear_time() {
    // 20,000 EXDATEs and 2,000 overrides against 20,000 instances.
    let mut body = String::from(
        "BEGIN:VEVENT\nUID:m\nDTSTART:20000101T100000Z\nRRULE:FREQ=DAILY;COUNT=20000\n",
    );
    let day = |i: i64| format_utc(ts("20000101T100000Z") + i * 86_400);
    for i in (1..20_000).step_by(2) {
        body.push_str(&format!("EXDATE:{}\n", day(i)));
    }
    body.push_str("END:VEVENT\n");
    for i in (0..4_000).step_by(2) {
        body.push_str(&format!(
            "BEGIN:VEVENT\nUID:m\nRECURRENCE-ID:{}\nDTSTART:{}\nEND:VEVENT\n",
            day(i),
            day(i)
        ));
    }
    let ics = cal(&body);
    let started = std::time::Instant::now();
    let all = starts(&ics, "VEVENT", "20000101T000000Z", "20600101T000000Z", None);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(all.len(), 10_000);
    assert_eq!(all[1], day(2));
}

#[test]
fn unbounded_nesting_never_reaches_the_parser() {
    let deep = cal(&format!(
        "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\n{}{}END:VEVENT\n",
        "BEGIN:X-A\n".repeat(100_000),
        "END:X-A\n".repeat(100_000)
    ));
    assert!(!matches(
        &deep,
        &tr_filter("VEVENT", "20240101T000000Z", ""),
        None
    ));
    let expand = CalendarDataRequest {
        expand: Some(TimeRange {
            start: 0,
            end: 1 << 40,
        }),
        ..Default::default()
    };
    // Unparsable: returned as stored (never stored, as PUT and scan refuse it).
    assert_eq!(render_calendar_data(&deep, &expand, None), deep);
    let mut fb = FreeBusy::new(0, i64::MAX / 4);
    fb.add(&deep, None);
}
