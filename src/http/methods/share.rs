//! POST of a CalendarServer `CS:share` body (the CalendarServer sharing
//! extension, which macOS/iOS Calendar speak) on a calendar or address book:
//! shares it with, or unshares it from, other users. Why here and not in a
//! store of invitations: a share is accepted at once and is nothing but an
//! entry of the collection's `[share]` table (docs/DESIGN.md "Sharing"), so
//! this turns the body into `Store::set_shares`, the edit `davdir share`
//! makes.

use actix_web::http::StatusCode;

use crate::dav::href::{path_of, DavPath};
use crate::dav::xml::{Element, CS, DAV};
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::request::{Reply, Request};
use crate::store::{Access, Store};

/// Most sharees one body may set or remove.
const MAX_SHAREES: usize = 256;

/// The largest `CS:share` body (room for `MAX_SHAREES` with short names
/// and summaries): it is parsed on the async worker (`body_of`), to tell a
/// share from a push registration, and is kept as small as what that
/// worker parses for a multiget.
const MAX_BODY: usize = 64 * 1024;

/// The body of a POST to `path` when it is a `CS:share` to a collection;
/// None for any other (a WebDAV-Push registration, or one that is not XML),
/// which is left to whoever else answers POST.
pub fn body_of(path: &DavPath, body: &[u8]) -> Option<Element> {
    if !matches!(path, DavPath::Collection { .. }) || body.len() > MAX_BODY {
        return None;
    }
    crate::dav::xml::parse(body)
        .ok()
        .filter(|el| el.is(CS, "share"))
}

/// Why a POST `body_of` did not take is refused: on a collection, its
/// body is not a `CS:share` within the bound; elsewhere POST is not served.
pub fn refusal(rq: &Request) -> DavError {
    if !matches!(rq.path, DavPath::Collection { .. }) {
        return DavError::UnservedMethod;
    }
    if rq.body.len() > MAX_BODY {
        return DavError::BodyTooLarge;
    }
    match rq.xml() {
        Ok(None) => DavError::MissingBody("POST"),
        Ok(Some(_)) => DavError::UnexpectedRoot(format!("{{{CS}}}share")),
        Err(e) => e,
    }
}

/// Applies a `CS:share` body (`body_of`) to the collection of the request.
pub fn handle(rq: &Request, body: &Element) -> DavResult<Reply> {
    let DavPath::Collection { user, collection } = &rq.path else {
        return Err(DavError::UnservedMethod);
    };
    let store = rq.store();
    let target = store.collection(user, collection)?;
    if let Some(view) = target.shared_view() {
        return Err(DavError::condition(
            Condition::NeedPrivileges,
            format!(
                "{}/{} is shared with you; only its owner may share it",
                view.owner, view.collection
            ),
        ));
    }
    if target.is_derived() {
        return Err(DavError::condition(
            Condition::NeedPrivileges,
            format!("{collection} is made by the server and cannot be shared"),
        ));
    }
    let changes = changes(store, rq, body, user)?;
    store.set_shares(user, collection, &changes)?;
    Ok(Reply::empty(StatusCode::OK))
}

/// Each `CS:set` and `CS:remove` as (sharee, access or None), in document
/// order; every sharee is resolved before anything is written.
fn changes(
    store: &Store,
    rq: &Request,
    body: &Element,
    owner: &str,
) -> DavResult<Vec<(String, Option<Access>)>> {
    let mut out = Vec::new();
    for op in &body.children {
        let access = if op.is(CS, "set") {
            let access = if op.child(CS, "read-write").is_some() {
                Access::ReadWrite
            } else if op.child(CS, "read").is_some() {
                Access::Read
            } else {
                return Err(DavError::IncompleteBody(
                    "CS:set without CS:read or CS:read-write",
                ));
            };
            Some(access)
        } else if op.is(CS, "remove") {
            None
        } else {
            continue;
        };
        let href = op
            .child(DAV, "href")
            .map(|h| h.text.trim())
            .filter(|h| !h.is_empty())
            .ok_or(DavError::IncompleteBody(
                "CS:set or CS:remove without DAV:href",
            ))?;
        if out.len() == MAX_SHAREES {
            return Err(DavError::OverLimit {
                what: "sharees in one CS:share",
                limit: MAX_SHAREES,
            });
        }
        let sharee = sharee(rq, href)
            .ok_or_else(|| DavError::Sharing(format!("{href:?} names no user of this server")))?;
        if access.is_some() {
            if sharee == owner {
                return Err(DavError::Sharing(format!(
                    "{href:?} is the owner; a share with him grants nothing"
                )));
            }
            if !store.is_user(&sharee) {
                return Err(DavError::Sharing(format!(
                    "cannot share with {href:?}: no such user {sharee:?}"
                )));
            }
        }
        out.push((sharee, access));
    }
    if out.is_empty() {
        return Err(DavError::IncompleteBody(
            "CS:share without CS:set or CS:remove",
        ));
    }
    Ok(out)
}

/// The user name a sharee's href names: a principal URL (`/bob/`, or
/// absolute), or a `mailto:` calendar-user address of his. With an
/// `email_domain` configured, an address outside it that is given to no
/// user names nobody here (`bob@elsewhere.net` is not the local bob);
/// without one, the local part is the user name.
fn sharee(rq: &Request, href: &str) -> Option<String> {
    let name = match href.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => {
            let address = &href[7..];
            let addresses = &rq.app.addresses;
            let store = rq.store();
            if let Some(user) = addresses
                .user_of(address, |u| store.is_user(u))
                // A former user, so that his entry can still be removed.
                .or_else(|| addresses.user_of(address, |_| true))
            {
                return Some(user);
            }
            if addresses.domain().is_some() {
                return None;
            }
            address.split_once('@').map_or(address, |(local, _)| local)
        }
        _ => match rq.base().parse(path_of(href))? {
            DavPath::Home { user } => return Some(user),
            _ => return None,
        },
    };
    (!name.is_empty()).then(|| name.to_string())
}
