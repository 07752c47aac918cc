//! caldir: a CalDAV server whose storage is plain `.ics` files in vdir directories.
//!
//! Layers: [`store`] (files on disk), [`ical`] (iCalendar semantics),
//! [`dav`] (WebDAV/CalDAV protocol) and [`http`] (actix-web wiring).

pub mod dav;
pub mod ical;
pub mod store;
