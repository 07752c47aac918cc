//! The periodic summary against the full evaluation: thousands of generated
//! recurring events (DST zones, COUNT/UNTIL, BYDAY, EXDATE, overrides) under
//! windows placed on and around their instances. Every decision the index
//! takes must equal what parsing and expanding the object says.

use super::*;
use crate::ical::ComponentKind;

/// splitmix64, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }
}

const BERLIN: &str = "BEGIN:VTIMEZONE\r\nTZID:Custom/Berlin\r\n\
BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n\
DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n\
DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n\
END:VTIMEZONE\r\n";

/// "Now" for the unbounded rules' checked horizon: 2026-06-01.
const NOW: i64 = 1_780_272_000;

fn fmt(t: i64) -> String {
    format_utc(t)
}

fn local_fmt(t: i64) -> String {
    fmt(t).trim_end_matches('Z').to_string()
}

/// A DATE-TIME property in the event's zone (`None`: UTC).
fn dt(name: &str, local: i64, zone: Option<&str>) -> String {
    match zone {
        Some(z) => format!("{name};TZID={z}:{}\r\n", local_fmt(local)),
        None => format!("{name}:{}\r\n", fmt(local)),
    }
}

/// One random recurring event and the wall-clock start it was built from.
fn event(r: &mut Rng) -> (String, i64) {
    let zones = [
        None,
        Some("Europe/Berlin"),
        Some("America/New_York"),
        Some("Australia/Sydney"),
        Some("Custom/Berlin"),
    ];
    let zone = zones[r.below(zones.len() as u64) as usize];
    // 2024-01-01 .. 2028-01-01, with times near the 02:00-03:00 DST hour.
    let day = 1_704_067_200 + r.below(4 * 365) * 86_400;
    let hour = [0, 1, 2, 3, 9, 12, 22, 23][r.below(8) as usize];
    let start = day + hour * 3600 + [0, 30 * 60][r.below(2) as usize];
    let freq = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY"][r.below(4) as usize];
    let mut rule = format!("FREQ={freq}");
    if r.below(3) == 0 {
        rule += &format!(";INTERVAL={}", 2 + r.below(2));
    }
    match r.below(6) {
        0 => rule += ";BYDAY=MO,WE",
        1 if freq == "WEEKLY" => rule += ";BYDAY=TU",
        2 if freq == "MONTHLY" => rule += ";BYMONTHDAY=15",
        _ => {}
    }
    match r.below(3) {
        0 => rule += &format!(";COUNT={}", 1 + r.below(40)),
        1 => rule += &format!(";UNTIL={}", fmt(start + r.below(900) * 86_400)),
        _ => {}
    }
    let mut body = String::from("BEGIN:VEVENT\r\nUID:e\r\nDTSTAMP:20250101T000000Z\r\n");
    body += &dt("DTSTART", start, zone);
    match r.below(4) {
        0 => {}
        1 => body += "DURATION:PT0S\r\n",
        2 => body += &format!("DURATION:PT{}M\r\n", 15 + r.below(600)),
        _ => body += &dt("DTEND", start + 3600 * (1 + r.below(30)), zone),
    }
    body += &format!("RRULE:{rule}\r\n");
    let step = match freq {
        "DAILY" => 86_400,
        "WEEKLY" => 7 * 86_400,
        "MONTHLY" => 30 * 86_400,
        _ => 365 * 86_400,
    };
    if r.below(3) == 0 {
        // One or two runs of excluded instances (exact or approximate).
        for _ in 0..1 + r.below(2) {
            let k = r.below(20);
            let at = start + k * step;
            body += &dt("EXDATE", at, zone);
            if r.below(2) == 0 {
                body += &dt("EXDATE", at + step, zone);
            }
        }
    }
    body += "SUMMARY:x\r\nEND:VEVENT\r\n";
    if r.below(10) == 0 {
        body += "BEGIN:VEVENT\r\nUID:e\r\n";
        body += &dt("RECURRENCE-ID", start + step, zone);
        body += &dt("DTSTART", start + step + 7200, zone);
        body += "END:VEVENT\r\n";
    }
    if zone == Some("Custom/Berlin") {
        body = format!("{BERLIN}{body}");
    }
    (cal(&body), start)
}

/// Windows on and around the instances near `start`, plus far-off ones.
fn windows(r: &mut Rng, start: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    for _ in 0..24 {
        let at = start + r.below(1400) * 86_400 + [0, -3600, 3600, -7200][r.below(4) as usize];
        let at = at + [0, 1, -1, 1800][r.below(4) as usize];
        let len = [1, 1800, 3600, 86_400, 7 * 86_400, 31 * 86_400][r.below(6) as usize];
        out.push((at, at + len));
        out.push((at - len, at));
    }
    out.push((start - 400 * 86_400, start - 399 * 86_400));
    out.push((NOW + 3000 * 86_400, NOW + 3007 * 86_400));
    out
}

#[test]
fn periodic_decisions_agree_with_full_evaluation() {
    let mut r = Rng(13);
    let (mut decided, mut summarised, mut included) = (0, 0, 0);
    for _ in 0..200 {
        let (ics, start) = event(&mut r);
        let facts = facts_at(&ics, NOW);
        let Some(p) = facts.periodic.as_deref() else {
            continue;
        };
        summarised += 1;
        assert_eq!(p.span(), facts.span, "{ics}");
        assert_eq!(Periodic::parse(&p.to_text()).as_ref(), Some(p));
        for (s, e) in windows(&mut r, start) {
            let f = tr_filter("VEVENT", &fmt(s), &fmt(e));
            let q = PlainQuery::of(&f, None).unwrap();
            let d = q.decide(ComponentKind::Event, facts.span, None, Some(p));
            if d == Decision::Parse {
                continue;
            }
            decided += 1;
            let want = matches(&ics, &f, None);
            included += usize::from(want);
            assert_eq!(
                d == Decision::Include,
                want,
                "{} .. {}\n{ics}\n{p:?}",
                fmt(s),
                fmt(e)
            );
        }
    }
    // Enough summaries and decisions both ways, or this test proves nothing.
    assert!(summarised > 100, "{summarised}");
    assert!(decided > 5_000 && included > 400, "{decided} {included}");
}

#[test]
fn summaries_only_for_what_the_model_reproduces() {
    let has = |body: &str| facts_at(&cal(body), NOW).periodic.is_some();
    let ev = |rest: &str| {
        format!("BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260105T100000Z\r\nDURATION:PT1H\r\n{rest}END:VEVENT\r\n")
    };
    assert!(has(&ev("RRULE:FREQ=WEEKLY\r\n")));
    assert!(has(&ev(
        "RRULE:FREQ=MONTHLY;COUNT=5\r\nEXDATE:20260205T100000Z\r\n"
    )));
    // Two weekdays, an RDATE, a second rule, a floating start: no summary.
    assert!(!has(&ev("RRULE:FREQ=WEEKLY;BYDAY=MO,WE\r\n")));
    assert!(!has(&ev("RRULE:FREQ=DAILY\r\nRDATE:20260110T100000Z\r\n")));
    assert!(!has(&ev("RRULE:FREQ=DAILY\r\nRRULE:FREQ=WEEKLY\r\n")));
    assert!(!has(
        "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260105T100000\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n"
    ));
    // Two separate runs of exclusions: not one gap.
    assert!(!has(&ev(
        "RRULE:FREQ=DAILY;COUNT=9\r\nEXDATE:20260106T100000Z,20260108T100000Z\r\n"
    )));
    // Not a single event either.
    assert!(!has(&ev("")));
}
