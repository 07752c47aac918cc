//! Parsing of the iCalendar value types the query engine reasons about
//! (RFC 5545 §3.3): DATE, DATE-TIME, DURATION, PERIOD and UTC-OFFSET.
//!
//! Values are kept as wall-clock `NaiveDateTime`s; attaching a zone is the
//! caller's job because the zone comes from a parameter, not the value.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};

/// A DATE or DATE-TIME value as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateValue {
    /// Wall-clock time; midnight for DATE values.
    pub local: NaiveDateTime,
    /// True for VALUE=DATE (all-day) values.
    pub is_date: bool,
    /// True when the value carried the `Z` suffix.
    pub utc: bool,
}

/// Parses `YYYYMMDD` or `YYYYMMDDTHHMMSS[Z]`.
pub(crate) fn parse_date_or_datetime(s: &str) -> Option<DateValue> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 8 || !b[..8].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(4..6)?, num(6..8)?)?;
    if b.len() == 8 {
        return Some(DateValue {
            local: date.and_time(NaiveTime::MIN),
            is_date: true,
            utc: false,
        });
    }
    if (b.len() != 15 && b.len() != 16) || b[8] != b'T' || !b[9..15].iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let utc = match b.get(15) {
        None => false,
        Some(b'Z') | Some(b'z') => true,
        Some(_) => return None,
    };
    // Leap seconds (60) are clamped rather than rejected.
    let sec = num(13..15)?.min(59);
    let time = NaiveTime::from_hms_opt(num(9..11)?, num(11..13)?, sec)?;
    Some(DateValue {
        local: date.and_time(time),
        is_date: false,
        utc,
    })
}

/// Whether a text is a DATE or DATE-TIME naming a real day and time.
pub(crate) fn valid_date_value(s: &str) -> bool {
    parse_date_or_datetime(s).is_some()
}

/// Whether a DATE, DATE-TIME or PERIOD value names year 0000: RFC 5545's
/// syntax allows it, but no client means it (a year field left at zero), and
/// the server refuses it rather than file an event 2,026 years back.
pub(crate) fn names_year_zero(s: &str) -> bool {
    s.split('/').any(|part| part.trim().starts_with("0000"))
}

/// Whether a text is a PERIOD (start/end or start/duration).
pub(crate) fn valid_period_value(s: &str) -> bool {
    parse_period(s).is_some()
}

/// Parses a DURATION (`[+-]P[nW][nD][T[nH][nM][nS]]`) into a signed delta,
/// counting a day as 86 400 seconds.
pub(crate) fn parse_duration(s: &str) -> Option<TimeDelta> {
    let (days, secs) = parse_duration_parts(s)?;
    TimeDelta::try_seconds(days.checked_mul(86_400)?.checked_add(secs)?)
}

/// Parses a DURATION into its nominal part (weeks and days, in days) and its
/// exact part (hours, minutes and seconds, in seconds), both signed. RFC 5545
/// §3.3.6: a day added to a local time keeps the time of day across DST
/// changes, an hour is always 3 600 seconds (so `P1D` and `PT24H` differ).
pub(crate) fn parse_duration_parts(s: &str) -> Option<(i64, i64)> {
    let s = s.trim();
    let (neg, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    let mut days: i64 = 0;
    let mut secs: i64 = 0;
    let mut num: Option<i64> = None;
    let mut in_time = false;
    let mut any = false;
    for c in rest.chars() {
        match c.to_ascii_uppercase() {
            d @ '0'..='9' => {
                let v = num
                    .unwrap_or(0)
                    .checked_mul(10)?
                    .checked_add(d as i64 - '0' as i64)?;
                num = Some(v);
            }
            'T' if !in_time && num.is_none() => in_time = true,
            unit => {
                let n = num.take()?;
                let (total, mult) = match (unit, in_time) {
                    ('W', false) => (&mut days, 7),
                    ('D', false) => (&mut days, 1),
                    ('H', true) => (&mut secs, 3_600),
                    ('M', true) => (&mut secs, 60),
                    ('S', true) => (&mut secs, 1),
                    _ => return None,
                };
                *total = total.checked_add(n.checked_mul(mult)?)?;
                any = true;
            }
        }
    }
    if num.is_some() || !any {
        return None;
    }
    // Keep the result representable as a TimeDelta.
    TimeDelta::try_seconds(days.checked_mul(86_400)?.checked_add(secs)?)?;
    Some(if neg { (-days, -secs) } else { (days, secs) })
}

/// Formats a non-negative number of seconds as an exact DURATION (`PT..`),
/// which means the same in every zone.
pub(crate) fn format_exact_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::from("PT");
    if h > 0 {
        out.push_str(&format!("{h}H"));
    }
    if m > 0 {
        out.push_str(&format!("{m}M"));
    }
    if s > 0 || secs == 0 {
        out.push_str(&format!("{s}S"));
    }
    out
}

/// Parses a UTC-OFFSET (`+HHMM[SS]` / `-HHMM[SS]`) into seconds east of UTC.
pub(crate) fn parse_utc_offset(s: &str) -> Option<i32> {
    let s = s.trim();
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let d = &s[1..];
    if !(d.len() == 4 || d.len() == 6) || !d.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let h: i32 = d[0..2].parse().ok()?;
    let m: i32 = d[2..4].parse().ok()?;
    let sec: i32 = if d.len() == 6 {
        d[4..6].parse().ok()?
    } else {
        0
    };
    Some(sign * (h * 3600 + m * 60 + sec))
}

/// The end of a PERIOD value: an explicit end or a duration from the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PeriodEnd {
    At(DateValue),
    After(TimeDelta),
}

/// Parses a PERIOD (`start/end` or `start/duration`).
pub(crate) fn parse_period(s: &str) -> Option<(DateValue, PeriodEnd)> {
    let (a, b) = s.trim().split_once('/')?;
    let start = parse_date_or_datetime(a)?;
    let end = if b.starts_with(['P', 'p', '+', '-']) {
        PeriodEnd::After(parse_duration(b)?)
    } else {
        PeriodEnd::At(parse_date_or_datetime(b)?)
    };
    Some((start, end))
}

/// Formats a UTC unix time as `YYYYMMDDTHHMMSSZ`.
pub(crate) fn format_utc(ts: i64) -> String {
    match chrono::DateTime::from_timestamp(ts, 0) {
        Some(dt) => dt.format("%Y%m%dT%H%M%SZ").to_string(),
        None => String::from("19700101T000000Z"),
    }
}

/// Formats a date as `YYYYMMDD`.
pub(crate) fn format_date(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_datetimes() {
        let d = parse_date_or_datetime("20240229").unwrap();
        assert!(d.is_date && !d.utc);
        let t = parse_date_or_datetime("20240301T101500Z").unwrap();
        assert!(!t.is_date && t.utc);
        assert_eq!(t.local.to_string(), "2024-03-01 10:15:00");
        assert!(parse_date_or_datetime("20240230").is_none());
        assert!(parse_date_or_datetime("2024-03-01").is_none());
        assert!(parse_date_or_datetime("20240301T1015").is_none());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT1H30M"), TimeDelta::try_seconds(5400));
        assert_eq!(parse_duration("-P1DT1S"), TimeDelta::try_seconds(-86_401));
        assert_eq!(parse_duration("P2W"), TimeDelta::try_days(14));
        assert_eq!(parse_duration("PT0S"), Some(TimeDelta::zero()));
        assert!(parse_duration("P").is_none());
        assert!(parse_duration("PT5").is_none());
        assert!(parse_duration("P1H").is_none());
        assert_eq!(parse_duration_parts("P1DT2H"), Some((1, 7200)));
        assert_eq!(parse_duration_parts("PT24H"), Some((0, 86_400)));
        assert_eq!(parse_duration_parts("-P2W"), Some((-14, 0)));
        assert_eq!(format_exact_duration(90_000), "PT25H");
        assert_eq!(format_exact_duration(5_430), "PT1H30M30S");
        assert_eq!(format_exact_duration(0), "PT0S");
    }

    #[test]
    fn offsets_and_periods() {
        assert_eq!(parse_utc_offset("+0130"), Some(5400));
        assert_eq!(parse_utc_offset("-0500"), Some(-18000));
        assert!(parse_utc_offset("0500").is_none());
        let (s, e) = parse_period("20240101T100000Z/PT1H").unwrap();
        assert!(s.utc);
        assert_eq!(e, PeriodEnd::After(TimeDelta::try_hours(1).unwrap()));
        assert!(matches!(
            parse_period("20240101T100000Z/20240101T110000Z"),
            Some((_, PeriodEnd::At(_)))
        ));
        assert_eq!(format_utc(0), "19700101T000000Z");
    }
}
