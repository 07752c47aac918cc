//! The iCalendar model: the bounds every text passes first (prescan), the
//! parsed object with its values, time zones and recurrence, the facts the
//! index keeps per object (span, exact instance, periodic pattern), and
//! whether a body is a valid calendar object resource. Pure functions over
//! `.ics` text; `query` builds the REPORT semantics on top of it.

pub(crate) mod budget;
pub(crate) mod exact;
mod facts;
mod inspect;
pub(crate) mod kind;
pub(crate) mod object;
pub(crate) mod periodic;
mod prescan;
pub(crate) mod recur;
mod rule;
pub(crate) mod span;
pub(crate) mod timerange;
mod timezone_element;
pub(crate) mod tz;
pub(crate) mod value;
mod vtimezone;
mod webcal;
mod windows_tz;

pub use budget::{QueryBudget, OBJECT_STEPS, QUERY_STEPS};
pub use exact::Exact;
pub(crate) use facts::facts_of_parsed;
pub use facts::{facts, facts_at, span_facts, Facts};
pub use inspect::{component_kind, inspect, IcalError, ObjectInfo};
pub use kind::ComponentKind;
pub(crate) use object::normalize;
pub use periodic::Periodic;
/// The bounds every iCalendar text passes first.
pub use prescan::{
    prescan, PrescanError, MAX_COMPONENTS, MAX_DEPTH, MAX_LINE, MAX_PARAMS, MAX_PROPERTIES,
    MAX_RRULES,
};
/// The content-line reader, shared with vCard validation (same line syntax).
pub(crate) use prescan::{split as split_content_line, LogicalLines};
pub use span::{span, Span};
pub use timerange::TimeRange;
pub use timezone_element::{parse_timezone_element, read_timezone_value, TimezoneValue};
pub use tz::FloatingTz;
pub(crate) use value::{names_year_zero, valid_date_value, valid_period_value};
pub use vtimezone::vcalendar_for;
pub use webcal::CalendarMerger;

/// Wraps component text into a VCALENDAR, for the tests here and in `query`.
#[cfg(test)]
pub(crate) fn test_cal(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n")
}
