//! OPTIONS: advertise DAV compliance classes and methods on every resource.

use actix_web::http::{header, StatusCode};

use crate::http::method::DavMethod;
use crate::http::request::Reply;

/// `addressbook`: RFC 6352 §6.1.
pub const DAV_CLASSES: &str =
    "1, 3, calendar-access, addressbook, extended-mkcol, webdav-push, calendar-auto-schedule";

pub fn handle() -> Reply {
    Reply::empty(StatusCode::OK)
        .header(header::HeaderName::from_static("dav"), DAV_CLASSES)
        .header(header::ALLOW, DavMethod::allow_header())
}
