//! Turning property elements from PROPPATCH, MKCALENDAR and extended MKCOL
//! into store changes, with the per-property status RFC 4918 reports.

use actix_web::http::StatusCode;

use crate::dav::multistatus::ResponseBuilder;
use crate::dav::property::{Live, PropName};
use crate::dav::xml::{Element, CALDAV, DAV};
use crate::store::PropChange;

use super::error::PropRefusal;
use super::timezone;
use crate::dav::color::store_color;

/// One requested set or remove, and what it became.
pub struct Outcome {
    pub name: PropName,
    pub result: Result<Vec<PropChange>, PropRefusal>,
}

/// Interprets one property element. `creating` allows properties that can
/// only be given when the calendar is made (resourcetype, component set).
pub fn change_for(el: &Element, remove: bool, creating: bool) -> Outcome {
    let name = PropName::new(&el.ns, &el.name);
    let text = || {
        (!remove)
            .then(|| el.text.trim().to_string())
            .filter(|t| !t.is_empty())
    };
    let result = match name.live() {
        None => Ok(vec![PropChange::Dead(
            name.key(),
            (!remove).then(|| el.to_xml()),
        )]),
        Some(Live::DisplayName) => Ok(vec![PropChange::DisplayName(text())]),
        Some(Live::CalendarDescription) => Ok(vec![PropChange::Description(text())]),
        Some(Live::CalendarColor) => match text() {
            None => Ok(vec![PropChange::Color(None)]),
            Some(t) => store_color(&t)
                .map(|c| vec![PropChange::Color(Some(c))])
                .ok_or(PropRefusal::BadValue),
        },
        Some(Live::CalendarOrder) => match text() {
            None => Ok(vec![PropChange::Order(None)]),
            Some(t) => t
                .parse::<i64>()
                .map(|o| vec![PropChange::Order(Some(o))])
                .map_err(|_| PropRefusal::BadValue),
        },
        Some(Live::CalendarTimezone) => match text() {
            None => Ok(vec![
                PropChange::Timezone(None),
                PropChange::Dead(timezone::text_key(), None),
            ]),
            Some(t) => match timezone::tzid_of(&t) {
                Some(id) if id.parse::<chrono_tz::Tz>().is_ok() => Ok(vec![
                    PropChange::Timezone(Some(id)),
                    PropChange::Dead(timezone::text_key(), None),
                ]),
                // A zone we cannot name is kept verbatim for clients to read back.
                Some(_) => Ok(vec![
                    PropChange::Timezone(None),
                    PropChange::Dead(timezone::text_key(), Some(el.to_xml())),
                ]),
                None => Err(PropRefusal::BadValue),
            },
        },
        Some(Live::ResourceType) if creating => {
            if el.child(CALDAV, "calendar").is_some() && el.child(DAV, "collection").is_some() {
                Ok(Vec::new())
            } else {
                Err(PropRefusal::Protected)
            }
        }
        Some(Live::SupportedCalendarComponentSet) if creating && !remove => {
            let comps: Vec<String> = el
                .children_named(CALDAV, "comp")
                .filter_map(|c| c.attr("name"))
                .map(|n| n.to_ascii_uppercase())
                .collect();
            let known = ["VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY"];
            if comps.is_empty() || comps.iter().any(|c| !known.contains(&c.as_str())) {
                Err(PropRefusal::Protected)
            } else {
                Ok(vec![PropChange::Components(Some(comps))])
            }
        }
        Some(_) => Err(PropRefusal::Protected),
    };
    Outcome { name, result }
}

/// Most properties one PROPPATCH, MKCALENDAR or MKCOL may set or remove.
pub const MAX_UPDATES: usize = 256;

/// Why a property update is refused as a whole.
#[derive(Debug, thiserror::Error)]
#[error("more than {MAX_UPDATES} property changes in one request")]
pub struct TooManyUpdates;

/// Reads the set/remove instructions of a propertyupdate (or the set of a
/// mkcol/mkcalendar body), in document order.
pub fn outcomes(parent: &Element, creating: bool) -> Result<Vec<Outcome>, TooManyUpdates> {
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
                    return Err(TooManyUpdates);
                }
                out.push(change_for(el, remove, creating));
            }
        }
    }
    Ok(out)
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
