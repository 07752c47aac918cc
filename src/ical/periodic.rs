//! Deciding plain time-range queries on recurring events without parsing.
//!
//! Most recurring events repeat a fixed wall-clock time every N days or N
//! months. Such an object is summarised in the index as [`Periodic`]: its
//! first wall-clock start, its step, its length, the range of UTC offsets
//! its instances take and a run of instances known to be missing (EXDATE).
//! The summary is kept only when the object's real expansion, over a stated
//! horizon, is exactly what it describes; queries reaching outside that
//! horizon, or whose answer depends on the exact offset, are parsed as before.

use chrono::{Datelike, Months, NaiveDateTime};
use icalendar::parser::Component;

use super::object::{is, prop, props, Object};
use super::recur::{occurrences, timing, EndKind, Occurrence};
use super::span::Span;
use super::timerange::TimeRange;

const DAY: i64 = 86_400;
/// Wall-clock and UTC differ by less than this in every zone.
const MAX_OFFSET: i64 = 18 * 3600;
/// How far before "now" an unbounded rule is checked (its instances earlier
/// than that are rarely queried and would cost the check time).
const BACK_DAYS: i64 = 400;
/// How far after "now" (or after the first instance) it is checked.
const AHEAD_DAYS: i64 = 730;
/// A wider window than this many candidate instances is parsed instead.
const MAX_CANDIDATES: i64 = 64;

/// A recurring object's instances as arithmetic in wall-clock time: instance
/// `k` starts at `first + k * step` (days or months) converted with an offset
/// in `[min_off, max_off]`, and lasts `dur` seconds. Instances `k >= count` and
/// `gap.0 <= k < gap.1` do not exist. True for every instance that can
/// overlap a window inside `[from_day, to_day]` (days since the epoch).
///
/// 56 bytes, boxed in the index only for the objects that have one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Periodic {
    /// The object's span, packed: `lo > hi` encodes `Span::Unbounded`.
    span: (i64, i64),
    /// Wall-clock seconds (naive, as if UTC) of instance 0, the DTSTART.
    first: i64,
    dur: u32,
    count: u32,
    gap: (u32, u32),
    from_day: i32,
    to_day: i32,
    /// Offsets (wall clock minus UTC) in minutes.
    min_off: i16,
    max_off: i16,
    step: u16,
    monthly: bool,
    end: EndKind,
}

/// Whether a plain time-range on a VEVENT/VJOURNAL includes `o`; the same
/// test `query::decide` applies to an exact instance.
pub(crate) fn instance_hits(o: &Occurrence, tr: &TimeRange) -> bool {
    let near = o.start <= tr.end && o.end >= tr.start.saturating_sub(1);
    near && super::timerange::interval_overlaps(o, tr)
}

impl Periodic {
    /// The object's span (what the index filters candidates by).
    pub fn span(&self) -> Span {
        let (lo, hi) = self.span;
        if lo > hi {
            Span::Unbounded
        } else {
            Span::Bounded(lo, hi)
        }
    }

    fn step_secs(&self) -> i64 {
        i64::from(self.step) * DAY
    }

    fn first_time(&self) -> Option<NaiveDateTime> {
        chrono::DateTime::from_timestamp(self.first, 0).map(|d| d.naive_utc())
    }

    /// Wall-clock seconds of instance `k` under the model.
    fn local(&self, k: i64) -> Option<i64> {
        if !self.monthly {
            return k.checked_mul(self.step_secs())?.checked_add(self.first);
        }
        let months = u32::try_from(k.checked_mul(i64::from(self.step))?).ok()?;
        let t = self.first_time()?.checked_add_months(Months::new(months))?;
        Some(t.and_utc().timestamp())
    }

    /// The instance number whose model start is exactly `local`.
    fn index_of(&self, local: i64) -> Option<i64> {
        let k = if self.monthly {
            let (a, b) = (self.first_time()?, date_of(local)?);
            let m =
                i64::from(b.year() - a.year()) * 12 + i64::from(b.month()) - i64::from(a.month());
            m.checked_div(i64::from(self.step))?
        } else {
            (local - self.first).checked_div(self.step_secs())?
        };
        (k >= 0 && self.local(k) == Some(local)).then_some(k)
    }

    /// The first instance number whose model start is at or after `local`.
    fn first_at_or_after(&self, local: i64) -> Option<i64> {
        if local <= self.first {
            return Some(0);
        }
        let k = if self.monthly {
            let (a, b) = (self.first_time()?, date_of(local)?);
            let m =
                i64::from(b.year() - a.year()) * 12 + i64::from(b.month()) - i64::from(a.month());
            (m / i64::from(self.step) - 1).max(0)
        } else {
            let s = self.step_secs();
            (local - self.first + s - 1) / s
        };
        // Months differ in length: a few steps at most settle it.
        (k..k + 4).find(|&k| self.local(k).is_some_and(|l| l >= local))
    }

    /// Include / skip / `None` (parse) for a plain time-range on the kind
    /// this object holds.
    pub fn decide(&self, tr: &TimeRange) -> Option<bool> {
        let (from, to) = (i64::from(self.from_day) * DAY, i64::from(self.to_day) * DAY);
        if tr.start.saturating_sub(1) < from || tr.end > to {
            return None;
        }
        let (min_off, max_off) = (i64::from(self.min_off) * 60, i64::from(self.max_off) * 60);
        let dur = i64::from(self.dur);
        // Instance k can touch the window only if its earliest start is
        // before the end and its latest end reaches the start.
        let lo = self.first_at_or_after(tr.start.saturating_sub(dur + 1).checked_add(min_off)?)?;
        let hi = self
            .first_at_or_after(tr.end.checked_add(max_off)?)?
            .min(i64::from(self.count));
        if hi - lo > MAX_CANDIDATES {
            return None;
        }
        let mut possible = false;
        for k in lo..hi {
            if (i64::from(self.gap.0)..i64::from(self.gap.1)).contains(&k) {
                continue;
            }
            let local = self.local(k)?;
            let at = |off: i64| Occurrence {
                start: local - off,
                end: local - off + dur,
                all_day: false,
                rid: None,
                src: 0,
                end_kind: self.end,
            };
            // Which offsets hit is an interval, so both ends hitting means
            // the real one (between them) does.
            if instance_hits(&at(max_off), tr) && instance_hits(&at(min_off), tr) {
                return Some(true);
            }
            possible = true;
        }
        (!possible).then_some(false)
    }

    /// Text for the saved index (comma-separated fields).
    pub fn to_text(&self) -> String {
        let end = match self.end {
            EndKind::None => 'N',
            EndKind::Explicit => 'E',
            EndKind::Duration => 'D',
        };
        format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{end}",
            self.span.0,
            self.span.1,
            self.first,
            self.dur,
            self.count,
            self.gap.0,
            self.gap.1,
            self.from_day,
            self.to_day,
            self.min_off,
            self.max_off,
            self.step,
            u8::from(self.monthly),
        )
    }

    /// Reads [`Periodic::to_text`]'s output.
    pub fn parse(text: &str) -> Option<Periodic> {
        let f: Vec<&str> = text.split(',').collect();
        let [s0, s1, first, dur, count, g0, g1, from, to, min, max, step, monthly, end] = f[..]
        else {
            return None;
        };
        Some(Periodic {
            span: (s0.parse().ok()?, s1.parse().ok()?),
            first: first.parse().ok()?,
            dur: dur.parse().ok()?,
            count: count.parse().ok()?,
            gap: (g0.parse().ok()?, g1.parse().ok()?),
            from_day: from.parse().ok()?,
            to_day: to.parse().ok()?,
            min_off: min.parse().ok()?,
            max_off: max.parse().ok()?,
            step: step.parse().ok().filter(|s| *s > 0)?,
            monthly: match monthly {
                "0" => false,
                "1" => true,
                _ => return None,
            },
            end: match end {
                "N" => EndKind::None,
                "E" => EndKind::Explicit,
                "D" => EndKind::Duration,
                _ => return None,
            },
        })
    }
}

fn date_of(local: i64) -> Option<chrono::NaiveDate> {
    chrono::DateTime::from_timestamp(local, 0).map(|d| d.date_naive())
}

/// FREQ and INTERVAL of a rule as a step in days or months; the rest of the
/// rule is checked against its expansion, not read.
fn step_of(rule: &str) -> Option<(u16, bool)> {
    let (mut unit, mut interval): (Option<(u16, bool)>, u16) = (None, 1);
    for part in rule.trim().split(';') {
        let (k, v) = part.split_once('=')?;
        if k.eq_ignore_ascii_case("FREQ") {
            unit = Some(match v.to_ascii_uppercase().as_str() {
                "DAILY" => (1, false),
                "WEEKLY" => (7, false),
                "MONTHLY" => (1, true),
                "YEARLY" => (12, true),
                _ => return None,
            });
        } else if k.eq_ignore_ascii_case("INTERVAL") {
            interval = v.parse().ok().filter(|i| *i > 0)?;
        }
    }
    let (n, monthly) = unit?;
    Some((n.checked_mul(interval)?, monthly))
}

/// The summary of a parsed object whose `span` was just computed, when it is
/// one recurring VEVENT or VJOURNAL (no RDATE, no overrides, fixed times)
/// whose expansion the model reproduces. `now` (UTC seconds) places the
/// checked horizon of an unbounded rule.
pub(crate) fn periodic_of(obj: &Object, span: Span, now: i64) -> Option<Periodic> {
    let span = match span {
        Span::Bounded(lo, hi) => (lo, hi),
        Span::Unbounded => (1, 0),
        Span::Unknown => return None,
    };
    let mut comps = obj
        .comps
        .iter()
        .filter(|c| !is(c.name.as_str(), "VTIMEZONE"));
    let c = comps.next()?;
    if comps.next().is_some() {
        return None;
    }
    let kind = c.name.as_str();
    if !is(kind, "VEVENT") && !is(kind, "VJOURNAL") {
        return None;
    }
    if prop(c, "RDATE").is_some() || prop(c, "RECURRENCE-ID").is_some() {
        return None;
    }
    let mut rules = props(c, "RRULE");
    let (step, monthly) = step_of(rules.next()?.val.as_str())?;
    if rules.next().is_some() {
        return None;
    }
    let t = timing(obj, c, kind)?;
    if t.start.value.is_date {
        return None;
    }
    let mut p = Periodic {
        span,
        first: t.start.value.local.and_utc().timestamp(),
        dur: 0,
        count: u32::MAX,
        gap: (0, 0),
        from_day: i32::MIN,
        to_day: i32::MAX,
        min_off: 0,
        max_off: 0,
        step,
        monthly,
        end: t.end_kind,
    };
    let bounded = !super::recur::has_unbounded_rule(c);
    // The expanded horizon, in UTC.
    let (lo, hi) = if bounded {
        (i64::MIN / 4, i64::MAX / 4)
    } else {
        let start = t.start.utc;
        let back = now - BACK_DAYS * DAY;
        let lo = if start >= back { i64::MIN / 4 } else { back };
        (lo, start.max(now) + AHEAD_DAYS * DAY)
    };
    verify(obj, c, kind, &mut p, lo, hi, bounded)?;
    Some(p)
}

/// Fills in what only the expansion tells (length, offsets, count, gap,
/// horizon) and checks that the model describes every instance of `c`
/// between `lo` and `hi`.
fn verify(
    obj: &Object,
    c: &Component,
    kind: &str,
    p: &mut Periodic,
    lo: i64,
    hi: i64,
    bounded: bool,
) -> Option<()> {
    let exp = occurrences(obj, &[c], kind, lo, hi);
    if !exp.complete || obj.used_floating.get() {
        return None;
    }
    let zone = timing(obj, c, kind)?.start.zone;
    let mut seen: Vec<i64> = Vec::with_capacity(exp.items.len());
    let (mut min_off, mut max_off, mut dur) = (i64::MAX, i64::MIN, None);
    for o in &exp.items {
        let local = zone.local_of(o.start).and_utc().timestamp();
        let k = p.index_of(local)?;
        let off = local - o.start;
        let len = o.end - o.start;
        if o.src != 0 || o.all_day || o.end_kind != p.end || off % 60 != 0 || off.abs() > MAX_OFFSET
        {
            return None;
        }
        if *dur.get_or_insert(len) != len || seen.last().is_some_and(|l| *l >= k) {
            return None;
        }
        min_off = min_off.min(off);
        max_off = max_off.max(off);
        seen.push(k);
    }
    let last_k = *seen.last()?;
    p.dur = u32::try_from(dur?).ok()?;
    p.min_off = i16::try_from(min_off / 60).ok()?;
    p.max_off = i16::try_from(max_off / 60).ok()?;
    let dur = i64::from(p.dur);
    if bounded {
        p.count = u32::try_from(last_k + 1).ok()?;
    } else {
        // Windows are decided only where every instance that could touch
        // them lies inside the expanded horizon with room to spare.
        let margin = 3 * DAY + dur;
        let from = if lo == i64::MIN / 4 { lo } else { lo + margin };
        p.from_day = i32::try_from(from.div_euclid(DAY) + 1).unwrap_or(i32::MIN);
        p.to_day = i32::try_from((hi - 3 * DAY).div_euclid(DAY)).ok()?;
        if i64::from(p.to_day) * DAY <= i64::from(p.from_day) * DAY {
            return None;
        }
    }
    // Every model instance that can touch a decided window was expanded if
    // it exists (its UTC start is within MAX_OFFSET of its wall clock), so
    // the ones missing do not exist; they must form one run (the gap).
    let (k_lo, k_hi) = if bounded {
        (0, last_k)
    } else {
        let from = i64::from(p.from_day) * DAY;
        let to = i64::from(p.to_day) * DAY;
        let k_lo = p.first_at_or_after((from - dur - 1 - MAX_OFFSET).max(i64::MIN / 4))?;
        (k_lo, p.first_at_or_after(to + MAX_OFFSET)? - 1)
    };
    let mut missing: Option<(i64, i64)> = None;
    let mut next = k_lo;
    let present = seen.iter().copied().filter(|k| (k_lo..=k_hi).contains(k));
    for k in present.chain(std::iter::once(k_hi + 1)) {
        if k > next {
            if missing.is_some() {
                return None;
            }
            missing = Some((next, k));
        }
        next = k + 1;
    }
    if let Some((a, b)) = missing {
        p.gap = (u32::try_from(a).ok()?, u32::try_from(b).ok()?);
    }
    Some(())
}
