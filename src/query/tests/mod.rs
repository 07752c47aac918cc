//! Behaviour tests for filters, §9.9 time-ranges and recurrence, one file
//! per topic; the helpers they share are here.

use super::*;
use crate::ical::object::{is, normalize, Object};
use crate::ical::recur::occurrences;
use crate::ical::value::format_utc;
use crate::ical::*;

mod budget;
mod filter;
mod periodic;
mod recur;
mod timerange;

pub(crate) use crate::ical::test_cal as cal;

/// Parses a filter from XML text as a REPORT does (shared by the filter
/// modules' tests too).
pub(crate) fn filter(xml: &str) -> Result<Filter, FilterError> {
    let doc = format!(
        r#"<C:filter xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:D="DAV:">{xml}</C:filter>"#
    );
    parse_filter(&crate::dav::xml::parse(doc.as_bytes()).unwrap())
}

fn ts(s: &str) -> i64 {
    crate::ical::value::parse_date_or_datetime(s)
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
    let obj = Object::parse(&text, tz.map(crate::ical::FloatingTz::Iana).as_ref()).unwrap();
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
