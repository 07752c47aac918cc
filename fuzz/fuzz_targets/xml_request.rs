//! Fuzzes the XML request parser and everything the handlers read from the
//! parsed tree (propfind and prop requests, property updates, filters,
//! calendar-data, time-ranges, time zones), plus the serialisation used to
//! store dead properties: a stored property must parse back to the same
//! tree under its own key, or later responses break.
#![no_main]

use davdir::dav::property::PropName;
use davdir::dav::xml::{parse, Element, CALDAV, DAV};
use davdir::http::body_parsers::{
    calendar_data_request, outcomes, prop_names, PropRequest, MAX_PROP_NAMES, MAX_UPDATES,
};
use davdir::query::{parse_calendar_data, parse_filter, parse_timezone_element, time_range_of};
use davdir::store::PropChange;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(root) = parse(data) else {
        return;
    };
    let _ = PropRequest::from_propfind(Some(&root));
    // Walk with an explicit stack so the harness itself never recurses.
    let mut todo: Vec<&Element> = vec![&root];
    while let Some(el) = todo.pop() {
        read_like_a_handler(el);
        todo.extend(el.children.iter());
    }
    let xml = root.to_xml();
    let again = parse(xml.as_bytes()).expect("serialised tree must parse again");
    assert_eq!(again, root, "serialisation must round-trip: {xml}");
});

/// What the PROPFIND, PROPPATCH and REPORT handlers ask of one element.
fn read_like_a_handler(el: &Element) {
    if el.is(DAV, "prop") || el.is(DAV, "include") {
        for c in &el.children {
            let name = PropName::new(&c.ns, &c.name);
            let _ = name.key();
        }
        if let Ok(names) = prop_names(el) {
            assert!(names.len() <= MAX_PROP_NAMES);
            let distinct: std::collections::HashSet<_> = names.iter().collect();
            assert_eq!(distinct.len(), names.len(), "each name is answered once");
        }
    }
    let _ = PropRequest::from_children(el);
    let _ = calendar_data_request(el);
    for creating in [false, true] {
        if let Ok(updates) = outcomes(el, creating) {
            assert!(updates.len() <= MAX_UPDATES);
            for change in updates
                .iter()
                .filter_map(|o| o.result.as_ref().ok())
                .flatten()
            {
                if let PropChange::Dead(key, Some(xml)) = change {
                    stored_reads_back(key, xml);
                }
            }
        }
    }
    if el.ns != CALDAV {
        return;
    }
    match el.name.as_str() {
        "filter" => {
            if let Ok(f) = parse_filter(el) {
                let _ = f.time_window();
            }
        }
        "calendar-data" => {
            if let Ok(req) = parse_calendar_data(el) {
                let _ = req.is_identity();
            }
        }
        "time-range" | "expand" | "limit-recurrence-set" | "limit-freebusy-set" => {
            if let Ok(tr) = time_range_of(el) {
                assert!(tr.start < tr.end, "an accepted time-range is never empty");
            }
        }
        "timezone" => {
            let _ = parse_timezone_element(&el.text);
        }
        _ => {}
    }
}

/// A dead property as stored must parse again as one element under its key.
fn stored_reads_back(key: &str, xml: &str) {
    let el = parse(xml.as_bytes()).expect("a stored dead property must parse again");
    assert_eq!(
        PropName::new(&el.ns, &el.name).key(),
        key,
        "stored as {xml}"
    );
}
