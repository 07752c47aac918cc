//! Time zones: turning wall-clock times into UTC instants and back.
//!
//! A TZID is mapped to an IANA zone when possible (chrono-tz: exact name,
//! Windows name, or an IANA suffix of a vendor prefix such as
//! `/mozilla.org/.../Europe/Berlin`). Otherwise the file's VTIMEZONE
//! observances are evaluated directly.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use chrono::{Datelike, LocalResult, NaiveDateTime, Offset, TimeDelta, TimeZone};
use icalendar::parser::Component;

use super::rule::Rule;
use super::value::{parse_date_or_datetime, parse_utc_offset};
use super::windows_tz;

/// The zone a query reads floating times in (the calendar's or the query's
/// CALDAV:timezone): an IANA zone, or a client's VTIMEZONE kept as text, since
/// the evaluator built from it belongs to one parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FloatingTz {
    Iana(chrono_tz::Tz),
    /// A whole VCALENDAR/VTIMEZONE text whose TZID names no IANA zone.
    Vtimezone(std::sync::Arc<str>),
}

/// A resolved zone able to convert wall-clock times to UTC.
#[derive(Clone, Debug)]
pub(crate) enum Zone {
    Utc,
    Iana(chrono_tz::Tz),
    Custom(Rc<CustomTz>),
}

impl Zone {
    /// The zone used for floating times when the caller gives no default.
    pub(crate) fn floating(default: Option<&FloatingTz>) -> Zone {
        match default {
            None => Zone::Utc,
            Some(FloatingTz::Iana(tz)) => Zone::Iana(*tz),
            Some(FloatingTz::Vtimezone(text)) => custom_from_text(text).unwrap_or(Zone::Utc),
        }
    }

    /// UTC unix seconds of a wall-clock time. Times in a DST gap use the offset
    /// before the gap and repeated times use their first occurrence (RFC 5545
    /// §3.3.5).
    pub(crate) fn to_utc(&self, local: NaiveDateTime) -> i64 {
        let naive = local.and_utc().timestamp();
        match self {
            Zone::Utc => naive,
            Zone::Iana(tz) => match tz.from_local_datetime(&local) {
                LocalResult::Single(t) => t.timestamp(),
                LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
                LocalResult::None => {
                    let before = local - TimeDelta::days(1);
                    let off = tz.offset_from_utc_datetime(&before).fix().local_minus_utc();
                    naive - off as i64
                }
            },
            Zone::Custom(c) => c.to_utc(naive),
        }
    }

    /// Wall-clock time of a UTC instant in this zone.
    pub(crate) fn local_of(&self, ts: i64) -> NaiveDateTime {
        let utc = chrono::DateTime::from_timestamp(ts, 0)
            .unwrap_or_default()
            .naive_utc();
        match self {
            Zone::Utc => utc,
            Zone::Iana(tz) => tz.from_utc_datetime(&utc).naive_local(),
            Zone::Custom(c) => utc + TimeDelta::seconds(c.offset_at(ts) as i64),
        }
    }
}

/// Maps a TZID (or X-LIC-LOCATION) to an IANA zone when it names one.
/// The zone of the first VTIMEZONE in a text, evaluated from its observances.
pub(crate) fn custom_from_text(text: &str) -> Option<Zone> {
    let roots = icalendar::parser::read_components(text).ok()?;
    let vtz = roots.iter().find_map(find_vtimezone)?;
    CustomTz::from_vtimezone(vtz).map(|c| Zone::Custom(Rc::new(c)))
}

pub(crate) fn find_vtimezone<'c, 'a>(c: &'c Component<'a>) -> Option<&'c Component<'a>> {
    if c.name.as_str().eq_ignore_ascii_case("VTIMEZONE") {
        return Some(c);
    }
    c.components.iter().find_map(find_vtimezone)
}

pub(crate) fn iana_for(name: &str) -> Option<chrono_tz::Tz> {
    let name = name.trim().trim_matches('"');
    if let Ok(tz) = name.parse::<chrono_tz::Tz>() {
        return Some(tz);
    }
    if let Some(iana) = windows_tz::to_iana(name) {
        return iana.parse().ok();
    }
    // Vendor prefixes: try every suffix after a '/'.
    name.match_indices('/')
        .filter_map(|(i, _)| name[i + 1..].parse::<chrono_tz::Tz>().ok())
        .next()
}

/// Builds the TZID -> zone table for one calendar object.
pub(crate) fn zones_of(vtimezones: &[&Component<'_>]) -> HashMap<String, Zone> {
    let mut out = HashMap::new();
    for vtz in vtimezones {
        let Some(tzid) = vtz.find_prop("TZID") else {
            continue;
        };
        let tzid = tzid.val.as_str().to_string();
        let by_name = iana_for(&tzid).or_else(|| {
            vtz.find_prop("X-LIC-LOCATION")
                .and_then(|p| iana_for(p.val.as_str()))
        });
        let zone = match by_name {
            Some(tz) => Zone::Iana(tz),
            None => match CustomTz::from_vtimezone(vtz) {
                Some(c) => Zone::Custom(Rc::new(c)),
                None => continue,
            },
        };
        out.insert(tzid, zone);
    }
    out
}

/// Onsets (UTC) and the offsets they switch to, sorted.
type Transitions = Rc<Vec<(i64, i32)>>;

/// One STANDARD or DAYLIGHT observance of a VTIMEZONE.
#[derive(Debug)]
struct Observance {
    start: NaiveDateTime,
    from: i32,
    to: i32,
    rrule: Option<String>,
    rdates: Vec<NaiveDateTime>,
}

/// A zone defined only by its VTIMEZONE. Transitions are computed per year on
/// demand and cached, since the same object converts many instances.
#[derive(Debug)]
pub(crate) struct CustomTz {
    observances: Vec<Observance>,
    years: RefCell<HashMap<i32, Transitions>>,
}

impl CustomTz {
    fn from_vtimezone(vtz: &Component<'_>) -> Option<CustomTz> {
        let mut observances = Vec::new();
        for obs in &vtz.components {
            let kind = obs.name.as_str();
            if !kind.eq_ignore_ascii_case("STANDARD") && !kind.eq_ignore_ascii_case("DAYLIGHT") {
                continue;
            }
            let start = obs
                .find_prop("DTSTART")
                .and_then(|p| parse_date_or_datetime(p.val.as_str()))?
                .local;
            let from = obs
                .find_prop("TZOFFSETFROM")
                .and_then(|p| parse_utc_offset(p.val.as_str()))?;
            let to = obs
                .find_prop("TZOFFSETTO")
                .and_then(|p| parse_utc_offset(p.val.as_str()))?;
            let rrule = obs.find_prop("RRULE").map(|p| p.val.as_str().to_string());
            let rdates = obs
                .properties
                .iter()
                .filter(|p| p.name.as_str().eq_ignore_ascii_case("RDATE"))
                .flat_map(|p| p.val.as_str().split(','))
                .filter_map(|v| parse_date_or_datetime(v).map(|d| d.local))
                .collect();
            observances.push(Observance {
                start,
                from,
                to,
                rrule,
                rdates,
            });
        }
        if observances.is_empty() {
            return None;
        }
        observances.sort_by_key(|o| o.start);
        Some(CustomTz {
            observances,
            years: RefCell::new(HashMap::new()),
        })
    }

    /// Transitions (UTC onset, new offset) whose onset falls in `year`.
    fn transitions(&self, year: i32) -> Transitions {
        if let Some(t) = self.years.borrow().get(&year) {
            return t.clone();
        }
        let year_end = chrono::NaiveDate::from_ymd_opt(year + 1, 1, 2)
            .unwrap_or(chrono::NaiveDate::MAX)
            .and_time(chrono::NaiveTime::MIN);
        let mut out = Vec::new();
        let mut push = |local: NaiveDateTime, o: &Observance| {
            let ts = local.and_utc().timestamp() - o.from as i64;
            if chrono::DateTime::from_timestamp(ts, 0).map(|d| d.year()) == Some(year) {
                out.push((ts, o.to));
            }
        };
        for o in &self.observances {
            push(o.start, o);
            for r in &o.rdates {
                push(*r, o);
            }
            if let Some(rule) = &o.rrule {
                // UNTIL is in UTC; onsets are in the pre-transition offset.
                let from = o.from as i64;
                if let Some(rule) = Rule::new(rule, o.start, |d| {
                    if d.utc {
                        d.local + TimeDelta::seconds(from)
                    } else {
                        d.local
                    }
                }) {
                    for t in rule.iter().take_while(|t| *t < year_end) {
                        push(t, o);
                    }
                }
            }
        }
        out.sort_unstable();
        let out = Rc::new(out);
        self.years.borrow_mut().insert(year, out.clone());
        out
    }

    /// Offset (seconds east of UTC) in effect at a UTC instant.
    fn offset_at(&self, ts: i64) -> i32 {
        let year = chrono::DateTime::from_timestamp(ts, 0)
            .map(|d| d.year())
            .unwrap_or(1970);
        for y in (year - 3..=year).rev() {
            if let Some((_, off)) = self.transitions(y).iter().rev().find(|(t, _)| *t <= ts) {
                return *off;
            }
        }
        // Before (or long after) every listed onset.
        let first = &self.observances[0];
        if ts < first.start.and_utc().timestamp() - first.from as i64 {
            first.from
        } else {
            self.observances.last().map_or(0, |o| o.to)
        }
    }

    fn to_utc(&self, naive: i64) -> i64 {
        let mut offsets: Vec<i32> = self.observances.iter().map(|o| o.to).collect();
        offsets.extend(self.observances.iter().map(|o| o.from));
        offsets.sort_unstable();
        offsets.dedup();
        let valid = offsets
            .iter()
            .map(|o| naive - *o as i64)
            .filter(|u| self.offset_matches(*u, naive))
            .min();
        valid.unwrap_or_else(|| naive - self.offset_at(naive - 86_400 - 14 * 3600) as i64)
    }

    fn offset_matches(&self, utc: i64, naive: i64) -> bool {
        utc + self.offset_at(utc) as i64 == naive
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use icalendar::parser::read_calendar;

    fn local(s: &str) -> NaiveDateTime {
        parse_date_or_datetime(s).unwrap().local
    }

    const CUSTOM: &str = "BEGIN:VCALENDAR\nBEGIN:VTIMEZONE\nTZID:My Berlin\nBEGIN:STANDARD\nDTSTART:19701025T030000\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nEND:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:19700329T020000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nEND:DAYLIGHT\nEND:VTIMEZONE\nEND:VCALENDAR\n";

    #[test]
    fn names_resolve_to_iana() {
        assert_eq!(
            iana_for("Europe/Berlin"),
            Some(chrono_tz::Tz::Europe__Berlin)
        );
        assert_eq!(
            iana_for("/mozilla.org/20050126_1/America/New_York"),
            Some(chrono_tz::Tz::America__New_York)
        );
        assert_eq!(
            iana_for("Eastern Standard Time"),
            Some(chrono_tz::Tz::America__New_York)
        );
        assert_eq!(iana_for("My Berlin"), None);
    }

    #[test]
    fn iana_gap_and_overlap() {
        let z = Zone::Iana(chrono_tz::Tz::Europe__Berlin);
        // 02:30 on 2024-03-31 does not exist: read with the +01:00 offset.
        assert_eq!(z.to_utc(local("20240331T023000")), 1_711_848_600);
        // 02:30 on 2024-10-27 happens twice: the first (+02:00) wins.
        assert_eq!(z.to_utc(local("20241027T023000")), 1_729_989_000);
        assert_eq!(z.local_of(1_729_989_000), local("20241027T023000"));
    }

    #[test]
    fn vtimezone_observances_match_iana() {
        let cal = read_calendar(CUSTOM).unwrap();
        let vtz: Vec<_> = cal.components.iter().collect();
        let zones = zones_of(&vtz);
        let custom = zones.get("My Berlin").unwrap();
        assert!(matches!(custom, Zone::Custom(_)));
        let iana = Zone::Iana(chrono_tz::Tz::Europe__Berlin);
        for s in [
            "20240115T120000",
            "20240331T013000",
            "20240331T023000",
            "20240331T033000",
            "20240715T120000",
            "20241027T023000",
            "20241027T033000",
            "19650101T000000",
        ] {
            let t = local(s);
            assert_eq!(custom.to_utc(t), iana.to_utc(t), "{s}");
            let u = iana.to_utc(t);
            assert_eq!(custom.local_of(u), iana.local_of(u), "{s}");
        }
    }
}
