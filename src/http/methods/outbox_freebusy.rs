//! Free-busy requests POSTed to a user's outbox (RFC 6638 §5): a VFREEBUSY
//! iTIP REQUEST asks, for each ATTENDEE, when he is busy between DTSTART
//! and DTEND; the answer is a CALDAV:schedule-response with one REPLY per
//! recipient. Only this server's users are answered (3.7 for any other
//! address). Busy time is counted as the free-busy REPORT counts it
//! (`report::freebusy::add_busy`, over the index), over each recipient's
//! own calendars that are not schedule-transparent. Every user may ask
//! about every other: there is no per-user free-busy privilege here, so
//! 3.8 (no authority) is never answered.

use actix_web::http::{header, StatusCode};
use icalendar::parser::{Component, Property};

use crate::dav::href::DavPath;
use crate::dav::xml::{escape, escape_ical};
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::methods::report::freebusy::add_busy;
use crate::http::methods::report::query::calendar_tz;
use crate::http::request::{Reply, Request, XML};
use crate::ical::object::{is, normalize, prop, props, Object};
use crate::query::{FreeBusy, ReplyTo};
use crate::store::CollectionKind;

/// Recipients one request may name: each costs a pass over his calendars'
/// indexes within the range.
const MAX_RECIPIENTS: usize = 100;

/// Answers the POST of `owner`'s outbox.
pub fn handle(rq: &Request, owner: &str) -> DavResult<Reply> {
    if rq.user != owner {
        return Err(DavError::condition(
            Condition::NeedPrivileges,
            "only the outbox's owner may send from it",
        ));
    }
    if rq.body.len() as u64 > rq.app.max_resource_size {
        return Err(DavError::condition(
            Condition::MaxResourceSize,
            "the scheduling message is larger than max-resource-size",
        ));
    }
    let media = rq.header("content-type").map(|ct| {
        ct.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    if media.is_some_and(|m| m != "text/calendar") {
        return Err(DavError::condition(
            Condition::SupportedCalendarData,
            "a scheduling message is text/calendar",
        ));
    }
    let text = std::str::from_utf8(&rq.body).map_err(|_| bad_data("the body is not UTF-8 text"))?;
    let text = normalize(text);
    let obj =
        Object::parse(&text, None).ok_or_else(|| bad_data("the body is not one VCALENDAR"))?;
    let request = FbRequest::read(&obj)?;
    let mine = rq.app.addresses.of(owner);
    if !is_own(rq, owner, &mine, request.organizer.val.as_str()) {
        return Err(DavError::condition(
            Condition::OrganizerAllowed,
            format!(
                "ORGANIZER {} is none of your calendar-user addresses",
                request.organizer.val.as_str()
            ),
        ));
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<C:schedule-response xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">");
    // Each user's busy time is gathered once, however many of his
    // addresses and principal URLs the request names.
    let mut gathered: std::collections::HashMap<String, FreeBusy> = Default::default();
    for attendee in &request.attendees {
        let address = attendee.val.as_str().trim();
        out.push_str("<C:response><C:recipient><D:href>");
        out.push_str(&escape(address));
        out.push_str("</D:href></C:recipient>");
        match recipient(rq, address) {
            Some(user) => {
                let busy = match gathered.get(&user) {
                    Some(busy) => busy.clone(),
                    None => {
                        let mut busy = FreeBusy::new(request.start, request.end);
                        add_user_busy(rq, &user, &mut busy)?;
                        gathered.insert(user, busy.clone());
                        busy
                    }
                };
                let reply = busy.reply(&ReplyTo {
                    uid: request.uid,
                    organizer: request.organizer,
                    attendee,
                });
                out.push_str("<C:request-status>2.0;Success</C:request-status><C:calendar-data>");
                out.push_str(&escape_ical(&reply));
                out.push_str("</C:calendar-data>");
            }
            None => out.push_str("<C:request-status>3.7;Invalid calendar user</C:request-status>"),
        }
        out.push_str("</C:response>");
    }
    out.push_str("</C:schedule-response>\n");
    Ok(Reply::full(StatusCode::OK, XML, out).header(header::CACHE_CONTROL, "no-cache"))
}

/// The parts of a free-busy REQUEST that are used, checked.
struct FbRequest<'r, 'a> {
    uid: Option<&'r Property<'a>>,
    organizer: &'r Property<'a>,
    /// Each address once, in the request's order.
    attendees: Vec<&'r Property<'a>>,
    start: i64,
    end: i64,
}

impl<'r, 'a> FbRequest<'r, 'a> {
    fn read(obj: &'r Object<'a>) -> DavResult<FbRequest<'r, 'a>> {
        let method = obj.props.iter().find(|p| is(p.name.as_str(), "METHOD"));
        if !method.is_some_and(|m| is(m.val.as_str().trim(), "REQUEST")) {
            return Err(bad_message("the VCALENDAR's METHOD must be REQUEST"));
        }
        let mut fb: Option<&Component> = None;
        for c in &obj.comps {
            match c.name.as_str() {
                n if is(n, "VTIMEZONE") => {}
                n if is(n, "VFREEBUSY") && fb.is_none() => fb = Some(c),
                _ => {
                    return Err(bad_message(
                        "a free-busy request holds one VFREEBUSY (and VTIMEZONEs) only",
                    ))
                }
            }
        }
        let fb = fb.ok_or_else(|| bad_message("a free-busy request needs a VFREEBUSY"))?;
        let organizer =
            prop(fb, "ORGANIZER").ok_or_else(|| bad_message("the VFREEBUSY has no ORGANIZER"))?;
        let mut attendees: Vec<&Property> = Vec::new();
        for a in props(fb, "ATTENDEE") {
            let v = a.val.as_str().trim();
            if !attendees
                .iter()
                .any(|b| b.val.as_str().trim().eq_ignore_ascii_case(v))
            {
                attendees.push(a);
            }
        }
        if attendees.is_empty() {
            return Err(bad_message("the VFREEBUSY has no ATTENDEE"));
        }
        if attendees.len() > MAX_RECIPIENTS {
            return Err(bad_message(format!(
                "at most {MAX_RECIPIENTS} ATTENDEEs per request"
            )));
        }
        let time = |name: &str| {
            prop(fb, name)
                .and_then(|p| obj.when(p))
                .filter(|w| !w.value.is_date)
                .map(|w| w.utc)
                .ok_or_else(|| bad_message(format!("the VFREEBUSY needs a DATE-TIME {name}")))
        };
        let (start, end) = (time("DTSTART")?, time("DTEND")?);
        if start >= end {
            return Err(bad_message("DTEND must be after DTSTART"));
        }
        Ok(FbRequest {
            uid: prop(fb, "UID"),
            organizer,
            attendees,
            start,
            end,
        })
    }
}

/// Whether `address` is one of `owner`'s: a calendar-user address or his
/// principal URL (both are in his calendar-user-address-set).
fn is_own(rq: &Request, owner: &str, mine: &[String], address: &str) -> bool {
    let address = address.trim();
    mine.iter().any(|m| m.eq_ignore_ascii_case(address))
        || principal(rq, address).is_some_and(|u| u == owner)
}

/// The user whose principal URL `address` is, if it is one.
fn principal(rq: &Request, address: &str) -> Option<String> {
    if !address.starts_with('/') && !address.contains("://") {
        return None;
    }
    match rq.base().parse(crate::dav::href::path_of(address))? {
        DavPath::Home { user } => Some(user),
        _ => None,
    }
}

/// The user of this server an address names, if any.
fn recipient(rq: &Request, address: &str) -> Option<String> {
    let store = rq.store();
    if let Some(user) = principal(rq, address).filter(|u| store.is_user(u)) {
        return Some(user);
    }
    rq.app.addresses.user_of(address, |u| store.is_user(u))
}

/// Adds the busy time of every calendar of `user` that counts: his own
/// (not derived ones), not marked schedule-transparent.
fn add_user_busy(rq: &Request, user: &str, busy: &mut FreeBusy) -> DavResult<()> {
    let store = rq.store();
    for (name, kind) in store.collection_names(user)? {
        if kind != CollectionKind::Calendar || store.is_derived_name(&name) {
            continue;
        }
        // A calendar that cannot be opened as it is is not served either.
        let Ok(cal) = store.collection(user, &name) else {
            continue;
        };
        let Ok(settings) = cal.props() else {
            continue;
        };
        if settings.schedule_transparent() {
            continue;
        }
        add_busy(&cal, busy, calendar_tz(&settings).as_ref())?;
    }
    Ok(())
}

fn bad_data(why: &str) -> DavError {
    DavError::condition(Condition::ValidSchedulingData, why.to_string())
}

fn bad_message(why: impl Into<String>) -> DavError {
    DavError::condition(Condition::ValidSchedulingMessage, why)
}
