//! iCalendar query semantics of RFC 4791: calendar-query filters and
//! time-ranges, recurrence expansion, calendar-data retrieval options and
//! free-busy. Pure functions over `.ics` text and parsed XML; no I/O.

mod budget;
mod caldata;
mod decide;
mod error;
mod eval;
mod facts;
mod filter;
mod filter_shape;
mod freebusy;
mod kind;
mod object;
mod periodic;
mod prescan;
mod recur;
mod render;
mod rule;
mod span;
mod text_match;
mod timerange;
mod timezone_element;
mod tz;
mod value;
mod windows_tz;
mod write;

#[cfg(test)]
mod tests;

pub use budget::{QueryBudget, OBJECT_STEPS, QUERY_STEPS};
pub use caldata::{parse_calendar_data, CalendarDataRequest, CompSelect, PropSelect, Selection};
pub use decide::{Decision, Exact, PlainQuery};
pub use eval::{matches, matches_within};
pub(crate) use facts::facts_of_parsed;
pub use facts::{facts, facts_at, span_facts, Facts};
pub use filter::time_range_of;
pub use filter::{
    parse_filter, CompFilter, CompTest, Filter, FilterError, ParamFilter, PropCond, PropFilter,
    PropTest, TimeRange,
};
pub use freebusy::{free_busy, FreeBusy};
pub use kind::ComponentKind;
pub(crate) use object::normalize;
pub use periodic::Periodic;
pub use prescan::{
    prescan, PrescanError, MAX_COMPONENTS, MAX_DEPTH, MAX_LINE, MAX_PARAMS, MAX_PROPERTIES,
    MAX_RRULES,
};
/// The content-line reader, shared with vCard validation (same line syntax).
pub(crate) use prescan::{split as split_content_line, LogicalLines};
pub use render::render_calendar_data;
pub use span::{span, Span};
pub use text_match::{Collation, TextMatch};
pub use timezone_element::parse_timezone_element;
pub use tz::FloatingTz;
pub(crate) use value::{names_year_zero, valid_date_value, valid_period_value};
