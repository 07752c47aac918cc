//! Evaluation of a parsed filter against one calendar object (RFC 4791 §9.7).

use icalendar::parser::{Component, Property};

use super::filter::{CompFilter, CompTest, Filter, ParamFilter, PropCond, PropFilter, PropTest};
use crate::ical::budget::QueryBudget;
use crate::ical::object::{is, normalize, Object};
use crate::ical::timerange::{alarm_overlaps, components_overlap, property_overlaps};

/// The component a nested comp-filter is evaluated inside (for VALARM).
struct Parent<'l, 'c> {
    list: &'l [&'c Component<'c>],
    idx: usize,
    kind: &'l str,
}

/// True when the object satisfies the filter. Unparsable objects never match.
/// Recurrence work is capped per object (see [`QueryBudget`]).
pub fn matches(
    ics: &str,
    filter: &Filter,
    default_tz: Option<&crate::ical::tz::FloatingTz>,
) -> bool {
    matches_within(ics, filter, default_tz, &QueryBudget::default())
}

/// [`matches`], with the object's recurrence steps drawn from a budget shared
/// by every object of one query (unused steps are given back).
pub fn matches_within(
    ics: &str,
    filter: &Filter,
    default_tz: Option<&crate::ical::tz::FloatingTz>,
    budget: &QueryBudget,
) -> bool {
    let text = normalize(ics);
    let Some(obj) = Object::parse(&text, default_tz) else {
        return false;
    };
    let granted = budget.grant();
    obj.steps.set(granted);
    let found = evaluate(&obj, filter);
    budget.refund(obj.steps.get());
    found
}

fn evaluate(obj: &Object, filter: &Filter) -> bool {
    match &filter.root.test {
        CompTest::IsNotDefined => false,
        CompTest::Match { props, comps, .. } => {
            props.iter().all(|p| prop_matches(obj, &obj.props, p))
                && comps
                    .iter()
                    .all(|cf| comp_matches(obj, &obj.comps, None, cf))
        }
    }
}

fn comp_matches<'c>(
    obj: &Object,
    children: &'c [Component<'c>],
    parent: Option<&Parent>,
    cf: &CompFilter,
) -> bool {
    let list: Vec<&'c Component<'c>> = children
        .iter()
        .filter(|c| is(c.name.as_str(), &cf.name))
        .collect();
    let CompTest::Match {
        time_range,
        props,
        comps,
    } = &cf.test
    else {
        return list.is_empty();
    };
    let in_range: Option<Vec<bool>> = time_range.as_ref().map(|tr| {
        if is(&cf.name, "VALARM") {
            match parent {
                Some(p) => list
                    .iter()
                    .map(|a| alarm_overlaps(obj, a, p.list, p.idx, p.kind, tr))
                    .collect(),
                None => vec![false; list.len()],
            }
        } else {
            components_overlap(obj, &list, &cf.name, tr)
        }
    });
    list.iter().enumerate().any(|(i, c)| {
        in_range.as_ref().is_none_or(|v| v[i])
            && props.iter().all(|p| prop_matches(obj, &c.properties, p))
            && comps.iter().all(|sub| {
                let me = Parent {
                    list: &list,
                    idx: i,
                    kind: &cf.name,
                };
                comp_matches(obj, &c.components, Some(&me), sub)
            })
    })
}

fn prop_matches(obj: &Object, props: &[Property], pf: &PropFilter) -> bool {
    // RFC 4791 §9.9: a time-range on DTEND (DUE) of a component that has
    // DTSTART and DURATION instead tests the effective DTSTART+DURATION.
    if let PropTest::Match {
        cond: Some(PropCond::TimeRange(tr)),
        params,
    } = &pf.test
    {
        let derived = (is(&pf.name, "DTEND") || is(&pf.name, "DUE"))
            && params.is_empty()
            && !props.iter().any(|p| is(p.name.as_str(), &pf.name));
        if derived {
            return effective_end(obj, props).is_some_and(|t| tr.start <= t && tr.end > t);
        }
    }
    let mut named = props.iter().filter(|p| is(p.name.as_str(), &pf.name));
    match &pf.test {
        PropTest::IsNotDefined => named.next().is_none(),
        PropTest::Match { cond, params } => named.any(|p| {
            let ok = match cond {
                None => true,
                Some(PropCond::Text(tm)) => tm.matches(p.val.as_str()),
                Some(PropCond::TimeRange(tr)) => property_overlaps(obj, p, tr),
            };
            ok && params.iter().all(|f| param_matches(p, f))
        }),
    }
}

fn param_matches(p: &Property, f: &ParamFilter) -> bool {
    let value = p
        .params
        .iter()
        .find(|x| is(x.key.as_str(), &f.name))
        .map(|x| x.val.as_ref().map_or("", |v| v.as_str()));
    match (&f.test, value) {
        (None, v) => v.is_none(),
        (Some(_), None) => false,
        (Some(None), Some(_)) => true,
        (Some(Some(tm)), Some(v)) => tm.matches(v),
    }
}

/// DTSTART + DURATION in UTC: days are added on the wall clock, hours exactly.
fn effective_end(obj: &Object, props: &[Property]) -> Option<i64> {
    let start = props
        .iter()
        .find(|p| is(p.name.as_str(), "DTSTART"))
        .and_then(|p| obj.when(p))?;
    let dur = props.iter().find(|p| is(p.name.as_str(), "DURATION"))?;
    let (days, secs) = crate::ical::value::parse_duration_parts(dur.val.as_str())?;
    let day_part = start
        .zone
        .to_utc(crate::ical::object::add_days(start.value.local, days));
    Some(day_part + secs)
}
