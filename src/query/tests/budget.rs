//! The recurrence budget (issue 14, finding 5) and the parser's bounds.

use super::*;

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
