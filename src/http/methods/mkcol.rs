//! MKCALENDAR (RFC 4791 §5.3.1) and extended MKCOL (RFC 5689): create a
//! calendar directory with its initial properties, or nothing at all.

use actix_web::http::{header, StatusCode};

use crate::cardquery::CARDDAV;
use crate::dav::href::DavPath;
use crate::dav::property::PropName;
use crate::dav::xml::{Element, CALDAV, DAV};
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::prop_update::{all_changes, for_kind, outcomes, report};
use crate::http::request::{Reply, Request, XML};
use crate::http::resource::Kind;
use crate::store::CollectionKind;

/// The method that asks for a collection: it decides the body's root
/// element, the answer for a misplaced collection and the response root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MkcolKind {
    /// MKCALENDAR (RFC 4791 §5.3.1): always a calendar.
    Mkcalendar,
    /// MKCOL, with an optional RFC 5689 body naming the resourcetype.
    ExtendedMkcol,
}

impl MkcolKind {
    fn body_root(self) -> (&'static str, &'static str) {
        match self {
            MkcolKind::Mkcalendar => (CALDAV, "mkcalendar"),
            MkcolKind::ExtendedMkcol => (DAV, "mkcol"),
        }
    }

    fn response_root(self) -> PropName {
        match self {
            MkcolKind::Mkcalendar => PropName::new(CALDAV, "mkcalendar-response"),
            MkcolKind::ExtendedMkcol => PropName::new(DAV, "mkcol-response"),
        }
    }
}

/// The collection type a request asks for; a new collection kind is one
/// more variant, read in [`requested_type`] and created in [`handle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionType {
    Calendar,
    /// RFC 6352 §6.3.1: `<DAV:collection/><CARDDAV:addressbook/>`.
    AddressBook,
    /// A resourcetype naming no collection type this server makes, or no
    /// body at all: this server makes no plain collections.
    Unsupported,
}

impl CollectionType {
    /// The store kind this type is made as; None for what is not made.
    fn store_kind(self) -> Option<CollectionKind> {
        match self {
            CollectionType::Calendar => Some(CollectionKind::Calendar),
            CollectionType::AddressBook => Some(CollectionKind::AddressBook),
            CollectionType::Unsupported => None,
        }
    }
}

pub fn handle(rq: Request, kind: MkcolKind) -> DavResult<Reply> {
    let DavPath::Collection { user, collection } = &rq.path else {
        return Err(match (&rq.path, kind) {
            (_, MkcolKind::Mkcalendar) => DavError::condition(
                Condition::CalendarCollectionLocationOk,
                "calendars live directly in a user's home",
            ),
            (DavPath::Root | DavPath::Home { .. }, MkcolKind::ExtendedMkcol) => {
                DavError::MkcolOnExisting
            }
            _ => DavError::CollectionOutsideHome,
        });
    };
    let body = rq.xml()?;
    let (root_ns, root_name) = kind.body_root();
    if body
        .as_ref()
        .is_some_and(|root| !root.is(root_ns, root_name))
    {
        return Err(DavError::UnexpectedRoot(format!("{root_name} body")));
    }
    // A derived collection's name is refused as a name, not as taken.
    rq.store().refuse_derived(collection)?;
    // RFC 4918 §9.3.1: MKCOL on an existing resource is 405 whatever it asks.
    if rq.store().collection(user, collection).is_ok() {
        return Err(DavError::condition(
            Condition::ResourceMustBeNull,
            "the collection exists",
        ));
    }
    let wanted = match kind {
        MkcolKind::Mkcalendar => CollectionType::Calendar,
        MkcolKind::ExtendedMkcol => requested_type(body.as_ref()),
    };
    let Some(store_kind) = wanted.store_kind() else {
        return Err(DavError::condition(
            Condition::ValidResourcetype,
            "only calendars and address books can be made here",
        ));
    };
    let results = match &body {
        None => Vec::new(),
        Some(root) => for_kind(outcomes(root, true)?, resource_kind(store_kind)),
    };
    let Some(changes) = all_changes(&results) else {
        let xml = report(&results, false).document(&kind.response_root());
        return Ok(Reply::full(StatusCode::FORBIDDEN, XML, xml));
    };
    rq.store()
        .create_collection(store_kind, user, collection, &changes)?;
    Ok(Reply::empty(StatusCode::CREATED).header(header::LOCATION, rq.base().href(&rq.path)))
}

/// The resource kind a new collection of `kind` will be, whose properties
/// its body may set.
fn resource_kind(kind: CollectionKind) -> Kind {
    match kind {
        CollectionKind::Calendar => Kind::Calendar,
        CollectionKind::AddressBook => Kind::AddressBook,
    }
}

/// The resourcetype an extended MKCOL body asks for (RFC 5689 §5.1).
fn requested_type(body: Option<&Element>) -> CollectionType {
    let Some(root) = body else {
        return CollectionType::Unsupported;
    };
    let Some(rt) = root
        .children_named(DAV, "set")
        .flat_map(|s| s.children_named(DAV, "prop"))
        .find_map(|p| p.child(DAV, "resourcetype"))
    else {
        return CollectionType::Unsupported;
    };
    let calendar = rt.child(CALDAV, "calendar").is_some();
    let addressbook = rt.child(CARDDAV, "addressbook").is_some();
    match (rt.child(DAV, "collection").is_some(), calendar, addressbook) {
        (true, true, false) => CollectionType::Calendar,
        (true, false, true) => CollectionType::AddressBook,
        _ => CollectionType::Unsupported,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dav::xml;

    fn typed(body: &str) -> CollectionType {
        requested_type(Some(&xml::parse(body.as_bytes()).unwrap()))
    }

    #[test]
    fn the_resourcetype_is_read_into_a_type() {
        assert_eq!(requested_type(None), CollectionType::Unsupported);
        let set = |rt: &str| {
            format!(
                r#"<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
                   <D:set><D:prop><D:resourcetype>{rt}</D:resourcetype></D:prop></D:set>
                   </D:mkcol>"#
            )
        };
        assert_eq!(
            typed(&set("<D:collection/><C:calendar/>")),
            CollectionType::Calendar
        );
        assert_eq!(
            typed(&set(&format!(
                r#"<D:collection/><R:addressbook xmlns:R="{CARDDAV}"/>"#
            ))),
            CollectionType::AddressBook
        );
        assert_eq!(
            typed(&set(&format!(
                r#"<D:collection/><C:calendar/><R:addressbook xmlns:R="{CARDDAV}"/>"#
            ))),
            CollectionType::Unsupported
        );
        assert_eq!(
            typed(&set(&format!(r#"<R:addressbook xmlns:R="{CARDDAV}"/>"#))),
            CollectionType::Unsupported
        );
        assert_eq!(typed(&set("<D:collection/>")), CollectionType::Unsupported);
        assert_eq!(
            typed(r#"<D:mkcol xmlns:D="DAV:"/>"#),
            CollectionType::Unsupported
        );
    }
}
