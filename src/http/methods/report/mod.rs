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
use crate::dav::multistatus::{status_line, PropXml, ResponseBuilder};
use crate::dav::property::PropName;
use crate::dav::xml::{escape, escape_ical, Element, CALDAV, DAV};
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::props::caldav::CALENDAR_DATA;
use crate::http::props::{add_prop, write_response, PropRequest};
use crate::http::request::{Reply, Request};
use crate::http::resource::{Ctx, Kind, Resource};
use crate::store::{Collection, CollectionKind};

use scan::Candidate;

/// A REPORT's body, parsed once: by `route` on the async worker when it is
/// small (so `route` knows whether it is a multiget, the one report tried
/// there), else here on the blocking pool.
pub enum ReportBody {
    /// A calendar-multiget or addressbook-multiget, parsed on the worker.
    Multiget(Element),
    /// Any other report parsed on the worker (or why it could not be read),
    /// handed to the blocking pool as it is.
    Parsed(DavResult<Option<Element>>),
    /// Too large to parse on the worker.
    Unread,
}

impl ReportBody {
    /// Parses `rq`'s body when it is at most `small` bytes.
    pub fn read(rq: &Request, small: usize) -> ReportBody {
        if rq.body.len() > small {
            return ReportBody::Unread;
        }
        match rq.xml() {
            Ok(Some(el)) if is_multiget(&el) => ReportBody::Multiget(el),
            parsed => ReportBody::Parsed(parsed),
        }
    }

    /// Whether the report may be tried on the async worker: a multiget,
    /// which reads named objects; any other may scan a whole collection.
    pub fn is_multiget(&self) -> bool {
        matches!(self, ReportBody::Multiget(_))
    }

    /// A copy of a multiget's body for the try on the worker, so the body
    /// is still there should the request go to the blocking pool after all.
    pub fn multiget_copy(&self) -> Option<ReportBody> {
        match self {
            ReportBody::Multiget(el) => Some(ReportBody::Multiget(el.clone())),
            _ => None,
        }
    }

    fn into_element(self, rq: &Request) -> DavResult<Element> {
        match self {
            ReportBody::Multiget(el) => Ok(Some(el)),
            ReportBody::Parsed(parsed) => parsed,
            ReportBody::Unread => rq.xml(),
        }?
        .ok_or(DavError::MissingBody("REPORT"))
    }
}

fn is_multiget(body: &Element) -> bool {
    matches!(
        (body.ns.as_str(), body.name.as_str()),
        (CALDAV, "calendar-multiget") | (CARDDAV, "addressbook-multiget")
    )
}

pub fn handle(rq: Request, body: ReportBody) -> DavResult<Reply> {
    let body = body.into_element(&rq)?;
    // Each report's target is loaded once, here, one way for every report
    // (`Resource::load`, which maps an object's URL name to its file), and
    // handed on.
    let wanted = match (body.ns.as_str(), body.name.as_str()) {
        (CARDDAV, "addressbook-multiget" | "addressbook-query") => CollectionKind::AddressBook,
        (CALDAV, "calendar-multiget" | "calendar-query" | "free-busy-query") => {
            CollectionKind::Calendar
        }
        (DAV, "sync-collection") => {
            let target = Resource::load(rq.store(), &rq.path)?;
            return sync::handle(rq, body, collection_target(target));
        }
        (DAV, "principal-property-search") => return principal_search::property_search(rq, body),
        (DAV, "principal-search-property-set") => {
            return Ok(principal_search::search_property_set())
        }
        _ => {
            return Err(DavError::condition(
                Condition::SupportedReport,
                format!("unsupported report {}", body.name),
            ))
        }
    };
    let target = Resource::load(rq.store(), &rq.path)?;
    if let Resource::Collection { cal, .. } | Resource::Object { cal, .. } = &target {
        check_kind(&body, cal.kind(), wanted)?;
    }
    match body.name.as_str() {
        "addressbook-multiget" => card_multiget::handle(rq, body, collection_target(target)),
        "addressbook-query" => card_query::handle(rq, body, collection_target(target)),
        "calendar-multiget" => multiget::handle(rq, body, target),
        "calendar-query" => query::handle(rq, body, target),
        _ => freebusy::handle(body, target),
    }
}

/// A report of one kind of collection on the other is refused, once, here.
fn check_kind(body: &Element, found: CollectionKind, wanted: CollectionKind) -> DavResult<()> {
    if found == wanted {
        return Ok(());
    }
    Err(DavError::condition(
        Condition::SupportedReport,
        format!("{} works on {}", body.name, wanted.describe()),
    ))
}

/// The collection a REPORT's URL names (calendar or address book) and, for
/// an object's URL, that object; None for the root and homes.
pub type Target = Option<(Collection, Option<Candidate>)>;

/// The [`Target`] of a loaded request-URI.
pub fn collection_target(target: Resource) -> Target {
    match target {
        Resource::Collection { cal, .. } => Some((cal, None)),
        Resource::Object { cal, name, meta } => Some((cal, Some((name, meta)))),
        Resource::Root | Resource::Home { .. } => None,
    }
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
        write_response(res, props, ctx, out);
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
        add_prop(&mut b, res, name, ctx);
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
