//! COPY and MOVE (RFC 4918 §9.8, §9.9) of objects between a user's
//! collections of one kind, and of whole calendars and address books within
//! a home (MOVE renames the directory).

use actix_web::http::{header, StatusCode};

use crate::dav::href::{self, DavPath};
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::request::{Reply, Request};
use crate::http::resource::not_found;
use crate::store::{CollectionKind, Members, Overwrite, StoreError, Transfer};

pub fn handle(rq: Request, transfer: Transfer) -> DavResult<Reply> {
    let dest = rq
        .header("destination")
        .ok_or(DavError::MissingDestination)?;
    // Behind a proxy that rewrites Host, the client's host is in X-Forwarded-Host.
    let forwarded = rq
        .header("x-forwarded-host")
        .and_then(|h| h.split(',').next())
        .map(str::trim);
    let hosts: Vec<&str> = [rq.header("host"), forwarded]
        .into_iter()
        .flatten()
        .collect();
    if !on_this_server(dest, &hosts) {
        return Err(DavError::BadGateway(dest.to_string()));
    }
    let dest = rq
        .base()
        .parse(href::path_of(dest))
        .ok_or(DavError::BadDestination)?;
    if dest.user() != Some(rq.user.as_str()) {
        return Err(DavError::DestinationOutsideHome);
    }
    let overwrite = match rq.header("overwrite").map(str::trim) {
        None | Some("T") | Some("t") => Overwrite::Replace,
        Some("F") | Some("f") => Overwrite::Refuse,
        Some(o) => return Err(DavError::BadOverwrite(o.to_string())),
    };
    let created = match (&rq.path, &dest) {
        (
            DavPath::Object {
                user,
                collection,
                name,
            },
            DavPath::Object {
                collection: to_cal,
                name: to_name,
                ..
            },
        ) => {
            let src = rq.store().collection(user, collection)?;
            // A missing destination collection is a missing parent (409);
            // any other failure keeps its own status.
            let dst = rq
                .store()
                .collection(user, to_cal)
                .map_err(StoreError::missing_parent)?;
            // A reserved source names nothing (404); as a destination it is refused.
            let name = src.file_name(name).map_err(not_found)?;
            let to_name = dst.file_name(to_name)?;
            let moved = rq
                .store()
                .transfer_object(&src, &name, &dst, &to_name, overwrite, transfer);
            match dst.kind() {
                CollectionKind::AddressBook => {
                    moved.map_err(|e| wrong_kind(e).in_address_book())?
                }
                CollectionKind::Calendar => moved.map_err(wrong_kind)?,
            }
        }
        (DavPath::Collection { user, collection }, DavPath::Collection { collection: to, .. })
            if transfer == Transfer::Move =>
        {
            if collection == to {
                return Err(DavError::SameSourceAndDestination);
            }
            !rq.store()
                .move_collection(user, collection, to, overwrite)?
        }
        (DavPath::Collection { user, collection }, DavPath::Collection { collection: to, .. }) => {
            if collection == to {
                return Err(DavError::SameSourceAndDestination);
            }
            // RFC 4918 §9.8.3: infinity (the default) copies the members
            // too, 0 only the collection and its properties.
            let members = match rq.header("depth").map(str::trim) {
                None | Some("infinity") | Some("Infinity") => Members::Included,
                Some("0") => Members::Excluded,
                Some(d) => return Err(DavError::BadCopyDepth(d.to_string())),
            };
            !rq.store()
                .copy_collection(user, collection, to, overwrite, members)?
        }
        _ => return Err(DavError::KindMismatch),
    };
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    };
    let mut reply = Reply::empty(status);
    if created {
        reply = reply.header(header::LOCATION, rq.base().href(&dest));
    }
    Ok(reply)
}

/// An object refused by the destination collection for its kind: the
/// destination's media-type precondition (RFC 4791 §5.3.2.1, RFC 6352
/// §6.3.2.1 list it for COPY and MOVE), so clients see why in a DAV:error.
fn wrong_kind(e: StoreError) -> DavError {
    match e {
        StoreError::WrongKind { expected, .. } => DavError::condition(
            match expected {
                CollectionKind::AddressBook => Condition::SupportedAddressData,
                CollectionKind::Calendar => Condition::SupportedCalendarData,
            },
            e.to_string(),
        ),
        e => e.into(),
    }
}

/// Whether a Destination names this server: a path, or an absolute URL whose
/// host and port are one of `hosts` (RFC 4918 §9.8.5, §9.9.4: another
/// server is 502). The scheme is not compared, as a TLS-terminating proxy
/// forwards `https` URLs over plain HTTP; a host without a port matches the
/// Destination scheme's default port.
fn on_this_server(dest: &str, hosts: &[&str]) -> bool {
    let url = match url::Url::parse(dest) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => return true,
        Err(_) => return false,
    };
    hosts.iter().any(|host| {
        url::Url::parse(&format!("{}://{host}/", url.scheme())).is_ok_and(|ours| {
            url.host() == ours.host() && url.port_or_known_default() == ours.port_or_known_default()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::on_this_server;

    #[test]
    fn destinations_on_this_server() {
        let host = &["cal.example:5232"][..];
        assert!(on_this_server("/u/c/x.ics", host));
        assert!(on_this_server("/u/c/x.ics", &[]));
        assert!(on_this_server("http://cal.example:5232/u/c/x.ics", host));
        assert!(on_this_server("http://CAL.example:5232/u/c/x.ics", host));
        assert!(on_this_server(
            "https://cal.example/u/c/x.ics",
            &["cal.example"]
        ));
        assert!(on_this_server("http://cal.example:80/u/", &["cal.example"]));
        assert!(!on_this_server("http://evil.example:5232/u/c/x.ics", host));
        assert!(!on_this_server("http://cal.example:5233/u/c/x.ics", host));
        assert!(!on_this_server("http://cal.example/u/c/x.ics", host));
        assert!(!on_this_server(
            "http://cal.example:5232@evil.example/u/",
            host
        ));
        assert!(!on_this_server("http://cal.example:5232/u/", &[]));
        let proxied = &["127.0.0.1:5232", "cal.example"][..];
        assert!(on_this_server("https://cal.example/u/c/x.ics", proxied));
    }
}
