//! iCalendar semantics the server needs beyond storage: what an object is
//! (UID, component kind) and whether a body is a valid calendar object resource.

mod inspect;
mod vtimezone;
mod webcal;

pub use inspect::{component_kind, inspect, IcalError, ObjectInfo};
pub use vtimezone::vcalendar_for;
pub use webcal::CalendarMerger;
