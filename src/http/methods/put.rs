//! PUT of a calendar object resource (RFC 4791 §5.3.2) or an address object
//! resource (RFC 6352 §6.3.2): validated for the collection's kind, stored
//! as sent, durable before the 201/204. Any resource name is taken (neither
//! RFC asks anything of it): one without the kind's extension is stored
//! under a marked file name (`store::names`), so the file stays a vdir item.

use actix_web::http::{header, StatusCode};

use crate::dav::href::DavPath;
use crate::http::conditional::Conditions;
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::request::{Reply, Request};
use crate::store::{Collection, CollectionKind, PutOutcome, StoreError};
use crate::{ical, vcard};

/// Media types a vCard body may be sent as: text/vcard (RFC 6350 §10.1),
/// and text/x-vcard, the name older clients still send for the same type.
pub(crate) const VCARD_TYPES: [&str; 2] = ["text/vcard", "text/x-vcard"];

pub fn handle(rq: Request) -> DavResult<Reply> {
    let DavPath::Object {
        user,
        calendar,
        name,
    } = &rq.path
    else {
        return Err(DavError::PutOutsideCalendar);
    };
    let coll = rq
        .store()
        .collection(user, calendar)
        .map_err(StoreError::missing_parent)?;
    // Before validating: no body is welcome in a derived calendar.
    coll.refuse_if_derived()?;
    let (outcome, schedule_tag) = match coll.kind() {
        CollectionKind::Calendar => put_event(&rq, &coll, name)?,
        CollectionKind::AddressBook => (put_contact(&rq, &coll, name)?, None),
    };
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    };
    let reply = Reply::empty(status).header(header::ETAG, format!("\"{}\"", outcome.etag));
    Ok(match schedule_tag {
        Some(tag) => reply.header(super::get::SCHEDULE_TAG, tag),
        None => reply,
    })
}

/// The media type of the body without parameters, if one was sent.
fn media_type(rq: &Request) -> Option<&str> {
    rq.header("content-type")
        .map(|ct| ct.split(';').next().unwrap_or("").trim())
}

/// The stored outcome, and the Schedule-Tag of what was stored.
fn put_event(
    rq: &Request,
    cal: &Collection,
    name: &str,
) -> DavResult<(PutOutcome, Option<String>)> {
    let name = cal.file_name(name)?;
    let refuse = |detail: String| DavError::condition(Condition::SupportedCalendarData, detail);
    if let Some(mime) = media_type(rq) {
        if !mime.eq_ignore_ascii_case("text/calendar") {
            return Err(refuse(format!("content type {mime} is not text/calendar")));
        }
    }
    if rq.body.len() as u64 > rq.app.max_resource_size {
        return Err(DavError::condition(
            Condition::MaxResourceSize,
            "object too large",
        ));
    }
    let info = ical::inspect(&rq.body).map_err(|e| {
        let cond = if e.is_syntax() {
            Condition::ValidCalendarData
        } else {
            Condition::ValidCalendarObjectResource
        };
        DavError::condition(cond, e.to_string())
    })?;
    if !cal.props()?.accepts(info.component) {
        return Err(DavError::condition(
            Condition::SupportedCalendarComponent,
            format!("{} not accepted here", info.component),
        ));
    }
    let cond = Conditions::from_headers(&rq.headers);
    // If-Schedule-Tag-Match (RFC 6638 §8.2): checked against the version
    // read here, which the write then requires to be still in place.
    let tag_match = if_schedule_tag_match(rq, cal, &name)?;
    // The scheduling it means is planned first (a spoofed ORGANIZER is
    // refused before anything is written) and sent once it is stored.
    let scheduler = &rq.app.scheduler;
    let plan = scheduler
        .plan_put(cal.owner(), cal, &name, &rq.body, tag_match.is_some())
        .map_err(refused)?;
    let allowed = |current: Option<&str>| {
        cond.allows_write(current) && tag_match.as_ref().is_none_or(|e| current == Some(e))
    };
    let body = plan.body().unwrap_or(&rq.body);
    let outcome = match plan.body() {
        Some(body) => {
            let info = ical::inspect(body).map_err(|e| {
                DavError::Internal(format!("scheduling made an invalid object: {e}"))
            })?;
            cal.put(&name, body, info, allowed)?
        }
        None => cal.put(&name, &rq.body, info, allowed)?,
    };
    let tag = std::str::from_utf8(body)
        .ok()
        .and_then(crate::schedule::itip::schedule_tag);
    scheduler.deliver(plan);
    Ok((outcome, tag))
}

/// The ETag of the version an `If-Schedule-Tag-Match` header matched, or
/// 412 when the object is missing or its Schedule-Tag is another.
fn if_schedule_tag_match(rq: &Request, cal: &Collection, name: &str) -> DavResult<Option<String>> {
    let Some(wanted) = rq.header("if-schedule-tag-match") else {
        return Ok(None);
    };
    let failed = || DavError::Store(StoreError::PreconditionFailed);
    let (bytes, meta) = cal.read(name).map_err(|_| failed())?;
    let tag = std::str::from_utf8(&bytes)
        .ok()
        .and_then(crate::schedule::itip::schedule_tag)
        .ok_or_else(failed)?;
    if tag != wanted.trim() {
        return Err(failed());
    }
    Ok(Some(meta.etag.to_string()))
}

/// A scheduling refusal as its RFC 6638 precondition.
pub(crate) fn refused(e: crate::schedule::implicit::Refusal) -> DavError {
    use crate::schedule::implicit::Refusal;
    match e {
        Refusal::NotOrganizer(_) => DavError::condition(Condition::ValidOrganizer, e.to_string()),
        Refusal::Store(e) => e.into(),
    }
}

fn put_contact(rq: &Request, book: &Collection, name: &str) -> DavResult<PutOutcome> {
    let name = book.file_name(name)?;
    let refuse = |detail: String| DavError::condition(Condition::SupportedAddressData, detail);
    if let Some(mime) = media_type(rq) {
        if !VCARD_TYPES.iter().any(|t| mime.eq_ignore_ascii_case(t)) {
            return Err(refuse(format!("content type {mime} is not text/vcard")));
        }
    }
    if rq.body.len() as u64 > rq.app.max_resource_size {
        return Err(DavError::condition(
            Condition::AddressMaxResourceSize,
            "contact too large",
        ));
    }
    let info = vcard::inspect(&rq.body).map_err(|e| {
        let cond = if e.is_unsupported_version() {
            Condition::SupportedAddressData
        } else {
            Condition::ValidAddressData
        };
        DavError::condition(cond, e.to_string())
    })?;
    let cond = Conditions::from_headers(&rq.headers);
    book.put(&name, &rq.body, info, |current| cond.allows_write(current))
        .map_err(|e| DavError::from(e).in_address_book())
}
