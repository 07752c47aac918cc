//! addressbook-query (RFC 6352 §8.6): every contact of the address book (or
//! the one contact named) is matched against the CARDDAV:filter, from its
//! indexed search text when that decides it, else read and evaluated;
//! matches stream out in name order, cut at CARDDAV:limit/nresults with a
//! 507 for the request-URI when more matched (§8.6.1).
//!
//! The Depth header is not consulted, as for calendar-query: on an address
//! book the members are searched, on a contact that contact.

use std::borrow::Cow;
use std::ops::ControlFlow;

use crate::cardquery::{self, AddressData, Filter, CARDDAV};
use crate::dav::xml::Element;
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::props::PropRequest;
use crate::http::request::{Reply, Request};
use crate::http::resource::Resource;
use crate::store::{Collection, ObjectMeta};

use super::card_multiget::{address_data_request, render};
use super::scan::{scan, Candidate};
use super::{write_object, write_truncated, Target};

/// `target` is what the request URI names, loaded by `report::handle`.
pub fn handle(rq: Request, body: Element, target: Target) -> DavResult<Reply> {
    let Some((cal, single)) = target else {
        return Err(DavError::condition(
            Condition::SupportedReport,
            "addressbook-query works on an address book",
        ));
    };
    // RFC 6352 §10.3: the filter is required.
    let filter_el = body
        .child(CARDDAV, "filter")
        .ok_or(DavError::IncompleteBody("addressbook-query without filter"))?;
    let filter = cardquery::parse_filter(filter_el)?;
    let limit = body
        .child(CARDDAV, "limit")
        .map(cardquery::parse_limit)
        .transpose()?
        .map(|n| n as usize);
    let props = PropRequest::from_children(&body)?.unwrap_or(PropRequest::All(Vec::new()));
    let data_req = address_data_request(&body)?;
    let href = rq.path.clone();
    Ok(rq.multistatus(None, move |ctx, out| {
        let mut written = 0usize;
        let mut truncated = false;
        scan(
            &cal,
            single,
            // Contacts the index rules out are never read.
            |m| decided(&filter, m) != Some(false),
            |part| evaluate(&cal, part, &filter, data_req.as_ref()),
            |found| {
                for (name, meta, data) in found {
                    if limit.is_some_and(|n| written >= n) {
                        truncated = true;
                        return ControlFlow::Break(());
                    }
                    let res = Resource::Object {
                        cal: cal.clone(),
                        name,
                        meta,
                    };
                    write_object(&res, &props, data.as_deref(), ctx, out.buffer());
                    written += 1;
                }
                ControlFlow::Continue(())
            },
        );
        if truncated {
            write_truncated(&ctx.base.href(&href), out.buffer());
        }
    }))
}

/// The filter's answer for a contact from its indexed search text alone,
/// when that settles it.
fn decided(filter: &Filter, meta: &ObjectMeta) -> Option<bool> {
    cardquery::decide(filter, meta.info.search()?)
}

/// A matching contact with its rendered address-data, if asked for.
type Found = (String, ObjectMeta, Option<String>);

fn evaluate(
    cal: &Collection,
    part: &[Candidate],
    filter: &Filter,
    data_req: Option<&AddressData>,
) -> Vec<Found> {
    let mut out = Vec::new();
    for (name, _) in part {
        let Ok((bytes, meta)) = cal.read(name) else {
            continue;
        };
        // The metadata `read` returns is that of the bytes read.
        let hit = decided(filter, &meta)
            .unwrap_or_else(|| cardquery::matches(&String::from_utf8_lossy(&bytes), filter));
        if hit {
            let data = data_req.and_then(|r| render(name, &bytes, r).map(Cow::into_owned));
            out.push((name.clone(), meta, data));
        }
    }
    out
}
