//! free-busy-query (RFC 4791 §7.10): busy periods of a calendar's events and
//! VFREEBUSY components in a time range, as one VFREEBUSY.

use actix_web::http::StatusCode;

use crate::dav::xml::{Element, CALDAV};
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::request::{Reply, ICALENDAR};
use crate::http::resource::Resource;
use crate::ical::tz::FloatingTz;
use crate::ical::ComponentKind;
use crate::query;
use crate::store::Collection;

use super::query::{filter_error, query_timezone};

/// `target` is what the request URI names, loaded by `report::handle`.
pub fn handle(body: Element, target: Resource) -> DavResult<Reply> {
    let Resource::Collection { cal, .. } = &target else {
        return Err(DavError::condition(
            Condition::SupportedReport,
            "free-busy-query works on calendars",
        ));
    };
    let range = body
        .child(CALDAV, "time-range")
        .ok_or(DavError::IncompleteBody(
            "free-busy-query needs a time-range",
        ))?;
    let range = query::time_range_of(range).map_err(filter_error)?;
    let tz = query_timezone(&body, &target);
    let mut busy = query::FreeBusy::new(range.start, range.end);
    add_busy(cal, &mut busy, tz.as_ref())?;
    let text = busy.finish();
    Ok(Reply::full(StatusCode::OK, ICALENDAR, text))
}

/// Adds a calendar's busy time within `busy`'s range: only the files the
/// index places there (events and VFREEBUSY) are read, one at a time, and
/// only the merged periods are kept. The free-busy REPORT and the outbox's
/// free-busy request (`outbox_freebusy`) both count time this way.
pub(crate) fn add_busy(
    cal: &Collection,
    busy: &mut query::FreeBusy,
    tz: Option<&FloatingTz>,
) -> DavResult<()> {
    let (start, end) = busy.range();
    cal.each_object(
        |m| {
            matches!(
                m.info.component(),
                Some(ComponentKind::Event | ComponentKind::FreeBusy)
            ) && m.info.span().overlaps(start, end)
        },
        |name, _| {
            if let Ok((bytes, _)) = cal.read(&name) {
                busy.add(&String::from_utf8_lossy(&bytes), tz);
            }
        },
    )?;
    Ok(())
}
