//! addressbook-multiget (RFC 6352 §8.7): named contacts, each with its
//! properties and address-data, or a 404. Shares href handling and object
//! lookup with calendar-multiget.

use std::borrow::Cow;

use actix_web::http::StatusCode;

use crate::cardquery::{self, AddressData, CARDDAV};
use crate::dav::multistatus;
use crate::dav::xml::{Element, DAV};
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::props::PropRequest;
use crate::http::request::{Reply, Request};
use crate::store::CollectionKind;

use super::multiget::{distinct_hrefs, Named, NamedReader};
use super::{write_object, Target};

/// `target` is what the request URI names, loaded by `report::handle`, which must
/// exist: an address book, or one of its contacts.
pub fn handle(rq: Request, mut body: Element, target: Target) -> DavResult<Reply> {
    let props = PropRequest::from_children(&body)?.unwrap_or(PropRequest::All(Vec::new()));
    if target.is_none() {
        return Err(DavError::condition(
            Condition::SupportedReport,
            "addressbook-multiget works on an address book",
        ));
    }
    let data_req = address_data_request(&body)?;
    let hrefs = distinct_hrefs(&mut body, rq.base())?;
    if hrefs.is_empty() {
        return Err(DavError::IncompleteBody(
            "addressbook-multiget without href",
        ));
    }
    let mut cards = NamedReader::new(&rq, CollectionKind::AddressBook);
    Ok(rq.multistatus(None, move |ctx, out| {
        for Named { href, path } in hrefs {
            match cards.read(path) {
                Some((res, bytes)) => {
                    let text = data_req.as_ref().and_then(|r| render(&href, bytes, r));
                    write_object(&res, &props, text.as_deref(), ctx, out.buffer());
                }
                None => multistatus::status_response(&href, StatusCode::NOT_FOUND, out.buffer()),
            }
        }
    }))
}

/// The CARDDAV:address-data element among a report's requested properties.
pub fn address_data_request(body: &Element) -> DavResult<Option<AddressData>> {
    let el = body
        .child(DAV, "prop")
        .and_then(|p| p.children.iter().find(|c| c.is(CARDDAV, "address-data")));
    Ok(el.map(cardquery::parse_address_data).transpose()?)
}

/// One contact's address-data as asked; a stored card calcard cannot
/// convert is logged and its address-data answered 404 rather than failing
/// the whole report.
pub fn render<'a>(name: &str, bytes: &'a [u8], req: &AddressData) -> Option<Cow<'a, str>> {
    // The stored bytes, unchanged, are not copied.
    match cardquery::render(bytes, req) {
        // Stored cards were checked to be UTF-8 when written, but a hand
        // edit may not be: check with a vectorised validator (std's goes a
        // word at a time), and answer anything else lossily, as XML must be
        // UTF-8.
        Ok(Cow::Borrowed(b)) => Some(match simdutf8::basic::from_utf8(b) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(b),
        }),
        Ok(Cow::Owned(b)) => {
            Some(Cow::Owned(String::from_utf8(b).unwrap_or_else(|e| {
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            })))
        }
        Err(e) => {
            tracing::warn!("address-data of {name}: {e}");
            None
        }
    }
}
