//! One RRULE evaluated in wall-clock time with the `rrule` crate.
//!
//! Recurrence is defined on local time (RFC 5545 §3.3.10), so rules are run on
//! naive times disguised as UTC; callers convert each instance to UTC with the
//! DTSTART's zone afterwards. This also lets VTIMEZONE-only zones recur.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone};
use rrule::{RRule, Tz as RTz, Unvalidated};

use super::value::{parse_date_or_datetime, DateValue};

/// A parsed RRULE ready to be iterated from a given DTSTART.
pub(crate) struct Rule {
    set: Option<rrule::RRuleSet>,
}

impl Rule {
    /// Parses `value` (the RRULE property value). `until_to_local` converts an
    /// UNTIL value into the DTSTART's wall-clock time. Returns `None` when the
    /// rule cannot be understood.
    pub(crate) fn new(
        value: &str,
        dtstart: NaiveDateTime,
        until_to_local: impl Fn(&DateValue) -> NaiveDateTime,
    ) -> Option<Rule> {
        Rule::starting_near(value, dtstart, until_to_local, None)
    }

    /// Like [`Rule::new`], but instances before `not_before` may be skipped
    /// cheaply: a rule without COUNT is restarted from a later anchor in the
    /// same phase (whole intervals later, BYxxx defaults made explicit), so a
    /// rule that began decades ago is not walked from its DTSTART.
    pub(crate) fn starting_near(
        value: &str,
        dtstart: NaiveDateTime,
        until_to_local: impl Fn(&DateValue) -> NaiveDateTime,
        not_before: Option<NaiveDateTime>,
    ) -> Option<Rule> {
        let mut until = None;
        let mut rest = String::with_capacity(value.len() + 24);
        for part in value.trim().split(';').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=')?;
            if k.eq_ignore_ascii_case("UNTIL") {
                let dv = parse_date_or_datetime(v)?;
                until = Some(if dv.is_date {
                    // A DATE until includes that whole day.
                    dv.local + chrono::TimeDelta::seconds(86_399)
                } else {
                    until_to_local(&dv)
                });
                continue;
            }
            if !rest.is_empty() {
                rest.push(';');
            }
            rest.push_str(&part.to_ascii_uppercase());
        }
        let mut anchor = dtstart;
        if let Some(nb) = not_before.filter(|nb| *nb > dtstart) {
            if let Some(a) = fast_forward(&mut rest, dtstart, nb) {
                anchor = a;
            }
        }
        let start = fake_utc(anchor);
        let mut rule: RRule<Unvalidated> = rest.parse().ok()?;
        if let Some(u) = until {
            if u < dtstart {
                // Nothing but DTSTART itself, which callers always add.
                return Some(Rule { set: None });
            }
            rule = rule.until(fake_utc(u));
        }
        let set = rule.build(start).ok()?.limit();
        Some(Rule { set: Some(set) })
    }

    /// Instances in ascending wall-clock order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = NaiveDateTime> + '_ {
        self.set
            .iter()
            .flat_map(|s| s.into_iter())
            .map(|d| d.naive_utc())
    }
}

/// Picks a later anchor for a COUNT-less rule, at least one interval before
/// `nb`, and appends the BYxxx defaults that RFC 5545 derives from DTSTART.
fn fast_forward(
    rule: &mut String,
    dtstart: NaiveDateTime,
    nb: NaiveDateTime,
) -> Option<NaiveDateTime> {
    let mut freq = None;
    let mut interval: i64 = 1;
    let has = |k: &str| rule.split(';').any(|p| p.split('=').next() == Some(k));
    if has("COUNT") {
        return None;
    }
    let by_day_like = has("BYDAY") || has("BYMONTHDAY") || has("BYYEARDAY") || has("BYWEEKNO");
    let by_month = has("BYMONTH");
    for part in rule.split(';') {
        match part.split_once('=') {
            Some(("FREQ", f)) => freq = Some(f.to_string()),
            Some(("INTERVAL", i)) => interval = i.parse().ok().filter(|i: &i64| *i > 0)?,
            _ => {}
        }
    }
    let unit = match freq?.as_str() {
        "SECONDLY" => 1,
        "MINUTELY" => 60,
        "HOURLY" => 3600,
        "DAILY" => 86_400,
        "WEEKLY" => 604_800,
        "MONTHLY" => {
            let months = |t: NaiveDateTime| t.year() as i64 * 12 + t.month0() as i64;
            let k = (months(nb) - months(dtstart)) / interval - 1;
            if k <= 0 {
                return None;
            }
            let m = months(dtstart) + k * interval;
            let day1 = NaiveDate::from_ymd_opt((m / 12) as i32, (m % 12) as u32 + 1, 1)?;
            if !by_day_like {
                rule.push_str(&format!(";BYMONTHDAY={}", dtstart.day()));
            }
            return Some(day1.and_time(dtstart.time()));
        }
        "YEARLY" => {
            let k = (nb.year() as i64 - dtstart.year() as i64) / interval - 1;
            if k <= 0 {
                return None;
            }
            let jan1 =
                NaiveDate::from_ymd_opt((dtstart.year() as i64 + k * interval) as i32, 1, 1)?;
            if !by_day_like {
                rule.push_str(&format!(";BYMONTHDAY={}", dtstart.day()));
                if !by_month {
                    rule.push_str(&format!(";BYMONTH={}", dtstart.month()));
                }
            }
            return Some(jan1.and_time(dtstart.time()));
        }
        _ => return None,
    };
    let step = unit * interval;
    let k = (nb - dtstart).num_seconds() / step - 1;
    if k <= 0 {
        return None;
    }
    dtstart.checked_add_signed(chrono::TimeDelta::try_seconds(k.checked_mul(step)?)?)
}

fn fake_utc(t: NaiveDateTime) -> chrono::DateTime<RTz> {
    RTz::UTC.from_utc_datetime(&t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        parse_date_or_datetime(s).unwrap().local
    }

    fn run(rule: &str, start: &str, n: usize) -> Vec<String> {
        Rule::new(rule, dt(start), |d| d.local)
            .unwrap()
            .iter()
            .take(n)
            .map(|t| t.format("%Y%m%dT%H%M%S").to_string())
            .collect()
    }

    #[test]
    fn monthly_byday_and_count() {
        assert_eq!(
            run("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", "20240105T090000", 10),
            ["20240126T090000", "20240223T090000", "20240329T090000"]
        );
    }

    /// Fast-forwarded rules yield exactly the tail of the full sequence.
    #[test]
    fn fast_forward_preserves_the_sequence() {
        let rules = [
            ("FREQ=DAILY;INTERVAL=3", "20000131T093000"),
            (
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=SU",
                "20000103T080000",
            ),
            ("FREQ=WEEKLY", "20000105T080000"),
            ("FREQ=MONTHLY", "20000131T120000"),
            ("FREQ=MONTHLY;INTERVAL=5;BYDAY=-1FR", "20000131T120000"),
            ("FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1", "20000131T120000"),
            ("FREQ=YEARLY", "20000229T120000"),
            ("FREQ=YEARLY;INTERVAL=2;BYMONTH=3", "20000315T120000"),
            ("FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", "20000315T120000"),
            ("FREQ=HOURLY;INTERVAL=7;BYMINUTE=5,35", "20000315T120000"),
            ("FREQ=MONTHLY;UNTIL=20300101T000000", "20000115T120000"),
        ];
        let nb = dt("20240610T000000");
        for (r, s) in rules {
            let full: Vec<_> = Rule::new(r, dt(s), |d| d.local)
                .unwrap()
                .iter()
                .skip_while(|t| *t < nb)
                .take(40)
                .collect();
            let fast: Vec<_> = Rule::starting_near(r, dt(s), |d| d.local, Some(nb))
                .unwrap()
                .iter()
                .skip_while(|t| *t < nb)
                .take(40)
                .collect();
            assert_eq!(full, fast, "{r}");
            assert!(!full.is_empty());
        }
    }

    #[test]
    fn until_is_inclusive_and_date_until_covers_the_day() {
        assert_eq!(
            run("FREQ=DAILY;UNTIL=20240103T090000", "20240101T090000", 10).len(),
            3
        );
        assert_eq!(
            run("FREQ=DAILY;UNTIL=20240103", "20240101T090000", 10).len(),
            3
        );
        assert!(run("FREQ=DAILY;UNTIL=20231231", "20240101T090000", 10).is_empty());
        assert!(Rule::new("FREQ=SOMETIMES", dt("20240101T090000"), |d| d.local).is_none());
    }
}
