//! GET and HEAD: an object's bytes as stored, a whole calendar merged into
//! one VCALENDAR (webcal subscription), or a whole address book as its
//! vCards one after the other (a text/vcard export, RFC 6350 §3.1).

use actix_web::http::{header, StatusCode};

use crate::dav::href::DavPath;
use crate::http::conditional::Conditions;
use crate::http::error::{DavError, DavResult};
use crate::http::request::{Reply, Request, ICALENDAR, VCARD};
use crate::http::resource::{self, Resource};
use crate::store::{Collection, CollectionKind, ObjectBody, StoreError};

/// Objects larger than this are sent from the open file a chunk at a time
/// (`file_body.rs`); smaller ones are read whole in one read. Actix's write
/// buffer holds 32 KiB before it writes, so a body up to this size costs no
/// more in flight whole than in chunks.
const STREAM_ABOVE: u64 = 32 * 1024;

/// GET and HEAD alike: actix drops the body of a HEAD response and keeps
/// its Content-Length, as RFC 9110 §9.3.2 asks.
pub fn handle(rq: Request) -> DavResult<Reply> {
    let cond = Conditions::from_headers(&rq.headers);
    // An object's index entry is looked up once, by `open_for_get`, rather
    // than by `Resource::load` first and again there.
    if let DavPath::Object {
        user,
        calendar,
        name,
    } = &rq.path
    {
        let cal = rq
            .store()
            .collection(user, calendar)
            .map_err(resource::not_found)?;
        let file = cal.file_name(name).map_err(resource::not_found)?;
        return object(&cal, &file, &cond);
    }
    match Resource::load(rq.store(), &rq.path)? {
        Resource::Object { cal, name, .. } => object(&cal, &name, &cond),
        Resource::Collection { cal, props } => {
            let ctag = format!("\"{}\"", cal.ctag()?);
            if cond.not_modified(ctag.trim_matches('"')) {
                return Ok(Reply::empty(StatusCode::NOT_MODIFIED).header(header::ETAG, ctag));
            }
            let title = props
                .displayname
                .clone()
                .unwrap_or_else(|| cal.name.clone());
            let content_type = match cal.kind() {
                CollectionKind::Calendar => ICALENDAR,
                CollectionKind::AddressBook => VCARD,
            };
            // Streamed a batch at a time: a 100k-object calendar is never
            // held in memory, only one batch of bodies and the chunk being sent.
            let reply = Reply::stream(StatusCode::OK, content_type, move |sink| {
                if let Err(e) = crate::export::export(&cal, &title, &mut |text| sink.push(text)) {
                    tracing::warn!("listing {}: {e}", cal.dir().display());
                }
            });
            Ok(reply.header(header::ETAG, ctag))
        }
        Resource::Root | Resource::Home { .. } => Ok(Reply::full(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            "davdir CalDAV server. Point a CalDAV client at this URL.\n",
        )),
    }
}

/// One object's bytes (or a 304/412) with its ETag and Last-Modified.
fn object(cal: &Collection, name: &str, cond: &Conditions) -> DavResult<Reply> {
    let (body, served) = cal.open_for_get(name, STREAM_ABOVE).map_err(|e| match e {
        StoreError::NotFound => DavError::MissingObject,
        e => e.into(),
    })?;
    let hex = served.etag.to_string();
    let etag = format!("\"{hex}\"");
    if cond.fails_read(&hex) {
        return Err(DavError::Store(StoreError::PreconditionFailed));
    }
    let content_type = match cal.kind() {
        CollectionKind::Calendar => ICALENDAR,
        CollectionKind::AddressBook => VCARD,
    };
    // RFC 6638 §3.2.10: a scheduling object's Schedule-Tag, for the
    // If-Schedule-Tag-Match of the client's next PUT.
    let schedule_tag = match (&body, cal.kind()) {
        (ObjectBody::Bytes(bytes), CollectionKind::Calendar) => std::str::from_utf8(bytes)
            .ok()
            .and_then(crate::schedule::itip::schedule_tag),
        _ => None,
    };
    let reply = if cond.not_modified(&hex) {
        Reply::empty(StatusCode::NOT_MODIFIED)
    } else {
        match body {
            ObjectBody::Bytes(bytes) => Reply::full(StatusCode::OK, content_type, bytes),
            ObjectBody::Open(object) => Reply::file(StatusCode::OK, content_type, object),
        }
    };
    let reply = reply.header(header::ETAG, etag).header(
        header::LAST_MODIFIED,
        httpdate::fmt_http_date(served.stamp.mtime()),
    );
    Ok(match schedule_tag {
        Some(tag) => reply.header(SCHEDULE_TAG, tag),
        None => reply,
    })
}

/// The response header of RFC 6638 §8.3.
pub(crate) const SCHEDULE_TAG: header::HeaderName = header::HeaderName::from_static("schedule-tag");
