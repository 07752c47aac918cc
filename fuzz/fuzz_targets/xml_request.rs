//! Fuzzes the XML request parser and everything the handlers read from the
//! parsed tree (property names, filters, calendar-data, time-ranges, time
//! zones), plus the serialisation used to store dead properties: a stored
//! property must parse back to the same tree, or later responses break.
#![no_main]

use caldir::dav::property::PropName;
use caldir::dav::xml::{parse, Element, CALDAV, DAV};
use caldir::query::{parse_calendar_data, parse_filter, parse_timezone_element, time_range_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(root) = parse(data) else {
        return;
    };
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
    if el.is(DAV, "prop") {
        for c in &el.children {
            let name = PropName::new(&c.ns, &c.name);
            let _ = name.live();
            let _ = name.key();
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
