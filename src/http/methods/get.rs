//! GET and HEAD: an object's bytes as stored, a whole calendar merged into
//! one VCALENDAR (webcal subscription), or a whole address book as its
//! vCards one after the other (a text/vcard export, RFC 6350 §3.1).

use actix_web::http::{header, StatusCode};

use crate::http::conditional::Conditions;
use crate::http::error::{DavError, DavResult};
use crate::http::request::{Reply, Request, ICALENDAR, VCARD};
use crate::http::resource::Resource;
use crate::ical::CalendarMerger;
use crate::store::{Collection, CollectionKind};

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
            let content_type = match cal.kind() {
                CollectionKind::Calendar => ICALENDAR,
                CollectionKind::AddressBook => VCARD,
            };
            let reply = if cond.not_modified(&hex) {
                Reply::empty(StatusCode::NOT_MODIFIED)
            } else {
                Reply::full(StatusCode::OK, content_type, bytes)
            };
            Ok(reply.header(header::ETAG, etag).header(
                header::LAST_MODIFIED,
                httpdate::fmt_http_date(meta.stamp.mtime()),
            ))
        }
        Resource::Collection { cal, props } => {
            let ctag = format!("\"{}\"", cal.ctag()?);
            if cond.not_modified(ctag.trim_matches('"')) {
                return Ok(Reply::empty(StatusCode::NOT_MODIFIED).header(header::ETAG, ctag));
            }
            if cal.kind() == CollectionKind::AddressBook {
                return Ok(export_address_book(cal).header(header::ETAG, ctag));
            }
            let title = props
                .displayname
                .clone()
                .unwrap_or_else(|| cal.name.clone());
            // Streamed one object at a time: a 100k-object calendar is never
            // held in memory, only the chunk being sent.
            let reply = Reply::stream(StatusCode::OK, ICALENDAR, move |sink| {
                let mut out = String::new();
                let mut merger = CalendarMerger::start(&title, &mut out);
                let listed = cal.each_object(
                    |_| true,
                    |name, _| match cal.read(&name) {
                        Ok((bytes, _)) => {
                            merger.add(&String::from_utf8_lossy(&bytes), &mut out);
                            if out.len() >= 16 * 1024 {
                                sink.push(&out);
                                out.clear();
                            }
                        }
                        Err(e) => tracing::warn!("{}/{name}: {e}", cal.dir().display()),
                    },
                );
                if let Err(e) = listed {
                    tracing::warn!("listing {}: {e}", cal.dir().display());
                }
                merger.finish(&mut out);
                sink.push(&out);
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

/// Every contact of an address book, its bytes as stored, one after the
/// other; streamed like the calendar export, so it is never held whole.
fn export_address_book(book: Collection) -> Reply {
    Reply::stream(StatusCode::OK, VCARD, move |sink| {
        let mut out = String::new();
        let listed = book.each_object(
            |_| true,
            |name, _| match book.read(&name) {
                Ok((bytes, _)) => {
                    out.push_str(&String::from_utf8_lossy(&bytes));
                    // A card without a final line break would run into the next.
                    if !out.ends_with('\n') {
                        out.push_str("\r\n");
                    }
                    if out.len() >= 16 * 1024 {
                        sink.push(&out);
                        out.clear();
                    }
                }
                Err(e) => tracing::warn!("{}/{name}: {e}", book.dir().display()),
            },
        );
        if let Err(e) = listed {
            tracing::warn!("listing {}: {e}", book.dir().display());
        }
        sink.push(&out);
    })
}
