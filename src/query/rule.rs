//! One RRULE evaluated in wall-clock time with the `rrule` crate.
//!
//! Recurrence is defined on local time (RFC 5545 §3.3.10), so rules are run on
//! naive times disguised as UTC; callers convert each instance to UTC with the
//! DTSTART's zone afterwards. This also lets VTIMEZONE-only zones recur.

use chrono::{NaiveDateTime, TimeZone};
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
        let mut until = None;
        let mut rest = String::with_capacity(value.len());
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
        let start = fake_utc(dtstart);
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
