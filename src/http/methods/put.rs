//! PUT of a calendar object resource (RFC 4791 §5.3.2) or an address object
//! resource (RFC 6352 §6.3.2): validated for the collection's kind, stored
//! as sent, durable before the 201/204. Any resource name is taken (neither
//! RFC asks anything of it): one without the kind's extension is stored
//! under a marked file name (`store::names`), so the file stays a vdir item.

use std::borrow::Cow;

use actix_web::http::{header, StatusCode};

use crate::dav::href::DavPath;
use crate::http::conditional::Conditions;
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::request::{Reply, Request};
use crate::store::{Collection, CollectionKind, ObjectInfo, PutOutcome, StoreError};
use crate::{ical, vcard};

/// Media types a vCard body may be sent as: text/vcard (RFC 6350 §10.1),
/// and text/x-vcard, the name older clients still send for the same type.
pub(crate) const VCARD_TYPES: [&str; 2] = ["text/vcard", "text/x-vcard"];

pub fn handle(rq: Request) -> DavResult<Reply> {
    let DavPath::Object {
        user,
        collection,
        name,
    } = &rq.path
    else {
        return Err(DavError::PutOutsideCollection);
    };
    let coll = rq
        .store()
        .collection(user, collection)
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

/// What differs between a PUT of an event and of a contact before the body
/// is parsed: the media types taken and the preconditions each refusal names.
struct Accepts {
    /// The first is the one named when another is refused.
    media_types: &'static [&'static str],
    media_refused: Condition,
    too_large: (Condition, &'static str),
}

static EVENT: Accepts = Accepts {
    media_types: &["text/calendar"],
    media_refused: Condition::SupportedCalendarData,
    too_large: (Condition::MaxResourceSize, "object too large"),
};

static CONTACT: Accepts = Accepts {
    media_types: &VCARD_TYPES,
    media_refused: Condition::SupportedAddressData,
    too_large: (Condition::AddressMaxResourceSize, "contact too large"),
};

/// The checks every PUT makes before parsing its body: the object's file
/// name, the media type if one was sent, and the size.
fn precheck<'n>(
    rq: &Request,
    coll: &Collection,
    name: &'n str,
    accepts: &Accepts,
) -> DavResult<Cow<'n, str>> {
    let name = coll.file_name(name)?;
    if let Some(mime) = media_type(rq) {
        if !accepts
            .media_types
            .iter()
            .any(|t| mime.eq_ignore_ascii_case(t))
        {
            let wanted = accepts.media_types[0];
            return Err(DavError::condition(
                accepts.media_refused.clone(),
                format!("content type {mime} is not {wanted}"),
            ));
        }
    }
    if rq.body.len() as u64 > rq.app.max_resource_size {
        let (condition, detail) = accepts.too_large.clone();
        return Err(DavError::condition(condition, detail));
    }
    Ok(name)
}

/// Stores the validated body under the request's conditional headers.
fn store(
    rq: &Request,
    coll: &Collection,
    name: &str,
    info: impl Into<ObjectInfo>,
) -> Result<PutOutcome, StoreError> {
    let cond = Conditions::from_headers(&rq.headers);
    coll.put(name, &rq.body, info, |current| cond.allows_write(current))
}

/// The stored outcome, and the Schedule-Tag of what was stored.
fn put_event(
    rq: &Request,
    cal: &Collection,
    name: &str,
) -> DavResult<(PutOutcome, Option<String>)> {
    let name = precheck(rq, cal, name, &EVENT)?;
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
        Refusal::TooManyAttendees(_) => {
            DavError::condition(Condition::MaxAttendeesPerInstance, e.to_string())
        }
        Refusal::Store(e) => e.into(),
    }
}

fn put_contact(rq: &Request, book: &Collection, name: &str) -> DavResult<PutOutcome> {
    let name = precheck(rq, book, name, &CONTACT)?;
    let info = vcard::inspect(&rq.body).map_err(|e| {
        let cond = if e.is_unsupported_version() {
            Condition::SupportedAddressData
        } else {
            Condition::ValidAddressData
        };
        DavError::condition(cond, e.to_string())
    })?;
    store(rq, book, &name, info).map_err(|e| DavError::from(e).in_address_book())
}
