//! The calendar data set: a deterministic generator of `.ics` objects (single
//! and recurring events, todos, some in Europe/Berlin) written as real files.

use super::*;

/// splitmix64: a small deterministic generator, so every run sees the same data.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub(crate) const VTIMEZONE_BERLIN: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n\
BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n\
DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n\
DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n\
END:VTIMEZONE\r\n";

#[derive(Default, Clone)]
pub(crate) struct DataSet {
    pub(crate) n: usize,
    /// Indexes of plain (non-recurring) VEVENTs, safe to edit in place.
    pub(crate) singles: Vec<usize>,
    pub(crate) recurring: usize,
    pub(crate) todos: usize,
    pub(crate) berlin: usize,
}

pub(crate) fn object_name(i: usize) -> String {
    format!("bench-{i:06}.ics")
}

pub(crate) fn base_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
}

pub(crate) fn fmt_dt(dt: NaiveDateTime) -> String {
    dt.format("%Y%m%dT%H%M%S").to_string()
}

/// A DTSTART/DTEND-style property value: UTC, or local time in Europe/Berlin.
pub(crate) fn dt_prop(name: &str, dt: NaiveDateTime, berlin: bool) -> String {
    if berlin {
        format!("{name};TZID=Europe/Berlin:{}\r\n", fmt_dt(dt))
    } else {
        format!("{name}:{}Z\r\n", fmt_dt(dt))
    }
}

pub(crate) enum Kind {
    Single,
    Recurring,
    Todo,
}

/// The text of object `i` (a pure function of `i`).
pub(crate) fn object_text(i: usize) -> (Kind, bool, String) {
    let mut r = Rng(i as u64 ^ 0x00ca_1d1e);
    let roll = r.below(100);
    let day = base_day() + chrono::Duration::days(r.below(3 * 365) as i64);
    let start = day.and_hms_opt(
        7 + r.below(12) as u32,
        [0, 15, 30, 45][r.below(4) as usize],
        0,
    );
    let start = start.unwrap();
    let minutes = [30, 60, 90, 120][r.below(4) as usize];
    let end = start + chrono::Duration::minutes(minutes);
    let uid = format!("bench-{i:06}@davdir.bench");
    let mut body = String::with_capacity(1024);
    let mut berlin = false;
    let kind;
    if roll < 10 {
        kind = Kind::Recurring;
        berlin = r.below(3) == 0;
        let weekly = r.below(10) < 7;
        // Monthly rules start on a day every month has, so DTSTART is an
        // instance of its rule (RFC 5545 leaves other cases undefined).
        let (start, end) = if !weekly && start.day() > 28 {
            let moved = start.date().with_day(28).unwrap().and_time(start.time());
            (moved, moved + (end - start))
        } else {
            (start, end)
        };
        let mut rule = if weekly {
            "FREQ=WEEKLY".to_string()
        } else {
            format!("FREQ=MONTHLY;BYMONTHDAY={}", start.day())
        };
        match r.below(10) {
            0..=3 => write!(rule, ";COUNT={}", 5 + r.below(26)).unwrap(),
            4..=6 => {
                let until = start + chrono::Duration::days(60 + r.below(340) as i64);
                write!(rule, ";UNTIL={}Z", fmt_dt(until)).unwrap()
            }
            _ => {} // unbounded
        }
        body.push_str("BEGIN:VEVENT\r\n");
        write!(body, "UID:{uid}\r\nDTSTAMP:20250101T000000Z\r\n").unwrap();
        body.push_str(&dt_prop("DTSTART", start, berlin));
        body.push_str(&dt_prop("DTEND", end, berlin));
        write!(body, "RRULE:{rule}\r\n").unwrap();
        if r.below(5) == 0 {
            // Drop the second and third occurrence.
            let step = |k: i64| {
                if weekly {
                    start + chrono::Duration::weeks(k)
                } else {
                    start
                        .date()
                        .checked_add_months(chrono::Months::new(k as u32))
                        .unwrap()
                        .and_time(start.time())
                }
            };
            let ex: Vec<String> = (1..3).map(|k| fmt_dt(step(k))).collect();
            if berlin {
                write!(body, "EXDATE;TZID=Europe/Berlin:{}\r\n", ex.join(",")).unwrap();
            } else {
                write!(body, "EXDATE:{}Z,{}Z\r\n", ex[0], ex[1]).unwrap();
            }
        }
        write!(body, "SUMMARY:Recurring meeting {i}\r\nEND:VEVENT\r\n").unwrap();
    } else if roll < 30 {
        kind = Kind::Todo;
        body.push_str("BEGIN:VTODO\r\n");
        write!(body, "UID:{uid}\r\nDTSTAMP:20250101T000000Z\r\n").unwrap();
        if r.below(2) == 0 {
            body.push_str(&dt_prop(
                "DTSTART",
                start - chrono::Duration::days(2),
                false,
            ));
        }
        body.push_str(&dt_prop("DUE", start, false));
        write!(
            body,
            "SUMMARY:Task {i}\r\nSTATUS:NEEDS-ACTION\r\nPRIORITY:{}\r\nEND:VTODO\r\n",
            1 + r.below(9)
        )
        .unwrap();
    } else {
        kind = Kind::Single;
        body.push_str("BEGIN:VEVENT\r\n");
        write!(body, "UID:{uid}\r\nDTSTAMP:20250101T000000Z\r\n").unwrap();
        if r.below(20) == 0 {
            let d = start.date();
            write!(
                body,
                "DTSTART;VALUE=DATE:{}\r\nDTEND;VALUE=DATE:{}\r\n",
                d.format("%Y%m%d"),
                (d + chrono::Duration::days(1)).format("%Y%m%d")
            )
            .unwrap();
        } else {
            berlin = r.below(5) == 0;
            body.push_str(&dt_prop("DTSTART", start, berlin));
            body.push_str(&dt_prop("DTEND", end, berlin));
        }
        write!(
            body,
            "SUMMARY:Event {i}\r\nLOCATION:Room {}\r\nDESCRIPTION:Generated by the davdir benchmark.\r\nEND:VEVENT\r\n",
            r.below(40)
        )
        .unwrap();
    }
    let mut text = String::with_capacity(body.len() + 600);
    text.push_str("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davdir//bench//EN\r\n");
    if berlin {
        text.push_str(VTIMEZONE_BERLIN);
    }
    text.push_str(&body);
    text.push_str("END:VCALENDAR\r\n");
    (kind, berlin, text)
}

/// Writes `n` objects into `dir` (created).
pub(crate) fn generate(dir: &Path, n: usize) -> Res<DataSet> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut ds = DataSet {
        n,
        ..Default::default()
    };
    for i in 0..n {
        let (kind, berlin, text) = object_text(i);
        match kind {
            Kind::Single => ds.singles.push(i),
            Kind::Recurring => ds.recurring += 1,
            Kind::Todo => ds.todos += 1,
        }
        ds.berlin += berlin as usize;
        fs::write(dir.join(object_name(i)), text).map_err(|e| e.to_string())?;
    }
    fs::write(dir.join("displayname"), "Benchmark").map_err(|e| e.to_string())?;
    Ok(ds)
}
