//! The UTC span covered by all instances of an object, for a time index.
//!
//! The index skips objects whose span misses a query's time-range, so this is
//! conservative: whenever something cannot be bounded it says so.

use icalendar::parser::Component;

use super::object::{is, normalize, prop, props, Object};
use super::recur::{has_unbounded_rule, occurrences};
use super::timerange::periods;
use super::value::parse_duration;

/// Floating times may be read in any zone between UTC-12 and UTC+14.
const FLOATING_SLACK: i64 = 14 * 3600;

/// Where an object's instances can fall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// Every instance (and alarm trigger) lies inside `[lo, hi]`. Both ends
    /// are already widened by one second, so either half-open or closed
    /// interval tests against a time-range are safe.
    Bounded(i64, i64),
    /// Unbounded recurrence or open-ended conditions: matches any range.
    Unbounded,
    /// Not parsable or nothing datable: do not prune.
    Unknown,
}

impl Span {
    /// Whether a time-range `[start, end)` might match the object.
    pub fn overlaps(&self, start: i64, end: i64) -> bool {
        match *self {
            Span::Bounded(lo, hi) => start < hi && end > lo,
            Span::Unbounded | Span::Unknown => true,
        }
    }
}

/// Running minimum/maximum; `None` in `open` marks an unbounded side.
struct Bounds {
    lo: i64,
    hi: i64,
    any: bool,
    open: bool,
}

impl Bounds {
    fn add(&mut self, lo: i64, hi: i64) {
        self.lo = self.lo.min(lo);
        self.hi = self.hi.max(hi);
        self.any = true;
    }
}

/// Effective UTC span of all instances of all components of the object.
pub fn span(ics: &str) -> Span {
    let text = normalize(ics);
    Object::parse(&text, None).map_or(Span::Unknown, |obj| span_of(&obj))
}

pub(super) fn span_of(obj: &Object) -> Span {
    let mut b = Bounds {
        lo: i64::MAX,
        hi: i64::MIN,
        any: false,
        open: false,
    };
    let mut kinds: Vec<&str> = Vec::new();
    for c in &obj.comps {
        let name = c.name.as_str();
        if !is(name, "VTIMEZONE") && !kinds.iter().any(|k| is(k, name)) {
            kinds.push(name);
        }
    }
    for kind in kinds {
        let list: Vec<&Component> = obj
            .comps
            .iter()
            .filter(|c| is(c.name.as_str(), kind))
            .collect();
        kind_span(obj, &list, kind, &mut b);
        if b.open {
            return Span::Unbounded;
        }
    }
    if !b.any {
        return Span::Unknown;
    }
    let slack = 1 + if obj.used_floating.get() {
        FLOATING_SLACK
    } else {
        0
    };
    Span::Bounded(b.lo.saturating_sub(slack), b.hi.saturating_add(slack))
}

fn kind_span(obj: &Object, list: &[&Component], kind: &str, b: &mut Bounds) {
    let at = |c: &Component, name: &str| prop(c, name).and_then(|p| obj.when(p)).map(|w| w.utc);
    if is(kind, "VFREEBUSY") {
        for c in list {
            if let (Some(s), Some(e)) = (at(c, "DTSTART"), at(c, "DTEND")) {
                b.add(s, e);
            }
            for (s, e) in periods(obj, props(c, "FREEBUSY")) {
                b.add(s, e);
            }
        }
        return;
    }
    if list
        .iter()
        .any(|c| prop(c, "RECURRENCE-ID").is_none() && has_unbounded_rule(c))
    {
        b.open = true;
        return;
    }
    for c in list.iter().filter(|c| prop(c, "DTSTART").is_none()) {
        if !is(kind, "VTODO") {
            continue;
        }
        // Undated to-dos: DUE pins them, CREATED alone or nothing leaves them open.
        match (at(c, "DUE"), at(c, "COMPLETED"), at(c, "CREATED")) {
            (Some(d), _, _) => b.add(d, d),
            (None, Some(x), Some(y)) => b.add(x.min(y), x.max(y)),
            (None, Some(x), None) => b.add(x, x),
            _ => b.open = true,
        }
    }
    let exp = occurrences(obj, list, kind, i64::MIN / 4, i64::MAX / 4);
    if !exp.complete {
        b.open = true;
        return;
    }
    for o in &exp.items {
        let (lo, hi) = alarm_reach(obj, list[o.src]);
        b.add(
            o.start.saturating_add(lo.min(0)),
            o.end.max(o.start).saturating_add(hi.max(0)),
        );
        if let Some((alo, ahi)) = absolute_alarms(obj, list[o.src]) {
            b.add(alo, ahi);
        }
    }
}

/// Smallest and largest relative alarm offset (including repeats).
fn alarm_reach(obj: &Object, c: &Component) -> (i64, i64) {
    let _ = obj;
    let (mut lo, mut hi) = (0i64, 0i64);
    for a in c
        .components
        .iter()
        .filter(|a| is(a.name.as_str(), "VALARM"))
    {
        let Some(off) = prop(a, "TRIGGER").and_then(|t| parse_duration(t.val.as_str())) else {
            continue;
        };
        let off = off.num_seconds();
        let repeat = prop(a, "REPEAT")
            .and_then(|r| r.val.as_str().trim().parse::<i64>().ok())
            .unwrap_or(0)
            .clamp(0, 10_000);
        let every = prop(a, "DURATION")
            .and_then(|d| parse_duration(d.val.as_str()))
            .map_or(0, |d| d.num_seconds().max(0));
        lo = lo.min(off);
        hi = hi.max(off + repeat * every);
    }
    (lo, hi)
}

/// Span of alarms with an absolute DATE-TIME trigger.
fn absolute_alarms(obj: &Object, c: &Component) -> Option<(i64, i64)> {
    let mut out: Option<(i64, i64)> = None;
    for a in c
        .components
        .iter()
        .filter(|a| is(a.name.as_str(), "VALARM"))
    {
        let Some(t) = prop(a, "TRIGGER") else {
            continue;
        };
        if parse_duration(t.val.as_str()).is_some() {
            continue;
        }
        if let Some(w) = obj.when(t) {
            let (lo, hi) = out.unwrap_or((w.utc, w.utc));
            out = Some((lo.min(w.utc), hi.max(w.utc)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ical::test_cal as cal;

    #[test]
    fn single_and_floating_events() {
        let utc = cal(
            "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nDTEND:20240110T110000Z\nEND:VEVENT\n",
        );
        assert_eq!(span(&utc), Span::Bounded(1_704_880_799, 1_704_884_401));
        assert!(span(&utc).overlaps(1_704_884_400 - 1, 1_704_900_000));
        assert!(!span(&utc).overlaps(1_704_884_401, 1_704_900_000));
        let floating = cal("BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000\nEND:VEVENT\n");
        assert_eq!(
            span(&floating),
            Span::Bounded(1_704_880_800 - 1 - 50_400, 1_704_880_800 + 1 + 50_400)
        );
    }

    #[test]
    fn recurrence_bounds() {
        let unbounded =
            cal("BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nRRULE:FREQ=DAILY\nEND:VEVENT\n");
        assert_eq!(span(&unbounded), Span::Unbounded);
        let count = cal("BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n");
        assert_eq!(span(&count), Span::Bounded(1_704_880_799, 1_705_057_201));
        let moved = cal("BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nRRULE:FREQ=DAILY;COUNT=2\nEND:VEVENT\nBEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20240111T100000Z\nDTSTART:20240301T100000Z\nEND:VEVENT\n");
        let Span::Bounded(_, hi) = span(&moved) else {
            panic!()
        };
        assert_eq!(hi, 1_709_287_201);
    }

    #[test]
    fn alarms_todos_and_garbage() {
        let alarm = cal("BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nBEGIN:VALARM\nTRIGGER:-P1D\nACTION:DISPLAY\nEND:VALARM\nEND:VEVENT\n");
        assert_eq!(
            span(&alarm),
            Span::Bounded(1_704_880_799 - 86_400, 1_704_880_801)
        );
        let open_todo = cal("BEGIN:VTODO\nUID:t\nSUMMARY:x\nEND:VTODO\n");
        assert_eq!(span(&open_todo), Span::Unbounded);
        let due = cal("BEGIN:VTODO\nUID:t\nDUE:20240110T100000Z\nEND:VTODO\n");
        assert_eq!(span(&due), Span::Bounded(1_704_880_799, 1_704_880_801));
        assert_eq!(span("garbage"), Span::Unknown);
        let deep = cal(&format!(
            "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\n{}{}END:VEVENT\n",
            "BEGIN:X-A\n".repeat(100_000),
            "END:X-A\n".repeat(100_000)
        ));
        assert_eq!(span(&deep), Span::Unknown);
    }
}
