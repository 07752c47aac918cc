//! RFC 4791 §9.9: the time-range rows of each component kind, and VALARM.

use super::*;

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
        Some(&crate::ical::FloatingTz::Iana(
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
        Some(&crate::ical::FloatingTz::Iana(
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
