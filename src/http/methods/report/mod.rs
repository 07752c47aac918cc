//! REPORT: calendar-multiget, calendar-query, free-busy-query (RFC 4791),
//! addressbook-multiget and addressbook-query (RFC 6352), sync-collection
//! (RFC 6578), principal search (RFC 3744 §9.4, §9.5), one module each. A
//! report of one kind of collection on the other is refused here, once.

use actix_web::http::StatusCode;
mod card_multiget;
mod card_query;
pub(crate) mod freebusy;
mod multiget;
mod principal_search;
pub(crate) mod query;
mod scan;
mod sync;

use crate::cardquery::CARDDAV;
use crate::dav::href::DavPath;
use crate::dav::multistatus::{status_line, PropXml, ResponseBuilder};
use crate::dav::property::PropName;
use crate::dav::xml::{escape, escape_ical, CALDAV, DAV};
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::methods::propfind::{self, PropRequest};
use crate::http::props::caldav::CALENDAR_DATA;
use crate::http::request::{Reply, Request};
use crate::http::resource::{Ctx, Kind, Resource};
use crate::store::{Collection, CollectionKind};

use scan::Candidate;

pub fn handle(rq: Request) -> DavResult<Reply> {
    let body = rq.xml()?.ok_or(DavError::MissingBody("REPORT"))?;
    let report = (body.ns.as_str(), body.name.as_str());
    // Only a multiget is tried on the async worker (`route`): any other
    // report may scan a whole collection, so it goes to the blocking pool.
    if !matches!(
        report,
        (CALDAV, "calendar-multiget") | (CARDDAV, "addressbook-multiget")
    ) {
        crate::store::refuse_where_no_wait()?;
    }
    let wanted = match report {
        (CALDAV, "calendar-multiget" | "calendar-query" | "free-busy-query") => {
            Some(CollectionKind::Calendar)
        }
        (CARDDAV, "addressbook-multiget" | "addressbook-query") => {
            Some(CollectionKind::AddressBook)
        }
        _ => None,
    };
    // Root and homes are left to the handlers (multiget may name objects).
    if let (Some(kind), Some((cal, _))) = (wanted, collection_target(&rq)?) {
        if cal.kind() != kind {
            return Err(DavError::condition(
                Condition::SupportedReport,
                format!("{} works on {}", body.name, kind.describe()),
            ));
        }
    }
    match report {
        (CARDDAV, "addressbook-multiget") => card_multiget::handle(rq, body),
        (CARDDAV, "addressbook-query") => card_query::handle(rq, body),
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

/// The collection a REPORT's URL names (calendar or address book) and, for
/// an object's URL, that object; None for the root and homes.
pub fn collection_target(rq: &Request) -> DavResult<Option<(Collection, Option<Candidate>)>> {
    let (user, name, object) = match &rq.path {
        DavPath::Calendar { user, calendar } => (user, calendar, None),
        DavPath::Object {
            user,
            calendar,
            name,
        } => (user, calendar, Some(name)),
        _ => return Ok(None),
    };
    let cal = rq.store().collection(user, name)?;
    let object = match object {
        Some(n) => {
            let meta = cal.meta(n)?.ok_or(DavError::MissingObject)?;
            Some((n.clone(), meta))
        }
        None => None,
    };
    Ok(Some((cal, object)))
}

/// The report property that carries an object's data: calendar-data for a
/// calendar object, address-data for a contact.
fn is_data_prop(res: &Resource, name: &PropName) -> bool {
    match res.kind() {
        Kind::Contact => name.ns == CARDDAV && name.name == "address-data",
        _ => CALENDAR_DATA.is(name),
    }
}

/// Writes one object's response for a report: calendar-data (address-data
/// for a contact) comes from `data` (already read, maybe transformed); other
/// properties as in PROPFIND.
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
    // The data goes straight into `out`, escaped once (it is most of the answer).
    let mut with_data = None;
    for name in names {
        if is_data_prop(res, name) {
            match data {
                Some(text) if with_data.is_none() => with_data = Some((name, text)),
                Some(text) => b.add(StatusCode::OK, PropXml::Value(name, escape_ical(text))),
                None => b.add_name(StatusCode::NOT_FOUND, name),
            }
            continue;
        }
        propfind::add_prop(&mut b, res, name, ctx);
    }
    b.write_with_data(&res.href(ctx.base), with_data, out);
}

/// The request-URI's response when a limit cut the answer (RFC 6352 §8.6.1,
/// RFC 6578 §3.6): a 507 naming DAV:number-of-matches-within-limits.
pub fn write_truncated(href: &str, out: &mut String) {
    out.push_str("<D:response><D:href>");
    out.push_str(&escape(href));
    out.push_str("</D:href><D:status>");
    out.push_str(&status_line(
        Condition::NumberOfMatchesWithinLimits.status(),
    ));
    out.push_str("</D:status><D:error><D:number-of-matches-within-limits/></D:error>");
    out.push_str("</D:response>");
}
