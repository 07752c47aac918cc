//! iCalendar semantics the server needs beyond storage: what an object is
//! (UID, component kind) and whether a body is a valid calendar object resource.

mod inspect;
mod vtimezone;
mod webcal;

pub use crate::query::ComponentKind;
/// The bounds every iCalendar text passes first; defined with the query
/// parsers below this module, which need them too.
pub use crate::query::{
    prescan, MAX_COMPONENTS, MAX_DEPTH, MAX_LINE, MAX_PARAMS, MAX_PROPERTIES, MAX_RRULES,
};
pub(crate) use crate::query::{split_content_line, LogicalLines};
pub use inspect::{component_kind, inspect, IcalError, ObjectInfo};
pub use vtimezone::vcalendar_for;
pub use webcal::CalendarMerger;
