//! MKCALENDAR (RFC 4791 §5.3.1) and extended MKCOL (RFC 5689): create a
//! calendar directory with its initial properties, or nothing at all.

use actix_web::http::{header, StatusCode};

use crate::dav::href::DavPath;
use crate::dav::property::PropName;
use crate::dav::xml::{Element, CALDAV, DAV};
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::prop_update::{all_changes, outcomes, report};
use crate::http::request::{Reply, Request, XML};

pub fn handle(rq: Request, mkcalendar: bool) -> DavResult<Reply> {
    let DavPath::Calendar { user, calendar } = &rq.path else {
        return Err(match (&rq.path, mkcalendar) {
            (_, true) => DavError::condition(
                Condition::CalendarCollectionLocationOk,
                "calendars live directly in a user's home",
            ),
            (DavPath::Root | DavPath::Home { .. }, false) => DavError::MethodNotAllowed,
            _ => DavError::CollectionOutsideHome,
        });
    };
    let body = rq.xml()?;
    let (root_ns, root_name) = if mkcalendar {
        (CALDAV, "mkcalendar")
    } else {
        (DAV, "mkcol")
    };
    let results = match &body {
        None => Vec::new(),
        Some(root) if root.is(root_ns, root_name) => {
            outcomes(root, true).map_err(|e| DavError::BadRequest(e.to_string()))?
        }
        Some(_) => return Err(DavError::BadRequest(format!("expected {root_name} body"))),
    };
    if !mkcalendar && !declares_calendar(body.as_ref()) && body.is_some() {
        return Err(DavError::NotACalendarCollection);
    }
    if rq.store().calendar(user, calendar).is_ok() {
        return Err(DavError::condition(
            Condition::ResourceMustBeNull,
            "the collection exists",
        ));
    }
    let Some(changes) = all_changes(&results) else {
        let root = if mkcalendar {
            PropName::new(CALDAV, "mkcalendar-response")
        } else {
            PropName::new(DAV, "mkcol-response")
        };
        let xml = report(&results, false).document(&root);
        return Ok(Reply::full(StatusCode::FORBIDDEN, XML, xml));
    };
    rq.store().create_calendar(user, calendar, &changes)?;
    Ok(Reply::empty(StatusCode::CREATED).header(header::LOCATION, rq.base().href(&rq.path)))
}

/// An extended MKCOL must ask for a calendar resourcetype.
fn declares_calendar(body: Option<&Element>) -> bool {
    let Some(root) = body else { return true };
    root.children_named(DAV, "set")
        .flat_map(|s| s.children_named(DAV, "prop"))
        .filter_map(|p| p.child(DAV, "resourcetype"))
        .any(|rt| rt.child(CALDAV, "calendar").is_some())
}
