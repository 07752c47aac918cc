//! MKCALENDAR (RFC 4791 §5.3.1) and extended MKCOL (RFC 5689): create a
//! calendar directory with its initial properties, or nothing at all.

use actix_web::http::{header, StatusCode};

use crate::dav::href::DavPath;
use crate::dav::property::PropName;
use crate::dav::xml::{Element, CALDAV, DAV};
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::prop_update::{all_changes, outcomes, report};
use crate::http::request::{Reply, Request, XML};

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
    /// A resourcetype naming no collection type this server makes.
    Unsupported,
}

pub fn handle(rq: Request, kind: MkcolKind) -> DavResult<Reply> {
    let DavPath::Calendar { user, calendar } = &rq.path else {
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
    let results = match &body {
        None => Vec::new(),
        Some(root) if root.is(root_ns, root_name) => outcomes(root, true)?,
        Some(_) => return Err(DavError::UnexpectedRoot(format!("{root_name} body"))),
    };
    let wanted = match kind {
        MkcolKind::Mkcalendar => CollectionType::Calendar,
        MkcolKind::ExtendedMkcol => requested_type(body.as_ref()),
    };
    match wanted {
        CollectionType::Calendar => {}
        CollectionType::Unsupported => return Err(DavError::NotACalendarCollection),
    }
    // A derived collection's name is refused as a name, not as taken.
    rq.store().refuse_derived(calendar)?;
    if rq.store().calendar(user, calendar).is_ok() {
        return Err(DavError::condition(
            Condition::ResourceMustBeNull,
            "the collection exists",
        ));
    }
    let Some(changes) = all_changes(&results) else {
        let xml = report(&results, false).document(&kind.response_root());
        return Ok(Reply::full(StatusCode::FORBIDDEN, XML, xml));
    };
    rq.store().create_calendar(user, calendar, &changes)?;
    Ok(Reply::empty(StatusCode::CREATED).header(header::LOCATION, rq.base().href(&rq.path)))
}

/// The resourcetype an extended MKCOL body asks for. A bodiless MKCOL makes
/// a calendar, as it always has here: this server makes no plain collections.
fn requested_type(body: Option<&Element>) -> CollectionType {
    let Some(root) = body else {
        return CollectionType::Calendar;
    };
    let mut types = root
        .children_named(DAV, "set")
        .flat_map(|s| s.children_named(DAV, "prop"))
        .filter_map(|p| p.child(DAV, "resourcetype"));
    if types.any(|rt| rt.child(CALDAV, "calendar").is_some()) {
        CollectionType::Calendar
    } else {
        CollectionType::Unsupported
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
        assert_eq!(requested_type(None), CollectionType::Calendar);
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
        assert_eq!(typed(&set("<D:collection/>")), CollectionType::Unsupported);
        assert_eq!(
            typed(r#"<D:mkcol xmlns:D="DAV:"/>"#),
            CollectionType::Unsupported
        );
    }
}
