//! Recurrence expansion: RRULE, RDATE, EXDATE, overrides, DST and durations.

use super::*;

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
