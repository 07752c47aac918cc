//! The HTTP side of push: `POST` of a `push-register` body to a calendar or
//! address book, and the registration URLs `/<user>/.push/<id>`, which
//! answer `DELETE` (and only to their owner; another user's look unknown).

use std::time::{Duration, UNIX_EPOCH};

use actix_web::http::header::{self, HeaderName};
use actix_web::http::StatusCode;

use crate::dav::href::DavPath;
use crate::http::error::{DavError, DavResult};
use crate::http::method::DavMethod;
use crate::http::request::{Reply, Request};

use crate::push::registrations::{Registration, Upserted};
use crate::push::{xml, Push, PushError, MAX_LIFETIME, SEGMENT};

/// Whether push answers this request: a POST to a collection, or anything
/// on a registration URL. A POST to the scheduling outbox is a free-busy
/// request (`schedule_box`), never a registration.
pub fn claims(method: Option<DavMethod>, path: &DavPath) -> bool {
    if super::schedule_box::claims(path).is_some() {
        return false;
    }
    match path {
        DavPath::Collection { .. } => method == Some(DavMethod::Post),
        DavPath::Object { collection, .. } => collection == SEGMENT,
        _ => false,
    }
}

/// Answers a request `claims` accepted; `origin` is `scheme://host` as the
/// client reached the server, for the absolute `Location`.
pub fn handle(
    push: &Push,
    method: Option<DavMethod>,
    rq: &Request,
    origin: &str,
) -> DavResult<Reply> {
    match &rq.path {
        DavPath::Collection { user, collection } => register(push, rq, user, collection, origin),
        DavPath::Object { user, name, .. } => {
            if push.registrations.get(user, name).is_none() {
                return Err(PushError::UnknownRegistration.into());
            }
            if method != Some(DavMethod::Delete) {
                return Err(PushError::RegistrationMethod.into());
            }
            push.registrations
                .remove(Some(user), name)
                .map_err(PushError::from)?;
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        _ => Err(DavError::UnservedMethod),
    }
}

/// Refuses a push-register whose media type is not XML (415): browsers let
/// any page post `text/plain` or a form cross-site without a preflight, so
/// only a type they would preflight proves a client that meant it.
fn check_xml_type(content_type: Option<&str>) -> Result<(), PushError> {
    let given = content_type.unwrap_or("");
    let essence = given.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/xml") || essence.eq_ignore_ascii_case("text/xml") {
        Ok(())
    } else {
        Err(PushError::NotXml(given.to_string()))
    }
}

fn register(
    push: &Push,
    rq: &Request,
    user: &str,
    collection: &str,
    origin: &str,
) -> DavResult<Reply> {
    let cal = rq.store().collection(user, collection)?;
    if cal.is_derived() {
        return Err(PushError::NotAvailable("a derived collection").into());
    }
    check_xml_type(rq.header("content-type"))?;
    let Some(body) = rq.xml()? else {
        return Err(PushError::InvalidSubscription("empty body".into()).into());
    };
    let asked = xml::parse_register(&body)?;
    // The lookup blocks: this runs on a blocking thread.
    push.policy.check(&asked.push_resource)?;
    let expires = xml::expiry(asked.expires, MAX_LIFETIME);
    let secs = expires
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let reg = Registration {
        id: format!("{:032x}", rand::random::<u128>()),
        user: user.to_string(),
        collection: collection.to_string(),
        push_resource: asked.push_resource,
        public_key: asked.public_key,
        auth_secret: asked.auth_secret,
        expires: secs,
    };
    let Some((reg, how)) = push.registrations.upsert(reg).map_err(PushError::from)? else {
        return Err(PushError::NotAvailable("too many registrations").into());
    };
    let status = match how {
        Upserted::Created => StatusCode::CREATED,
        Upserted::Updated => StatusCode::NO_CONTENT,
    };
    let location = format!("{origin}{}{SEGMENT}/{}", rq.base().home(user), reg.id);
    Ok(Reply::empty(status)
        .header(header::LOCATION, location)
        .header(
            HeaderName::from_static("expires"),
            httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(reg.expires)),
        ))
}
