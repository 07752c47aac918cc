//! The time-range overlap rules of RFC 4791 §9.9, one per component type,
//! plus alarm triggers and property values.

use icalendar::parser::{Component, Property};

use super::object::{is, param, prop, Object};
use super::recur::{occurrences, EndKind, Occurrence};
use super::value::{parse_duration, parse_period, PeriodEnd};

/// A half-open UTC interval `[start, end)`; missing bounds are infinite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub start: i64,
    pub end: i64,
}

/// VEVENT / VJOURNAL rule for one instance: positive-length instances overlap
/// as half-open intervals; zero-length ones must start inside the range.
pub(crate) fn interval_overlaps(o: &Occurrence, tr: &TimeRange) -> bool {
    if o.end > o.start {
        tr.start < o.end && tr.end > o.start
    } else {
        tr.start <= o.start && tr.end > o.start
    }
}

/// VTODO rows that have a DTSTART (so the instance is known).
pub(crate) fn todo_instance_overlaps(o: &Occurrence, tr: &TimeRange) -> bool {
    let (s, e) = (tr.start, tr.end);
    match o.end_kind {
        EndKind::Duration => s <= o.end && (e > o.start || e >= o.end),
        EndKind::Explicit => (s < o.end || s <= o.start) && (e > o.start || e >= o.end),
        EndKind::None => s <= o.start && e > o.start,
    }
}

/// VTODO rows without DTSTART: DUE, COMPLETED and CREATED decide.
pub(crate) fn todo_undated_overlaps(obj: &Object, c: &Component, tr: &TimeRange) -> bool {
    let (s, e) = (tr.start, tr.end);
    let at = |name| prop(c, name).and_then(|p| obj.when(p)).map(|w| w.utc);
    if let Some(due) = at("DUE") {
        return s < due && e >= due;
    }
    match (at("COMPLETED"), at("CREATED")) {
        (Some(done), Some(created)) => (s <= created || s <= done) && (e >= created || e >= done),
        (Some(done), None) => s <= done && e >= done,
        (None, Some(created)) => e > created,
        (None, None) => true,
    }
}

/// VFREEBUSY: DTSTART/DTEND if both exist, otherwise its FREEBUSY periods.
fn freebusy_overlaps(obj: &Object, c: &Component, tr: &TimeRange) -> bool {
    let at = |name| prop(c, name).and_then(|p| obj.when(p)).map(|w| w.utc);
    if let (Some(start), Some(end)) = (at("DTSTART"), at("DTEND")) {
        return tr.start <= end && tr.end > start;
    }
    periods(
        obj,
        c.properties
            .iter()
            .filter(|p| is(p.name.as_str(), "FREEBUSY")),
    )
    .any(|(ps, pe)| tr.start < pe && tr.end > ps)
}

/// All PERIOD values of the given properties, in UTC.
pub(crate) fn periods<'c>(
    obj: &'c Object,
    props: impl Iterator<Item = &'c Property<'c>> + 'c,
) -> impl Iterator<Item = (i64, i64)> + 'c {
    props.flat_map(move |p| {
        let tzid = param(p, "TZID");
        p.val
            .as_str()
            .split(',')
            .filter_map(move |v| {
                let (s, e) = parse_period(v)?;
                let s = obj.resolve(s, tzid).utc;
                let e = match e {
                    PeriodEnd::At(e) => obj.resolve(e, tzid).utc,
                    PeriodEnd::After(d) => s + d.num_seconds(),
                };
                Some((s, e))
            })
            .collect::<Vec<_>>()
    })
}

/// For each component of `list` (all named `kind`), whether it overlaps `tr`.
/// Recurring components overlap when any of their own instances does.
pub(crate) fn components_overlap(
    obj: &Object,
    list: &[&Component],
    kind: &str,
    tr: &TimeRange,
) -> Vec<bool> {
    let mut hit = vec![false; list.len()];
    if is(kind, "VFREEBUSY") {
        for (i, c) in list.iter().enumerate() {
            hit[i] = freebusy_overlaps(obj, c, tr);
        }
        return hit;
    }
    let todo = is(kind, "VTODO");
    if todo {
        for (i, c) in list.iter().enumerate() {
            if prop(c, "DTSTART").is_none() {
                hit[i] = todo_undated_overlaps(obj, c, tr);
            }
        }
    }
    // The window is widened by a second so zero-length edge cases are seen.
    let exp = occurrences(obj, list, kind, tr.start.saturating_sub(1), tr.end);
    if exp.capped {
        // Out of recurrence steps: answer a superset rather than miss one.
        return vec![true; list.len()];
    }
    for o in &exp.items {
        if hit[o.src] {
            continue;
        }
        hit[o.src] = if todo {
            todo_instance_overlaps(o, tr)
        } else {
            interval_overlaps(o, tr)
        };
    }
    hit
}

/// A VALARM TRIGGER: an absolute instant or an offset from the parent's
/// start or end, repeated REPEAT times every DURATION.
struct Trigger {
    absolute: Option<i64>,
    offset: i64,
    from_end: bool,
    repeat: i64,
    every: i64,
}

fn trigger(obj: &Object, alarm: &Component) -> Option<Trigger> {
    let p = prop(alarm, "TRIGGER")?;
    let repeat = prop(alarm, "REPEAT")
        .and_then(|r| r.val.as_str().trim().parse::<i64>().ok())
        .unwrap_or(0)
        .clamp(0, 10_000);
    let every = prop(alarm, "DURATION")
        .and_then(|d| parse_duration(d.val.as_str()))
        .map_or(0, |d| d.num_seconds());
    let repeat = if every > 0 { repeat } else { 0 };
    let dated = param(p, "VALUE").is_some_and(|v| is(v, "DATE-TIME"));
    if let (false, Some(d)) = (dated, parse_duration(p.val.as_str())) {
        return Some(Trigger {
            absolute: None,
            offset: d.num_seconds(),
            from_end: param(p, "RELATED").is_some_and(|r| is(r, "END")),
            repeat,
            every,
        });
    }
    Some(Trigger {
        absolute: Some(obj.when(p)?.utc),
        offset: 0,
        from_end: false,
        repeat,
        every,
    })
}

fn any_repeat_in(base: i64, t: &Trigger, tr: &TimeRange) -> bool {
    (0..=t.repeat).any(|k| {
        let at = base + t.offset + k * t.every;
        tr.start <= at && tr.end > at
    })
}

/// VALARM rule: some trigger (or repetition) of the alarm, on any instance of
/// its parent `parents[idx]`, falls in the range.
pub(crate) fn alarm_overlaps(
    obj: &Object,
    alarm: &Component,
    parents: &[&Component],
    idx: usize,
    parent_kind: &str,
    tr: &TimeRange,
) -> bool {
    let Some(t) = trigger(obj, alarm) else {
        return false;
    };
    if let Some(abs) = t.absolute {
        return any_repeat_in(abs - t.offset, &t, tr);
    }
    let parent = parents[idx];
    if prop(parent, "DTSTART").is_none() {
        // Only an END-related trigger on an undated VTODO can fire.
        let due = prop(parent, "DUE").and_then(|p| obj.when(p));
        return t.from_end && due.is_some_and(|d| any_repeat_in(d.utc, &t, tr));
    }
    let span = t.repeat * t.every;
    let lo = tr
        .start
        .saturating_sub(t.offset.max(t.offset + span))
        .saturating_sub(1);
    let hi = tr.end.saturating_sub(t.offset.min(0)).saturating_add(1);
    let exp = occurrences(obj, parents, parent_kind, lo, hi);
    // Out of recurrence steps: answer a superset rather than miss one.
    exp.capped
        || exp
            .items
            .iter()
            .filter(|o| o.src == idx)
            .any(|o| any_repeat_in(if t.from_end { o.end } else { o.start }, &t, tr))
}

/// prop-filter time-range: a DATE/DATE-TIME/PERIOD value overlapping the range.
pub(crate) fn property_overlaps(obj: &Object, p: &Property, tr: &TimeRange) -> bool {
    let tzid = param(p, "TZID");
    p.val.as_str().split(',').any(|v| {
        if v.contains('/') {
            return periods(obj, std::iter::once(p)).any(|(s, e)| tr.start < e && tr.end > s);
        }
        match obj.when_str(v, tzid) {
            Some(w) if w.value.is_date => {
                let end = w.zone.to_utc(super::object::add_days(w.value.local, 1));
                tr.start < end && tr.end > w.utc
            }
            Some(w) => tr.start <= w.utc && tr.end > w.utc,
            None => false,
        }
    })
}
