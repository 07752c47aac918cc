//! GET and HEAD: an object's bytes as stored, or a whole calendar merged
//! into one VCALENDAR (webcal subscription).

use actix_web::http::{header, StatusCode};

use crate::http::conditional::Conditions;
use crate::http::error::{DavError, DavResult};
use crate::http::request::{Reply, Request, ICALENDAR};
use crate::http::resource::Resource;
use crate::ical::merge_calendars;

/// GET and HEAD alike: actix drops the body of a HEAD response and keeps
/// its Content-Length, as RFC 9110 §9.3.2 asks.
pub fn handle(rq: Request) -> DavResult<Reply> {
    let cond = Conditions::from_headers(&rq.headers);
    match Resource::load(rq.store(), &rq.path)? {
        Resource::Object { cal, name, .. } => {
            let (bytes, meta) = cal.read(&name)?;
            let hex = meta.etag.to_string();
            let etag = format!("\"{hex}\"");
            if cond.fails_read(&hex) {
                return Err(DavError::Store(
                    crate::store::StoreError::PreconditionFailed,
                ));
            }
            let reply = if cond.not_modified(&hex) {
                Reply::empty(StatusCode::NOT_MODIFIED)
            } else {
                Reply::full(StatusCode::OK, ICALENDAR, bytes)
            };
            Ok(reply.header(header::ETAG, etag).header(
                header::LAST_MODIFIED,
                httpdate::fmt_http_date(meta.stamp.mtime()),
            ))
        }
        Resource::Calendar { cal, props } => {
            let ctag = format!("\"{}\"", cal.ctag()?);
            if cond.not_modified(ctag.trim_matches('"')) {
                return Ok(Reply::empty(StatusCode::NOT_MODIFIED).header(header::ETAG, ctag));
            }
            let title = props
                .displayname
                .clone()
                .unwrap_or_else(|| cal.name.clone());
            let mut bodies = Vec::new();
            for (name, _) in cal.objects()? {
                match cal.read(&name) {
                    Ok((bytes, _)) => bodies.push(String::from_utf8_lossy(&bytes).into_owned()),
                    Err(e) => tracing::warn!("{}/{name}: {e}", cal.dir().display()),
                }
            }
            let text = merge_calendars(&title, bodies.iter().map(String::as_str));
            let reply = Reply::full(StatusCode::OK, ICALENDAR, text);
            Ok(reply.header(header::ETAG, ctag))
        }
        Resource::Root | Resource::Home { .. } => Ok(Reply::full(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            "caldir CalDAV server. Point a CalDAV client at this URL.\n",
        )),
    }
}
