//! calendar-query (RFC 4791 §7.8): the index's time spans pick candidates;
//! for a plain time-range query the index decides the objects whose one
//! instance it knows exactly (their stored bytes are returned unparsed), and
//! every other candidate file is read and the full filter decides.

use std::ops::ControlFlow;

use crate::dav::href::DavPath;
use crate::dav::property::PropName;
use crate::dav::xml::{Element, CALDAV, DAV};
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::props::caldav::CALENDAR_DATA;
use crate::http::props::PropRequest;
use crate::http::request::{Reply, Request};
use crate::http::resource::Resource;
use crate::ical::{self, FloatingTz, QueryBudget};
use crate::query::{self, CalendarDataRequest, Decision, Filter, FilterError, PlainQuery};
use crate::store::{Collection, ObjectMeta, Reader};

use super::scan::{scan, Candidate};
use super::write_object;

pub fn filter_error(e: FilterError) -> DavError {
    match e {
        FilterError::InvalidFilter(m) => DavError::condition(Condition::ValidFilter, m),
        FilterError::UnsupportedCollation(m) => {
            DavError::condition(Condition::SupportedCollation, m)
        }
        FilterError::UnsupportedCalendarData(m) => {
            DavError::condition(Condition::SupportedCalendarDataReport, m)
        }
    }
}

/// The calendar-data element among a report's requested properties.
pub fn calendar_data_request(body: &Element) -> DavResult<Option<CalendarDataRequest>> {
    let el = body.child(DAV, "prop").and_then(|p| {
        p.children
            .iter()
            .find(|c| CALENDAR_DATA.is(&PropName::new(&c.ns, &c.name)))
    });
    match el {
        Some(el) => query::parse_calendar_data(el)
            .map(Some)
            .map_err(filter_error),
        None => Ok(None),
    }
}

/// The time zone for floating times: the query's CALDAV:timezone, else the
/// calendar's configured zone.
pub fn query_timezone(body: &Element, res: &Resource) -> Option<FloatingTz> {
    if let Some(tz) = body
        .child(CALDAV, "timezone")
        .and_then(|t| ical::parse_timezone_element(&t.text))
    {
        return Some(tz);
    }
    let props = match res {
        Resource::Collection { props, .. } => Some(props.as_ref().clone()),
        Resource::Object { cal, .. } => cal.props().ok(),
        _ => None,
    }?;
    calendar_tz(&props)
}

/// The zone a calendar's floating times are read in: its calendar-timezone.
pub fn calendar_tz(props: &crate::store::CollectionProps) -> Option<FloatingTz> {
    props.timezone()?.parse().ok().map(FloatingTz::Iana)
}

/// `target` is what the request URI names, loaded by `report::handle`.
pub fn handle(rq: Request, body: Element, target: Resource) -> DavResult<Reply> {
    let filter_el = body.child(CALDAV, "filter").ok_or_else(|| {
        DavError::condition(Condition::ValidFilter, "calendar-query without filter")
    })?;
    if element_count(filter_el) > MAX_FILTER_ELEMENTS {
        return Err(filter_error(FilterError::InvalidFilter(format!(
            "filter has more than {MAX_FILTER_ELEMENTS} elements"
        ))));
    }
    let filter = query::parse_filter(filter_el).map_err(filter_error)?;
    let props = PropRequest::from_children(&body)?.unwrap_or(PropRequest::All(Vec::new()));
    let data_req = calendar_data_request(&body)?;
    let window = filter.time_window();
    let plain = PlainQuery::of(&filter, data_req.as_ref());
    let scopes = scopes(&rq, &body, target)?;
    // Recurrence work of the whole query is capped (ical::QueryBudget).
    let budget = QueryBudget::default();
    Ok(rq.multistatus(None, move |ctx, out| {
        for (tz, cal, single) in scopes {
            let reader = cal.reader();
            // Candidates come from the index's time spans, a page at a time.
            scan(
                &cal,
                single,
                |m| {
                    window.is_none_or(|(s, e)| m.info.span().overlaps(s, e))
                        && decide(plain.as_ref(), m) != Decision::Skip
                },
                |part| {
                    let (f, t, d) = ((&filter, plain.as_ref()), tz.as_ref(), data_req.as_ref());
                    evaluate(&reader, part, f, t, d, &budget)
                },
                |found| {
                    for (name, meta, data) in found {
                        let res = Resource::Object {
                            cal: cal.clone(),
                            name,
                            meta,
                        };
                        write_object(&res, &props, data.as_deref(), ctx, out.buffer());
                    }
                    ControlFlow::Continue(())
                },
            );
        }
    }))
}

/// A calendar a query searches: the zone for its floating times (the
/// query's, else the calendar's), the calendar, and the one object named.
type Scope = (Option<FloatingTz>, Collection, Option<Candidate>);

/// Where a calendar-query looks: the calendar or the one object named, or,
/// on a calendar home with Depth 1 or infinity, every calendar of the home
/// in name order (address books left out). RFC 4791 §7.8 leaves a query on
/// a collection that holds calendars open; CalendarServer and sabre/dav
/// answer it over each calendar below, which a "search all my calendars"
/// needs.
fn scopes(rq: &Request, body: &Element, target: Resource) -> DavResult<Vec<Scope>> {
    let tz = query_timezone(body, &target);
    match target {
        Resource::Collection { cal, .. } => Ok(vec![(tz, cal, None)]),
        Resource::Object { cal, name, meta } => Ok(vec![(tz, cal, Some((name, meta)))]),
        Resource::Home { user } if reaches_members(rq) => {
            let mut out = Vec::new();
            for name in rq.store().calendar_names(&user)? {
                let path = DavPath::Collection {
                    user: user.clone(),
                    collection: name,
                };
                // One gone since the listing is simply not searched.
                let Ok(res) = Resource::load(rq.store(), &path) else {
                    continue;
                };
                let tz = query_timezone(body, &res);
                if let Resource::Collection { cal, .. } = res {
                    out.push((tz, cal, None));
                }
            }
            Ok(out)
        }
        Resource::Home { .. } => Err(DavError::condition(
            Condition::SupportedReport,
            "calendar-query on a calendar home takes Depth 1 (every calendar in it)",
        )),
        _ => Err(DavError::condition(
            Condition::SupportedReport,
            "calendar-query works on calendars and calendar homes",
        )),
    }
}

/// Whether the request's Depth reaches a collection's members: 1 or
/// infinity (a REPORT without Depth is Depth 0, RFC 4791 §7.8).
fn reaches_members(rq: &Request) -> bool {
    rq.header("depth")
        .map(str::trim)
        .is_some_and(|d| d == "1" || d.eq_ignore_ascii_case("infinity"))
}

/// Largest filter evaluated: each candidate object is matched against all of
/// it, so its size multiplies the work of the whole query. Real filters have
/// fewer than 20 elements.
pub const MAX_FILTER_ELEMENTS: usize = 1000;

/// Elements in a subtree (its depth is bounded by the XML parser).
fn element_count(el: &Element) -> usize {
    1 + el.children.iter().map(element_count).sum::<usize>()
}

/// A matching object with its rendered calendar-data, if asked for.
type Found = (String, ObjectMeta, Option<String>);

/// What the index says about one object under a plain query (`Parse`
/// when the query is not plain or the object is not a calendar object).
fn decide(plain: Option<&PlainQuery>, meta: &ObjectMeta) -> Decision {
    match (plain, meta.info.component()) {
        (Some(p), Some(kind)) => p.decide(
            kind,
            meta.info.span(),
            meta.info.exact(),
            meta.info.periodic(),
        ),
        _ => Decision::Parse,
    }
}

/// The matches among `part`. The decision is taken again on the metadata
/// the read returns, which is fresh if the file was edited behind our back.
fn evaluate(
    reader: &Reader,
    part: &[Candidate],
    (filter, plain): (&Filter, Option<&PlainQuery>),
    tz: Option<&FloatingTz>,
    data_req: Option<&CalendarDataRequest>,
    budget: &QueryBudget,
) -> Vec<Found> {
    let mut out = Vec::new();
    for (name, listed) in part {
        let Ok((bytes, meta)) = reader.read(name, listed) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let data = match decide(plain, &meta) {
            Decision::Skip => continue,
            // A plain query asks for the whole object: its stored text.
            Decision::Include => data_req.map(|_| text.into_owned()),
            Decision::Parse if query::matches_within(&text, filter, tz, budget) => {
                data_req.map(|r| query::render_calendar_data(&text, r, tz))
            }
            Decision::Parse => continue,
        };
        out.push((name.clone(), meta, data));
    }
    out
}
