//! Fuzzes calendar-query evaluation: a CALDAV:filter (and calendar-data
//! request) parsed from XML, applied to an object. Also checks that the time
//! index is conservative: an object the filter matches is never one whose
//! indexed span would have pruned it (REPORT consults the span first).
//!
//! Input: filter XML, one 0xFF byte (never valid UTF-8), then the object.
#![no_main]

use davdir::dav::xml::{parse, Element, CALDAV};
use davdir::ical::inspect;
use davdir::query::{
    free_busy, matches, parse_calendar_data, parse_filter, render_calendar_data, span,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(cut) = data.iter().position(|&b| b == 0xFF) else {
        return;
    };
    let (xml, ics) = (&data[..cut], &data[cut + 1..]);
    let Ok(ics_text) = std::str::from_utf8(ics) else {
        return;
    };
    let Ok(root) = parse(xml) else {
        return;
    };
    let Some(filter_el) = find(&root, "filter") else {
        return;
    };
    let Ok(filter) = parse_filter(filter_el) else {
        return;
    };
    let matched = matches(ics_text, &filter, None);
    if let (true, Some((start, end))) = (matched, filter.time_window()) {
        let indexed = inspect(ics)
            .map(|i| i.span)
            .unwrap_or_else(|_| span(ics_text));
        assert!(
            indexed.overlaps(start, end),
            "matching object pruned by its span {indexed:?} for {start}..{end}"
        );
        let _ = free_busy(&[ics_text], start, end, None);
    }
    if let Some(Ok(req)) = find(&root, "calendar-data").map(parse_calendar_data) {
        let _ = render_calendar_data(ics_text, &req, None);
    }
});

/// The first CALDAV element of that name, breadth-first without recursion.
fn find<'a>(root: &'a Element, name: &str) -> Option<&'a Element> {
    let mut queue = std::collections::VecDeque::from([root]);
    while let Some(el) = queue.pop_front() {
        if el.is(CALDAV, name) {
            return Some(el);
        }
        queue.extend(el.children.iter());
    }
    None
}
