//! REPORT: calendar-multiget, calendar-query, free-busy-query (RFC 4791) and
//! sync-collection (RFC 6578), principal search (RFC 3744 §9.4, §9.5), one
//! module each.

use actix_web::http::StatusCode;
mod freebusy;
mod multiget;
mod principal_search;
pub(crate) mod query;
mod scan;
mod sync;

use crate::dav::multistatus::{PropXml, ResponseBuilder};
use crate::dav::xml::{escape_ical, CALDAV, DAV};
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::methods::propfind::{self, PropRequest};
use crate::http::props::caldav::CALENDAR_DATA;
use crate::http::request::{Reply, Request};
use crate::http::resource::{Ctx, Resource};

pub fn handle(rq: Request) -> DavResult<Reply> {
    let body = rq.xml()?.ok_or(DavError::MissingBody("REPORT"))?;
    match (body.ns.as_str(), body.name.as_str()) {
        (CALDAV, "calendar-multiget") => multiget::handle(rq, body),
        (DAV, "sync-collection") => sync::handle(rq, body),
        (CALDAV, "calendar-query") => query::handle(rq, body),
        (CALDAV, "free-busy-query") => freebusy::handle(rq, body),
        (DAV, "principal-property-search") => principal_search::property_search(rq, body),
        (DAV, "principal-search-property-set") => Ok(principal_search::search_property_set()),
        _ => Err(DavError::condition(
            Condition::SupportedReport,
            format!("unsupported report {}", body.name),
        )),
    }
}

/// Writes one object's response for a report: calendar-data comes from
/// `data` (already read, maybe transformed); other properties as in PROPFIND.
pub fn write_object(
    res: &Resource,
    props: &PropRequest,
    data: Option<&str>,
    ctx: &Ctx,
    out: &mut String,
) {
    let PropRequest::Props(names) = props else {
        propfind::write_response(res, props, ctx, out);
        return;
    };
    let mut b = ResponseBuilder::default();
    for name in names {
        if CALENDAR_DATA.is(name) {
            match data {
                Some(text) => b.add(
                    StatusCode::OK,
                    PropXml::Value(name.clone(), escape_ical(text)),
                ),
                None => b.add_name(StatusCode::NOT_FOUND, name),
            }
            continue;
        }
        propfind::add_prop(&mut b, res, name, ctx);
    }
    b.write(&res.href(ctx.base), out);
}
