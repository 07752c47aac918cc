//! Instances of a component set (master + RECURRENCE-ID overrides), RFC 5545
//! §3.8.5: DTSTART, RRULE, RDATE, EXDATE, overrides and THISANDFUTURE.
//!
//! Only instances near a requested window are produced, so unbounded rules
//! never expand forever.

use chrono::NaiveDateTime;
use icalendar::parser::Component;

use super::object::{add_days, is, param, prop, props, Object, When};
use super::rule::Rule;
use super::tz::Zone;
use super::value::{parse_duration_parts, parse_period, PeriodEnd};

/// How a component states its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndKind {
    /// Neither DTEND/DUE nor DURATION.
    None,
    /// DTEND (VEVENT) or DUE (VTODO).
    Explicit,
    Duration,
}

/// One instance, in UTC unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Occurrence {
    pub start: i64,
    /// Equal to `start` for zero-length instances.
    pub end: i64,
    pub all_day: bool,
    /// Original start of this instance when it belongs to a recurrence set.
    pub rid: Option<i64>,
    /// Index (into the slice given to [`occurrences`]) of the component whose
    /// properties describe this instance.
    pub src: usize,
    pub end_kind: EndKind,
}

/// Length of an instance: nominal days follow the wall clock, then exact
/// seconds are added (RFC 5545 §3.3.6). DTEND/DUE give an exact length
/// (§3.8.5.3), except between two DATE values.
#[derive(Debug, Clone, Copy)]
struct Dur {
    days: i64,
    secs: i64,
}

impl Dur {
    fn exact(secs: i64) -> Dur {
        Dur {
            days: 0,
            secs: secs.max(0),
        }
    }

    fn days(days: i64) -> Dur {
        Dur {
            days: days.max(0),
            secs: 0,
        }
    }
}

/// Start and length of one component.
pub(crate) struct Timing {
    pub start: When,
    dur: Dur,
    pub end_kind: EndKind,
}

impl Timing {
    fn end_of(&self, start_local: NaiveDateTime, start_utc: i64, zone: &Zone) -> i64 {
        let Dur { days, secs } = self.dur;
        let base = if days == 0 {
            start_utc
        } else {
            zone.to_utc(add_days(start_local, days))
        };
        base.saturating_add(secs)
    }

    /// Largest length in seconds (for widening windows).
    fn max_len(&self) -> i64 {
        let Dur { days, secs } = self.dur;
        let wall = if days == 0 { 0 } else { 3 * 3600 };
        days.saturating_mul(86_400)
            .saturating_add(wall)
            .saturating_add(secs)
    }
}

/// Start and length of a component from DTSTART and DTEND/DUE/DURATION.
pub(crate) fn timing(obj: &Object, c: &Component, kind: &str) -> Option<Timing> {
    let start = obj.when(prop(c, "DTSTART")?)?;
    let end_name = if is(kind, "VTODO") { "DUE" } else { "DTEND" };
    if let Some(end) = prop(c, end_name).and_then(|p| obj.when(p)) {
        let dur = if start.value.is_date && end.value.is_date {
            Dur::days((end.value.local - start.value.local).num_days())
        } else {
            Dur::exact(end.utc - start.utc)
        };
        return Some(Timing {
            start,
            dur,
            end_kind: EndKind::Explicit,
        });
    }
    if let Some((days, secs)) =
        prop(c, "DURATION").and_then(|p| parse_duration_parts(p.val.as_str()))
    {
        // Negative durations are read as zero-length instances.
        let dur = if days < 0 || secs < 0 {
            Dur::exact(0)
        } else {
            Dur { days, secs }
        };
        return Some(Timing {
            start,
            dur,
            end_kind: EndKind::Duration,
        });
    }
    // All-day VEVENT/VJOURNAL without an end last one day (RFC 4791 §9.9).
    let dur = if start.value.is_date && !is(kind, "VTODO") {
        Dur::days(1)
    } else {
        Dur::exact(0)
    };
    Some(Timing {
        start,
        dur,
        end_kind: EndKind::None,
    })
}

/// A RECURRENCE-ID resolved for matching against master instances.
struct RecurrenceId {
    utc: i64,
    local: NaiveDateTime,
    date: Option<chrono::NaiveDate>,
    future: bool,
}

fn recurrence_id(obj: &Object, c: &Component) -> Option<RecurrenceId> {
    let p = prop(c, "RECURRENCE-ID")?;
    let w = obj.when(p)?;
    Some(RecurrenceId {
        utc: w.utc,
        local: w.value.local,
        date: w.value.is_date.then(|| w.value.local.date()),
        future: param(p, "RANGE").is_some_and(|r| is(r, "THISANDFUTURE")),
    })
}

/// Result of an expansion: the instances and whether every instance in the
/// window was produced (false when the step cap was hit or a rule was unreadable).
pub(crate) struct Expansion {
    pub items: Vec<Occurrence>,
    pub complete: bool,
    /// The object ran out of recurrence steps (`budget`): instances are missing.
    pub capped: bool,
}

/// Instants named by EXDATE or RECURRENCE-ID values: exact instants, or
/// whole days for DATE values. Hashed so matching stays linear.
#[derive(Default)]
struct InstanceSet {
    instants: std::collections::HashSet<i64>,
    days: std::collections::HashSet<chrono::NaiveDate>,
}

impl InstanceSet {
    fn insert(&mut self, utc: i64, date: Option<chrono::NaiveDate>) {
        match date {
            Some(d) => self.days.insert(d),
            None => self.instants.insert(utc),
        };
    }

    /// Whether the instance at `utc` (wall clock `local`) is named.
    fn contains(&self, utc: i64, local: NaiveDateTime) -> bool {
        self.instants.contains(&utc) || self.days.contains(&local.date())
    }
}

/// Instances of `comps` (all of one component type) overlapping `[lo, hi]`
/// inclusively (a conservative overlap; callers apply the exact §9.9 test).
pub(crate) fn occurrences(
    obj: &Object,
    comps: &[&Component],
    kind: &str,
    lo: i64,
    hi: i64,
) -> Expansion {
    let mut items = Vec::new();
    let mut complete = true;
    let mut capped = false;
    // An override of an excluded instance is excluded too (as
    // recurring-ical-events does): EXDATE wins.
    let mut master_ex = InstanceSet::default();
    for c in comps.iter().filter(|c| prop(c, "RECURRENCE-ID").is_none()) {
        for (utc, date) in exdates(obj, c) {
            master_ex.insert(utc, date);
        }
    }
    // Overrides first: they replace master instances.
    let mut overrides: Vec<(usize, RecurrenceId, Timing)> = Vec::new();
    for (i, c) in comps.iter().enumerate() {
        let Some(rid) = recurrence_id(obj, c) else {
            continue;
        };
        let t = match timing(obj, c, kind) {
            Some(t) => t,
            None => continue,
        };
        let start = t.start.utc;
        let end = t.end_of(t.start.value.local, start, &t.start.zone);
        let excluded = master_ex.contains(rid.utc, rid.local);
        if start <= hi && end >= lo && !excluded {
            items.push(Occurrence {
                start,
                end,
                all_day: t.start.value.is_date,
                rid: Some(rid.utc),
                src: i,
                end_kind: t.end_kind,
            });
        }
        overrides.push((i, rid, t));
    }
    // THISANDFUTURE overrides sorted by their RECURRENCE-ID.
    let mut future: Vec<&(usize, RecurrenceId, Timing)> =
        overrides.iter().filter(|o| o.1.future).collect();
    future.sort_by_key(|o| o.1.utc);
    let mut overridden = InstanceSet::default();
    for (_, rid, _) in &overrides {
        overridden.insert(rid.utc, rid.date);
    }
    let max_shift = future
        .iter()
        .map(|(_, rid, t)| (t.start.utc - rid.utc).abs() + t.max_len())
        .max()
        .unwrap_or(0);

    for (i, c) in comps.iter().enumerate() {
        if prop(c, "RECURRENCE-ID").is_some() {
            continue;
        }
        let Some(t) = timing(obj, c, kind) else {
            continue;
        };
        let recurring = prop(c, "RRULE").is_some() || prop(c, "RDATE").is_some();
        let zone = &t.start.zone;
        let wlo = lo.saturating_sub(t.max_len() + max_shift);
        let whi = hi.saturating_add(max_shift);
        // (utc start, local start, explicit end from an RDATE period)
        let mut starts: Vec<(i64, NaiveDateTime, Option<i64>)> = Vec::new();
        starts.push((t.start.utc, t.start.value.local, None));
        if recurring {
            complete &= rule_starts(obj, c, &t, wlo, whi, &mut starts, &mut capped);
            rdate_starts(obj, c, &t, &mut starts, &mut capped);
            starts.sort_by_key(|s| s.0);
            starts.dedup_by_key(|s| s.0);
            exclude(obj, c, &mut starts);
        }
        for (utc, local, period_end) in starts {
            if overridden.contains(utc, local) {
                continue;
            }
            // The latest THISANDFUTURE override before this instance.
            let after = future.partition_point(|(_, r, _)| r.utc < utc);
            let applied = after
                .checked_sub(1)
                .map(|k| future[k])
                .map(|(j, r, ot)| (*j, ot.start.utc - r.utc, ot));
            let (src, start, end, end_kind) = match applied {
                Some((j, shift, ot)) => {
                    let s = utc + shift;
                    let local_s = ot.start.zone.local_of(s);
                    (j, s, ot.end_of(local_s, s, &ot.start.zone), ot.end_kind)
                }
                None => {
                    let end = period_end.unwrap_or_else(|| t.end_of(local, utc, zone));
                    (i, utc, end, t.end_kind)
                }
            };
            if start <= hi && end >= lo {
                items.push(Occurrence {
                    start,
                    end,
                    all_day: t.start.value.is_date,
                    rid: recurring.then_some(utc),
                    src,
                    end_kind,
                });
            }
        }
    }
    items.sort_by_key(|o| (o.start, o.src));
    Expansion {
        items,
        complete: complete && !capped,
        capped,
    }
}

/// Adds RRULE instances with a start up to `whi` and an end after `wlo`.
/// Returns false when a rule could not be understood; sets `capped` when the
/// object ran out of recurrence steps.
fn rule_starts(
    obj: &Object,
    c: &Component,
    t: &Timing,
    wlo: i64,
    whi: i64,
    out: &mut Vec<(i64, NaiveDateTime, Option<i64>)>,
    capped: &mut bool,
) -> bool {
    let zone = &t.start.zone;
    let mut ok = true;
    for p in props(c, "RRULE") {
        let until_to_local = |d: &super::value::DateValue| {
            if d.utc {
                zone.local_of(d.local.and_utc().timestamp())
            } else {
                d.local
            }
        };
        // Skip cheaply to a day before the window (never past it on DST shifts).
        let not_before = chrono::DateTime::from_timestamp(wlo.saturating_sub(2 * 86_400), 0)
            .map(|_| zone.local_of(wlo.saturating_sub(2 * 86_400)));
        let Some(rule) = Rule::starting_near(
            p.val.as_str(),
            t.start.value.local,
            until_to_local,
            not_before,
        ) else {
            ok = false;
            continue;
        };
        for local in rule.iter() {
            if !obj.step() {
                *capped = true;
                return ok;
            }
            let utc = zone.to_utc(local);
            // Wall-clock order can differ from UTC order by a DST shift only.
            if utc > whi.saturating_add(86_400) {
                break;
            }
            if utc > whi {
                continue;
            }
            if utc.saturating_add(t.max_len()) >= wlo {
                out.push((utc, local, None));
            }
        }
    }
    ok
}

/// Adds RDATE values (DATE, DATE-TIME or PERIOD), in the DTSTART's wall clock.
fn rdate_starts(
    obj: &Object,
    c: &Component,
    t: &Timing,
    out: &mut Vec<(i64, NaiveDateTime, Option<i64>)>,
    capped: &mut bool,
) {
    let zone = &t.start.zone;
    for p in props(c, "RDATE") {
        let tzid = param(p, "TZID");
        for v in p.val.as_str().split(',') {
            if !obj.step() {
                *capped = true;
                return;
            }
            if v.contains('/') {
                let Some((s, e)) = parse_period(v) else {
                    continue;
                };
                let s = obj.resolve(s, tzid);
                let end = match e {
                    PeriodEnd::At(e) => obj.resolve(e, tzid).utc,
                    PeriodEnd::After(d) => s.utc + d.num_seconds(),
                };
                out.push((s.utc, zone.local_of(s.utc), Some(end)));
            } else if let Some(w) = obj.when_str(v, tzid) {
                let local = if w.value.is_date {
                    // A DATE RDATE keeps the DTSTART's time of day.
                    w.value.local.date().and_time(t.start.value.local.time())
                } else {
                    zone.local_of(w.utc)
                };
                out.push((zone.to_utc(local), local, None));
            }
        }
    }
}

/// Removes instances named by EXDATE (by instant, or by day for DATE values).
fn exclude(obj: &Object, c: &Component, starts: &mut Vec<(i64, NaiveDateTime, Option<i64>)>) {
    let mut ex = InstanceSet::default();
    for (utc, date) in exdates(obj, c) {
        ex.insert(utc, date);
    }
    if ex.instants.is_empty() && ex.days.is_empty() {
        return;
    }
    starts.retain(|(utc, local, _)| !ex.contains(*utc, *local));
}

/// EXDATE values: UTC instant, plus the day for DATE values.
fn exdates(obj: &Object, c: &Component) -> Vec<(i64, Option<chrono::NaiveDate>)> {
    let mut ex: Vec<(i64, Option<chrono::NaiveDate>)> = Vec::new();
    for p in props(c, "EXDATE") {
        let tzid = param(p, "TZID");
        for v in p.val.as_str().split(',') {
            if let Some(w) = obj.when_str(v, tzid) {
                ex.push((w.utc, w.value.is_date.then(|| w.value.local.date())));
            }
        }
    }
    ex
}

/// Whether any RRULE of the component set is unbounded (no COUNT/UNTIL).
pub(crate) fn has_unbounded_rule(c: &Component) -> bool {
    props(c, "RRULE").any(|p| {
        let v = p.val.as_str().to_ascii_uppercase();
        !v.contains("COUNT=") && !v.contains("UNTIL=")
    })
}
