//! A VTIMEZONE for an IANA zone (RFC 5545 §3.6.5), for calendar-timezone
//! when only the zone's name is stored. The zone's current rules are read
//! from chrono-tz's transitions in one year and written as yearly RRULEs.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Offset, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;

/// Year whose transitions describe the rules; DTSTARTs are placed in 1970.
const RULE_YEAR: i32 = 2026;

fn offset_at(tz: Tz, t: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc()
}

fn fmt_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.abs();
    format!("{sign}{:02}{:02}", a / 3600, (a % 3600) / 60)
}

/// UTC instants in `year` where the offset changes (to the minute).
fn transitions(tz: Tz, year: i32) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let start = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap();
    let mut prev = offset_at(tz, start);
    for day in 1..=366 {
        let t = start + Duration::days(day);
        let now = offset_at(tz, t);
        if now != prev {
            // Narrow down within the day, minute by minute on a bisection.
            let (mut lo, mut hi) = (t - Duration::days(1), t);
            while hi - lo > Duration::minutes(1) {
                let mid = lo + (hi - lo) / 2;
                if offset_at(tz, mid) == prev {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(hi);
            prev = now;
        }
    }
    out
}

/// `n`th (or -1 = last) weekday of a month, as RRULE BYDAY writes it.
fn ordinal(date: NaiveDate) -> i32 {
    let next_week = date + Duration::days(7);
    if next_week.month() != date.month() {
        -1
    } else {
        (date.day() as i32 - 1) / 7 + 1
    }
}

fn weekday_code(w: Weekday) -> &'static str {
    ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][w.num_days_from_monday() as usize]
}

fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: i32) -> Option<NaiveDate> {
    if n > 0 {
        return NaiveDate::from_weekday_of_month_opt(year, month, weekday, n as u8);
    }
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let mut d = first_next - Duration::days(1);
    while d.weekday() != weekday {
        d -= Duration::days(1);
    }
    Some(d)
}

/// A whole VCALENDAR holding the VTIMEZONE of `tz`.
pub fn vcalendar_for(tz: Tz) -> String {
    let name = tz.name();
    let mut out = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davdir//davdir//EN\r\nBEGIN:VTIMEZONE\r\nTZID:{name}\r\nX-LIC-LOCATION:{name}\r\n"
    );
    let changes = transitions(tz, RULE_YEAR);
    if changes.is_empty() {
        let off = fmt_offset(offset_at(
            tz,
            Utc.with_ymd_and_hms(RULE_YEAR, 1, 1, 0, 0, 0).unwrap(),
        ));
        out.push_str(&format!(
            "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:{off}\r\nTZOFFSETTO:{off}\r\nEND:STANDARD\r\n"
        ));
    } else {
        let offsets: Vec<i32> = changes.iter().map(|t| offset_at(tz, *t)).collect();
        let daylight = *offsets.iter().max().unwrap_or(&0);
        for t in &changes {
            let from = offset_at(tz, *t - Duration::minutes(1));
            let to = offset_at(tz, *t);
            // Wall-clock time of the change, in the offset that was in force.
            let local = t.naive_utc() + Duration::seconds(from as i64);
            let (n, wd) = (ordinal(local.date()), local.weekday());
            let kind = if to == daylight && offsets.len() > 1 {
                "DAYLIGHT"
            } else {
                "STANDARD"
            };
            let first = nth_weekday(1970, local.month(), wd, n).unwrap_or(local.date());
            out.push_str(&format!(
                "BEGIN:{kind}\r\nDTSTART:{}T{:02}{:02}00\r\nRRULE:FREQ=YEARLY;BYMONTH={};BYDAY={}{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\nEND:{kind}\r\n",
                first.format("%Y%m%d"),
                local.hour(),
                local.minute(),
                local.month(),
                n,
                weekday_code(wd),
                fmt_offset(from),
                fmt_offset(to),
            ));
        }
    }
    out.push_str("END:VTIMEZONE\r\nEND:VCALENDAR\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn berlin_has_eu_rules() {
        let text = vcalendar_for(chrono_tz::Europe::Berlin);
        assert!(text.contains("BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200"), "{text}");
        assert!(text.contains("BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100"), "{text}");
        assert!(crate::ical::inspect(
            text.replace(
                "END:VTIMEZONE",
                "END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260101T000000Z\r\nEND:VEVENT"
            )
            .as_bytes()
        )
        .is_ok());
    }

    #[test]
    fn new_york_and_tokyo() {
        let ny = vcalendar_for(chrono_tz::America::New_York);
        assert!(
            ny.contains(
                "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400"
            ),
            "{ny}"
        );
        assert!(
            ny.contains(
                "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500"
            ),
            "{ny}"
        );
        let tokyo = vcalendar_for(chrono_tz::Asia::Tokyo);
        assert!(tokyo.contains("BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900"), "{tokyo}");
    }
}
