//! iCalendar query semantics of RFC 4791: calendar-query filters,
//! text-match, calendar-data retrieval options and free-busy, built on the
//! iCalendar model of `crate::ical`. Pure functions over `.ics` text and
//! parsed XML; no I/O.

mod caldata;
mod decide;
mod error;
mod eval;
mod filter;
mod filter_shape;
mod freebusy;
mod render;
mod write;

#[cfg(test)]
mod tests;

pub use crate::dav::text_match::{Collation, TextMatch};
pub use caldata::{parse_calendar_data, CalendarDataRequest, CompSelect, PropSelect, Selection};
pub use decide::{Decision, PlainQuery};
pub use eval::{matches, matches_within};
pub use filter::time_range_of;
pub use filter::{
    CompFilter, CompTest, Filter, FilterError, ParamFilter, PropCond, PropFilter, PropTest,
};
pub use freebusy::{free_busy, FreeBusy, ReplyTo};
pub use render::render_calendar_data;

/// Parses a CALDAV:filter: its syntax (`filter`), then whether it can ever
/// describe iCalendar data (`filter_shape`), so a misplaced component is
/// CALDAV:valid-filter's failure rather than a filter that matches nothing.
pub fn parse_filter(el: &crate::dav::xml::Element) -> Result<Filter, FilterError> {
    let filter = filter::parse(el)?;
    filter_shape::check(&filter.root)?;
    Ok(filter)
}
