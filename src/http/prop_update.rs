//! Turning property elements from PROPPATCH, MKCALENDAR and extended MKCOL
//! into store changes, with the per-property status RFC 4918 reports.

use actix_web::http::StatusCode;

use crate::dav::multistatus::ResponseBuilder;
use crate::dav::property::PropName;
use crate::dav::xml::{Element, DAV};
use crate::store::PropChange;

use super::error::{DavError, DavResult, PropRefusal};
use super::props;
use super::resource::Kind;

/// One requested set or remove, and what it became.
pub struct Outcome {
    pub name: PropName,
    pub result: Result<Vec<PropChange>, PropRefusal>,
}

/// Interprets one property element: a dead property is stored as sent; a
/// live one goes through its declared setter, and is 403 where it has none.
/// `creating` allows the setters of properties that can only be given when
/// the calendar is made (resourcetype, component set).
pub fn change_for(el: &Element, remove: bool, creating: bool) -> Outcome {
    let name = PropName::new(&el.ns, &el.name);
    let result = match props::find(&name) {
        None => Ok(vec![PropChange::Dead(
            name.key(),
            (!remove).then(|| el.to_xml()),
        )]),
        Some(live) => match live.setter(creating) {
            Some(set) => set(el, remove),
            None => Err(PropRefusal::Protected),
        },
    };
    Outcome { name, result }
}

/// Most properties one PROPPATCH, MKCALENDAR or MKCOL may set or remove.
pub const MAX_UPDATES: usize = 256;

/// Reads the set/remove instructions of a propertyupdate (or the set of a
/// mkcol/mkcalendar body), in document order.
pub fn outcomes(parent: &Element, creating: bool) -> DavResult<Vec<Outcome>> {
    let mut out = Vec::new();
    for op in &parent.children {
        let remove = if op.is(DAV, "set") {
            false
        } else if op.is(DAV, "remove") {
            true
        } else {
            continue;
        };
        for prop in op.children_named(DAV, "prop") {
            for el in &prop.children {
                if out.len() == MAX_UPDATES {
                    return Err(DavError::OverLimit {
                        what: "property changes in one request",
                        limit: MAX_UPDATES,
                    });
                }
                out.push(change_for(el, remove, creating));
            }
        }
    }
    Ok(out)
}

/// Refuses (403) the live properties of another kind than `kind` (a
/// calendar's on an address book): stored as dead they would be shadowed by
/// the live declaration and never read back.
pub fn for_kind(mut outcomes: Vec<Outcome>, kind: Kind) -> Vec<Outcome> {
    for o in &mut outcomes {
        if props::find(&o.name).is_some_and(|live| !live.kinds.contains(&kind)) {
            o.result = Err(PropRefusal::Protected);
        }
    }
    outcomes
}

/// All changes when every property succeeded, else None.
pub fn all_changes(outcomes: &[Outcome]) -> Option<Vec<PropChange>> {
    let mut all = Vec::new();
    for o in outcomes {
        all.extend(o.result.as_ref().ok()?.iter().cloned());
    }
    Some(all)
}

/// The propstats: 200 for all when they succeeded; otherwise each failure
/// with its status and 424 Failed Dependency for the rest.
pub fn report(outcomes: &[Outcome], succeeded: bool) -> ResponseBuilder {
    let mut b = ResponseBuilder::default();
    for o in outcomes {
        let status = match (&o.result, succeeded) {
            (_, true) => StatusCode::OK,
            (Err(refusal), false) => refusal.status(),
            (Ok(_), false) => StatusCode::FAILED_DEPENDENCY,
        };
        b.add_name(status, &o.name);
    }
    b
}
