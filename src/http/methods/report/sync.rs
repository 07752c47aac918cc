//! sync-collection (RFC 6578): what changed since a token, from the
//! collection's change log (calendar or address book), with DAV:limit
//! truncation answered by a 507.

use crate::cardquery::AddressData;
use crate::dav::multistatus;
use crate::dav::xml::{Element, DAV};
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::props::PropRequest;
use crate::http::request::{Reply, Request, Responses};
use crate::http::resource::{Ctx, Resource};
use crate::store::names::object_url_name;
use crate::store::{Collection, CollectionKind, ObjectMeta, SyncChange};
use actix_web::http::StatusCode;

use super::card_multiget::{address_data_request, render};
use super::query::calendar_data_request;
use super::{write_object, write_truncated, Target};

/// `target` is what the request URI names, loaded by `report::handle`.
pub fn handle(rq: Request, body: Element, target: Target) -> DavResult<Reply> {
    // Calendars and address books alike; never an object, root or home.
    let Some((cal, None)) = target else {
        return Err(DavError::condition(
            Condition::SupportedReport,
            "sync-collection works on collections",
        ));
    };
    let token = body
        .child(DAV, "sync-token")
        .map(|t| t.text.trim().to_string())
        .unwrap_or_default();
    if let Some(level) = body.child(DAV, "sync-level") {
        if level.text.trim() != "1" {
            return Err(DavError::condition(
                Condition::SupportedReport,
                "only sync-level 1 is supported",
            ));
        }
    }
    let limit = match body
        .child(DAV, "limit")
        .and_then(|l| l.child(DAV, "nresults"))
    {
        Some(n) => Some(
            n.text
                .trim()
                .parse::<usize>()
                .map_err(|_| DavError::BadNresults)?,
        ),
        None => None,
    };
    let props = PropRequest::from_children(&body)?.unwrap_or(PropRequest::Props(Vec::new()));
    let data = match cal.kind() {
        CollectionKind::Calendar => calendar_data_request(&body)?.map(|_| Data::Stored),
        CollectionKind::AddressBook => address_data_request(&body)?.map(Data::Card),
    };
    if token.is_empty() && limit.is_none() {
        // A full listing streams from the index page by page. The token is
        // taken first, so anything changing meanwhile is reported (again)
        // by the next sync.
        let now = cal.sync_token()?;
        return Ok(rq.multistatus(Some(now), move |ctx, out| {
            let listed = cal.each_object(
                |_| true,
                |name, meta| write_member(&cal, name, meta, data.as_ref(), &props, ctx, out),
            );
            if let Err(e) = listed {
                tracing::warn!("sync listing {}: {e}", cal.dir().display());
            }
        }));
    }
    let result = cal.changes_since(&token, limit)?;
    let token = result.token.clone();
    Ok(rq.multistatus(Some(token), move |ctx, out| {
        for change in result.changes {
            match change {
                SyncChange::Changed(name, meta) => {
                    write_member(&cal, name, meta, data.as_ref(), &props, ctx, out)
                }
                SyncChange::Removed(name) => multistatus::status_response(
                    &ctx.base
                        .object(&cal.user, &cal.name, object_url_name(&name)),
                    StatusCode::NOT_FOUND,
                    out.buffer(),
                ),
            }
        }
        if result.truncated {
            write_truncated(&ctx.base.collection(&cal.user, &cal.name), out.buffer());
        }
    }))
}

/// The object data a sync asks for with its properties.
enum Data {
    /// calendar-data: the stored bytes.
    Stored,
    /// address-data: rendered as asked (version, partial retrieval).
    Card(AddressData),
}

/// One present member: its properties, with its data when asked; a 404
/// when it vanished between the listing and the read.
fn write_member(
    cal: &Collection,
    name: String,
    meta: ObjectMeta,
    data: Option<&Data>,
    props: &PropRequest,
    ctx: &Ctx,
    out: &mut Responses,
) {
    let text = if let Some(data) = data {
        match cal.read(&name) {
            Ok((bytes, _)) => match data {
                Data::Stored => Some(String::from_utf8_lossy(&bytes).into_owned()),
                Data::Card(r) => render(&name, &bytes, r).map(std::borrow::Cow::into_owned),
            },
            Err(_) => {
                multistatus::status_response(
                    &ctx.base
                        .object(&cal.user, &cal.name, object_url_name(&name)),
                    StatusCode::NOT_FOUND,
                    out.buffer(),
                );
                return;
            }
        }
    } else {
        None
    };
    let res = Resource::Object {
        cal: cal.clone(),
        name,
        meta,
    };
    write_object(&res, props, text.as_deref(), ctx, out.buffer());
}
