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

/// Output is handed to the sink in chunks of about this size.
const CHUNK: usize = 64 * 1024;
/// Objects read together for a collection GET: at most this many, and a
/// batch stops growing at this many bytes (sizes as indexed), so memory stays
/// flat whatever the calendar's size.
const BATCH: usize = 256;
const BATCH_BYTES: u64 = 4 * 1024 * 1024;
/// Threads reading one batch: with the page cache cold, many reads in flight
/// let the disk serve them in parallel (the export was bound by one read at
/// a time); with it warm they cost little.
const READERS: usize = 4;

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
            // Streamed a batch at a time: a 100k-object calendar is never
            // held in memory, only one batch of bodies and the chunk being sent.
            let reply = Reply::stream(StatusCode::OK, ICALENDAR, move |sink| {
                let mut out = String::with_capacity(2 * CHUNK);
                let mut merger = CalendarMerger::start(&title, &mut out);
                let mut batch = Vec::new();
                let mut batch_bytes = 0;
                let mut flush = |batch: &mut Vec<String>, out: &mut String| {
                    for (name, body) in batch.iter().zip(read_batch(&cal, batch)) {
                        match body {
                            Ok(bytes) => {
                                merger.add(&String::from_utf8_lossy(&bytes), out);
                                if out.len() >= CHUNK {
                                    sink.push(out);
                                    out.clear();
                                }
                            }
                            Err(e) => tracing::warn!("{}/{name}: {e}", cal.dir().display()),
                        }
                    }
                    batch.clear();
                };
                let listed = cal.each_object(
                    |_| true,
                    |name, meta| {
                        batch_bytes += meta.stamp.size;
                        batch.push(name);
                        if batch.len() >= BATCH || batch_bytes >= BATCH_BYTES {
                            flush(&mut batch, &mut out);
                            batch_bytes = 0;
                        }
                    },
                );
                flush(&mut batch, &mut out);
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

/// The bodies of `names`, in order, read by `READERS` threads.
fn read_batch(cal: &Collection, names: &[String]) -> Vec<crate::store::Result<Vec<u8>>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<crate::store::Result<Vec<u8>>>> = Vec::new();
    slots.resize_with(names.len(), || None);
    let threads = READERS.min(names.len());
    let parts: Vec<Vec<(usize, crate::store::Result<Vec<u8>>)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut got = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(name) = names.get(i) else {
                            return got;
                        };
                        got.push((i, cal.read(name).map(|(bytes, _)| bytes)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .collect()
    });
    for (i, body) in parts.into_iter().flatten() {
        slots[i] = Some(body);
    }
    slots
        .into_iter()
        .map(|s| s.unwrap_or(Err(crate::store::StoreError::NotFound)))
        .collect()
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
