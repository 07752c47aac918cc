//! RFC 4791 §9.9 time-range tables, driven over HTTP against the real binary.
//!
//! Every table below transcribes one table (or rule) of RFC 4791 §9.9: one
//! `Row` per line of the RFC table, holding a component built from that
//! line's property combination and the probes (time-ranges) to try, each with
//! the answer the RFC's condition gives. Probes sit exactly on the edges of
//! the condition (`start < x` versus `start <= x`, `end > y` versus
//! `end >= y`) and one second to either side.
//!
//! Each row's object is PUT into a calendar of its own, where the REPORT must
//! return exactly that href or nothing, and also into one calendar shared by
//! the whole table, where the href must be present or absent (this also
//! exercises the server's time index, which prefilters candidates). The same
//! REPORT sent to the object itself (Depth 0) must return exactly what the
//! row's calendar returned.
//!
//! Floating times and DATE values in calendars without a configured time zone
//! and queries without CALDAV:timezone are read as UTC.
//!
//! Other checks: the VALARM rule (nested comp-filter), the property rule
//! (time-range inside a prop-filter), floating times under the calendar's
//! time zone and under a query's CALDAV:timezone, the CALDAV:valid-filter and
//! CALDAV:supported-collation preconditions, collations, negate-condition,
//! is-not-defined and param-filter.

mod common;

use std::collections::BTreeSet;

use common::{parse_xml, Options, Server, CALDAV};

const USER: &str = "u";

// ---------------------------------------------------------------------------
// Harness: tests/common's server (no sample data, --no-auth, any Basic user
// becomes the user), one per test function, killed when the test ends.
// ---------------------------------------------------------------------------

/// Starts a server and creates the user's calendars on disk by hand (name,
/// `.calendar.toml` text), as a user would with `mkdir`.
fn start(calendars: &[(String, String)]) -> Server {
    let mut server = Server::start(Options {
        sample: false,
        auth: false,
        config: None,
    });
    server.creds = Some((USER.to_string(), "x".to_string()));
    for (name, toml) in calendars {
        let cal = server.data.join(USER).join(name);
        std::fs::create_dir_all(&cal).expect("mkdir calendar");
        if !toml.is_empty() {
            std::fs::write(cal.join(".calendar.toml"), toml).expect(".calendar.toml");
        }
    }
    server
}

fn put(server: &Server, path: &str, ics: &str) {
    let resp = server.put_ics(path, ics);
    assert!(
        resp.status == 201 || resp.status == 204,
        "PUT {path} -> {}: {}\n{ics}",
        resp.status,
        resp.text()
    );
}

/// Runs a calendar-query REPORT (Depth 1) with `filter` (the CALDAV:filter's
/// content) on a calendar; returns the hrefs of the 207 Multi-Status, or the
/// status and body of any other answer.
fn query(
    server: &Server,
    cal: &str,
    filter: &str,
    tz: Option<&str>,
) -> Result<BTreeSet<String>, String> {
    query_at(server, &format!("/{USER}/{cal}/"), "1", filter, tz)
}

/// The same REPORT on any path with any Depth (e.g. an object with Depth 0).
fn query_at(
    server: &Server,
    path: &str,
    depth: &str,
    filter: &str,
    tz: Option<&str>,
) -> Result<BTreeSet<String>, String> {
    let resp = server.report(path, depth, &query_body(filter, tz));
    if resp.status != 207 {
        return Err(format!("status {}: {}", resp.status, resp.text()));
    }
    Ok(resp.multistatus().hrefs())
}

fn query_body(filter: &str, tz: Option<&str>) -> String {
    let tz = tz
        .map(|t| format!("<C:timezone>{}</C:timezone>", xml_escape(&ics(t))))
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/></D:prop>
<C:filter>{filter}</C:filter>{tz}
</C:calendar-query>"#
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Whether an error body is a DAV:error naming the CALDAV precondition `name`.
fn has_condition(xml: &str, name: &str) -> bool {
    parse_xml(xml)
        .is_ok_and(|root| root.is(common::DAV, "error") && root.child(CALDAV, name).is_some())
}

/// A VCALENDAR from component text written one property per line (leading
/// blanks ignored). Each object component gets `UID:uid`, and a DTSTAMP
/// unless the text has its own.
fn object(uid: &str, components: &str) -> String {
    let own_stamp = components.contains("DTSTAMP");
    let mut out =
        String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davdir//query table//EN\r\n");
    for line in components.lines().map(str::trim).filter(|l| !l.is_empty()) {
        out.push_str(line);
        out.push_str("\r\n");
        if let Some(kind) = line.strip_prefix("BEGIN:") {
            if ["VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY"].contains(&kind) {
                out.push_str(&format!("UID:{uid}\r\n"));
                if !own_stamp {
                    out.push_str("DTSTAMP:20260101T000000Z\r\n");
                }
            }
        }
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

/// iCalendar text written one line per source line (leading blanks ignored),
/// with CRLF line ends.
fn ics(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l}\r\n"))
        .collect()
}

// ---------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------

/// One time-range to try: `[start, end)` in UTC ("" = open bound, RFC 4791
/// §9.9: -infinity / +infinity) and whether the row's object must match.
#[derive(Clone, Copy)]
struct Probe {
    start: &'static str,
    end: &'static str,
    hit: bool,
    why: &'static str,
}

const fn p(start: &'static str, end: &'static str, hit: bool, why: &'static str) -> Probe {
    Probe {
        start,
        end,
        hit,
        why,
    }
}

/// One line of an RFC table.
struct Row {
    /// Object (and calendar) name, unique within the table.
    name: &'static str,
    /// The RFC table line: its Y/N columns and the condition to evaluate.
    rfc: &'static str,
    /// The components, one property per line (UID and DTSTAMP are added).
    comp: &'static str,
    probes: &'static [Probe],
}

/// One RFC table and how it is queried.
struct Table {
    name: &'static str,
    /// comp-filter chain below VCALENDAR; the time-range goes in the last one.
    comps: &'static [&'static str],
    /// When set, the time-range goes in a prop-filter of this name instead.
    prop: Option<&'static str>,
    /// `.calendar.toml` of the table's calendars.
    toml: &'static str,
    /// VCALENDAR text of a CALDAV:timezone to send with each query.
    query_tz: Option<&'static str>,
    rows: &'static [Row],
}

impl Table {
    fn calendars(&self) -> Vec<(String, String)> {
        let mut cals: Vec<(String, String)> = self
            .rows
            .iter()
            .map(|r| (format!("{}-{}", self.name, r.name), self.toml.to_string()))
            .collect();
        cals.push((format!("{}-all", self.name), self.toml.to_string()));
        cals
    }

    fn filter(&self, start: &str, end: &str) -> String {
        let mut tr = String::from("<C:time-range");
        if !start.is_empty() {
            tr.push_str(&format!(r#" start="{start}""#));
        }
        if !end.is_empty() {
            tr.push_str(&format!(r#" end="{end}""#));
        }
        tr.push_str("/>");
        let mut inner = match self.prop {
            Some(prop) => format!(r#"<C:prop-filter name="{prop}">{tr}</C:prop-filter>"#),
            None => tr,
        };
        for comp in self.comps.iter().rev() {
            inner = format!(r#"<C:comp-filter name="{comp}">{inner}</C:comp-filter>"#);
        }
        format!(r#"<C:comp-filter name="VCALENDAR">{inner}</C:comp-filter>"#)
    }
}

fn calendars_of(tables: &[&Table]) -> Vec<(String, String)> {
    tables.iter().flat_map(|t| t.calendars()).collect()
}

/// PUTs every row and runs every probe; returns one line per mismatch.
fn run_table(server: &Server, table: &Table) -> Vec<String> {
    for row in table.rows {
        let uid = format!("{}-{}@davdir-test", table.name, row.name);
        let body = object(&uid, row.comp);
        put(
            server,
            &format!("/{USER}/{}-{}/{}.ics", table.name, row.name, row.name),
            &body,
        );
        put(
            server,
            &format!("/{USER}/{}-all/{}.ics", table.name, row.name),
            &body,
        );
    }
    let mut failures = Vec::new();
    for row in table.rows {
        let own_cal = format!("{}-{}", table.name, row.name);
        let own_href = format!("/{USER}/{own_cal}/{}.ics", row.name);
        let all_cal = format!("{}-all", table.name);
        let all_href = format!("/{USER}/{all_cal}/{}.ics", row.name);
        for probe in row.probes {
            let filter = table.filter(probe.start, probe.end);
            let label = format!(
                "{}/{} [{}] time-range start={:?} end={:?} ({}): expected {}",
                table.name,
                row.name,
                row.rfc,
                probe.start,
                probe.end,
                probe.why,
                if probe.hit { "match" } else { "no match" },
            );
            let want: BTreeSet<String> = if probe.hit {
                [own_href.clone()].into()
            } else {
                BTreeSet::new()
            };
            match query(server, &own_cal, &filter, table.query_tz) {
                Ok(got) if got == want => {}
                Ok(got) => failures.push(format!("{label}, got {got:?}")),
                Err(e) => failures.push(format!("{label}, got {e}")),
            }
            match query(server, &all_cal, &filter, table.query_tz) {
                Ok(got) if got.contains(&all_href) == probe.hit => {}
                Ok(got) => failures.push(format!("{label} (shared calendar), got {got:?}")),
                Err(e) => failures.push(format!("{label} (shared calendar), got {e}")),
            }
            match query_at(server, &own_href, "0", &filter, table.query_tz) {
                Ok(got) if got == want => {}
                Ok(got) => failures.push(format!("{label} (REPORT on the object), got {got:?}")),
                Err(e) => failures.push(format!("{label} (REPORT on the object), got {e}")),
            }
        }
    }
    failures
}

/// Starts one server for `tables`, runs them all, fails with every mismatch.
fn check_tables(tables: &[&Table]) {
    let server = start(&calendars_of(tables));
    let failures: Vec<String> = tables.iter().flat_map(|t| run_table(&server, t)).collect();
    assert!(
        failures.is_empty(),
        "{} probe(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// --- VEVENT (RFC 4791 §9.9, first table) ------------------------------------

#[rustfmt::skip]
const VEVENT: Table = Table {
    name: "vevent",
    comps: &["VEVENT"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[
        Row {
            name: "dtend",
            rfc: "DTEND=Y DURATION=N: start < DTEND AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART:20270115T100000Z
                   DTEND:20270115T110000Z
                   END:VEVENT",
            probes: &[
                p("20270115T090000Z", "20270115T100000Z", false, "end = DTSTART"),
                p("20270115T090000Z", "20270115T100001Z", true, "end = DTSTART+1s"),
                p("20270115T110000Z", "20270115T120000Z", false, "start = DTEND"),
                p("20270115T105959Z", "20270115T120000Z", true, "start = DTEND-1s"),
                p("20270115T101500Z", "20270115T104500Z", true, "inside"),
                p("20270115T090000Z", "20270115T120000Z", true, "covers"),
                p("20270115T080000Z", "20270115T090000Z", false, "before"),
                p("20270115T120000Z", "20270115T130000Z", false, "after"),
                p("", "20270115T100000Z", false, "open start, end = DTSTART"),
                p("", "20270115T100001Z", true, "open start, end = DTSTART+1s"),
                p("20270115T110000Z", "", false, "open end, start = DTEND"),
                p("20270115T105959Z", "", true, "open end, start = DTEND-1s"),
            ],
        },
        Row {
            name: "dtend-date",
            rfc: "DTEND=Y DURATION=N (DATE values): start < DTEND AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART;VALUE=DATE:20270115
                   DTEND;VALUE=DATE:20270117
                   END:VEVENT",
            probes: &[
                p("20270114T000000Z", "20270115T000000Z", false, "end = DTSTART"),
                p("20270114T000000Z", "20270115T000001Z", true, "end = DTSTART+1s"),
                p("20270117T000000Z", "20270118T000000Z", false, "start = DTEND"),
                p("20270116T235959Z", "20270118T000000Z", true, "start = DTEND-1s"),
                p("20270116T120000Z", "20270116T130000Z", true, "second day"),
            ],
        },
        Row {
            name: "duration",
            rfc: "DTEND=N DURATION=Y >0s: start < DTSTART+DURATION AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART:20270115T100000Z
                   DURATION:PT1H
                   END:VEVENT",
            probes: &[
                p("20270115T090000Z", "20270115T100000Z", false, "end = DTSTART"),
                p("20270115T090000Z", "20270115T100001Z", true, "end = DTSTART+1s"),
                p("20270115T110000Z", "20270115T120000Z", false, "start = DTSTART+DURATION"),
                p("20270115T105959Z", "20270115T120000Z", true, "start = DTSTART+DURATION-1s"),
                p("20270115T101500Z", "20270115T104500Z", true, "inside"),
                p("", "20270115T100000Z", false, "open start, end = DTSTART"),
                p("20270115T110000Z", "", false, "open end, start = end of event"),
            ],
        },
        Row {
            name: "duration-date",
            rfc:
                "DTEND=N DURATION=Y >0s (DATE DTSTART): start < DTSTART+DURATION AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART;VALUE=DATE:20270115
                   DURATION:P2D
                   END:VEVENT",
            probes: &[
                p("20270114T000000Z", "20270115T000000Z", false, "end = DTSTART"),
                p("20270114T000000Z", "20270115T000001Z", true, "end = DTSTART+1s"),
                p("20270117T000000Z", "20270118T000000Z", false, "start = DTSTART+P2D"),
                p("20270116T235959Z", "20270118T000000Z", true, "start = DTSTART+P2D-1s"),
            ],
        },
        Row {
            name: "duration-zero",
            rfc: "DTEND=N DURATION=Y =0s: start <= DTSTART AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART:20270115T100000Z
                   DURATION:PT0S
                   END:VEVENT",
            probes: &[
                p("20270115T100000Z", "20270115T110000Z", true, "start = DTSTART"),
                p("20270115T090000Z", "20270115T100000Z", false, "end = DTSTART"),
                p("20270115T090000Z", "20270115T100001Z", true, "end = DTSTART+1s"),
                p("20270115T100001Z", "20270115T110000Z", false, "start = DTSTART+1s"),
                p("20270115T095959Z", "20270115T100001Z", true, "around"),
                p("", "20270115T100000Z", false, "open start, end = DTSTART"),
                p("20270115T100000Z", "", true, "open end, start = DTSTART"),
            ],
        },
        Row {
            name: "duration-zero-date",
            rfc: "DTEND=N DURATION=Y =0s (DATE DTSTART): start <= DTSTART AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART;VALUE=DATE:20270115
                   DURATION:P0D
                   END:VEVENT",
            probes: &[
                p("20270115T000000Z", "20270115T000001Z", true, "start = DTSTART"),
                p("20270114T000000Z", "20270115T000000Z", false, "end = DTSTART"),
                p("20270115T000001Z", "20270116T000000Z", false, "rest of the day: not P1D"),
            ],
        },
        Row {
            name: "dtstart-datetime",
            rfc: "DTEND=N DURATION=N DATE-TIME=Y: start <= DTSTART AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART:20270115T100000Z
                   END:VEVENT",
            probes: &[
                p("20270115T100000Z", "20270115T110000Z", true, "start = DTSTART"),
                p("20270115T090000Z", "20270115T100000Z", false, "end = DTSTART"),
                p("20270115T090000Z", "20270115T100001Z", true, "end = DTSTART+1s"),
                p("20270115T100001Z", "20270115T110000Z", false, "start = DTSTART+1s"),
                p("20270115T100000Z", "20270115T100001Z", true, "one second at DTSTART"),
            ],
        },
        Row {
            name: "dtstart-date",
            rfc: "DTEND=N DURATION=N DATE-TIME=N: start < DTSTART+P1D AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART;VALUE=DATE:20270115
                   END:VEVENT",
            probes: &[
                p("20270114T000000Z", "20270115T000000Z", false, "end = DTSTART"),
                p("20270114T000000Z", "20270115T000001Z", true, "end = DTSTART+1s"),
                p("20270116T000000Z", "20270117T000000Z", false, "start = DTSTART+P1D"),
                p("20270115T235959Z", "20270117T000000Z", true, "start = DTSTART+P1D-1s"),
                p("20270115T120000Z", "20270115T130000Z", true, "midday"),
            ],
        },
    ],
};

// --- VEVENT recurrence (§9.9: a recurring component overlaps when one of its
// instances does; RFC 5545 §3.8.5 RRULE/RDATE/EXDATE, §3.8.4.4 RECURRENCE-ID)

#[rustfmt::skip]
const VEVENT_RECURRING: Table = Table {
    name: "vevent-recur",
    comps: &["VEVENT"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[
        Row {
            name: "daily-exdate",
            rfc: "DTEND=Y, RRULE COUNT=3 with EXDATE on the 2nd: per instance start < DTEND AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DTEND:20270601T110000Z
                   RRULE:FREQ=DAILY;COUNT=3
                   EXDATE:20270602T100000Z
                   END:VEVENT",
            probes: &[
                p("20270601T103000Z", "20270601T103100Z", true, "first instance"),
                p("20270602T100000Z", "20270602T110000Z", false, "excluded instance"),
                p("20270601T110000Z", "20270603T100000Z", false, "between 1st end and 3rd start"),
                p("20270603T105959Z", "20270603T110000Z", true, "last second of 3rd"),
                p("20270604T100000Z", "20270604T110000Z", false, "after COUNT"),
            ],
        },
        Row {
            name: "override",
            rfc: "DTEND=Y, RRULE COUNT=3, 2nd instance moved by RECURRENCE-ID",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DTEND:20270601T110000Z
                   RRULE:FREQ=DAILY;COUNT=3
                   END:VEVENT
                   BEGIN:VEVENT
                   RECURRENCE-ID:20270602T100000Z
                   DTSTART:20270602T150000Z
                   DTEND:20270602T160000Z
                   END:VEVENT",
            probes: &[
                p("20270602T100000Z", "20270602T110000Z", false, "original slot of the moved instance"),
                p("20270602T150000Z", "20270602T150100Z", true, "moved instance"),
                p("20270602T160000Z", "20270603T100000Z", false, "after moved, before 3rd"),
            ],
        },
        Row {
            name: "rdate",
            rfc: "DTEND=Y plus RDATE",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DTEND:20270601T110000Z
                   RDATE:20270610T100000Z
                   END:VEVENT",
            probes: &[
                p("20270610T103000Z", "20270610T103100Z", true, "RDATE instance"),
                p("20270605T000000Z", "20270606T000000Z", false, "between"),
            ],
        },
        Row {
            name: "weekly-unbounded",
            rfc: "DTEND=Y, RRULE FREQ=WEEKLY without end (Mondays)",
            comp: "BEGIN:VEVENT
                   DTSTART:20270607T100000Z
                   DTEND:20270607T110000Z
                   RRULE:FREQ=WEEKLY
                   END:VEVENT",
            probes: &[
                p("20300603T100000Z", "20300603T100001Z", true, "a Monday in 2030"),
                p("20300604T100000Z", "20300604T110000Z", false, "the Tuesday after"),
                p("20270101T000000Z", "20270607T100000Z", false, "before DTSTART"),
            ],
        },
        Row {
            name: "override-far",
            rfc: "RRULE COUNT=3, 2nd instance moved months away by RECURRENCE-ID",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DTEND:20270601T110000Z
                   RRULE:FREQ=DAILY;COUNT=3
                   END:VEVENT
                   BEGIN:VEVENT
                   RECURRENCE-ID:20270602T100000Z
                   DTSTART:20271201T100000Z
                   DTEND:20271201T110000Z
                   END:VEVENT",
            probes: &[
                p("20271201T103000Z", "20271201T103100Z", true, "moved instance, far from the master"),
                p("20270602T100000Z", "20270602T110000Z", false, "original slot"),
                p("20271201T110000Z", "", false, "open end after the moved instance"),
            ],
        },
        Row {
            name: "orphan-override",
            rfc: "only an overridden instance (RECURRENCE-ID, no master component)",
            comp: "BEGIN:VEVENT
                   RECURRENCE-ID:20270602T100000Z
                   DTSTART:20270602T150000Z
                   DTEND:20270602T160000Z
                   END:VEVENT",
            probes: &[
                p("20270602T150000Z", "20270602T150100Z", true, "the instance"),
                p("20270602T100000Z", "20270602T110000Z", false, "its RECURRENCE-ID slot"),
            ],
        },
        Row {
            name: "rdate-period",
            rfc: "RDATE;VALUE=PERIOD: that instance has the period's own length (RFC 5545 §3.8.5.2)",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DTEND:20270601T110000Z
                   RDATE;VALUE=PERIOD:20270620T100000Z/PT3H
                   END:VEVENT",
            probes: &[
                p("20270620T123000Z", "20270620T123100Z", true, "inside the 3h period, after 1h"),
                p("20270620T130000Z", "20270620T140000Z", false, "start = period end"),
            ],
        },
        Row {
            name: "until",
            rfc: "RRULE FREQ=DAILY;UNTIL=3rd start (UNTIL is inclusive)",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DTEND:20270601T110000Z
                   RRULE:FREQ=DAILY;UNTIL=20270603T100000Z
                   END:VEVENT",
            probes: &[
                p("20270603T100000Z", "20270603T100001Z", true, "instance at UNTIL"),
                p("20270604T100000Z", "20270604T110000Z", false, "after UNTIL"),
            ],
        },
        Row {
            name: "daily-far",
            rfc: "RRULE FREQ=DAILY without end, two centuries later",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DTEND:20270601T110000Z
                   RRULE:FREQ=DAILY
                   END:VEVENT",
            probes: &[
                p("22260601T103000Z", "22260601T103100Z", true, "2226 instance"),
                p("22260601T110000Z", "22260602T100000Z", false, "between two 2226 instances"),
            ],
        },
        Row {
            name: "minutely",
            rfc: "RRULE FREQ=MINUTELY without end, 10s instances, a year later",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DURATION:PT10S
                   RRULE:FREQ=MINUTELY
                   END:VEVENT",
            probes: &[
                p("20280601T000005Z", "20280601T000006Z", true, "inside an instance"),
                p("20280601T000010Z", "20280601T000100Z", false, "between instances"),
            ],
        },
        Row {
            name: "count-large",
            rfc: "RRULE FREQ=DAILY;COUNT=30000: last instance 2109-07-20",
            comp: "BEGIN:VEVENT
                   DTSTART:20270601T100000Z
                   DTEND:20270601T110000Z
                   RRULE:FREQ=DAILY;COUNT=30000
                   END:VEVENT",
            probes: &[
                p("21090720T100000Z", "21090720T100001Z", true, "last instance"),
                p("21090721T100000Z", "21090721T110000Z", false, "the day after the last"),
            ],
        },
        Row {
            name: "yearly-allday",
            rfc: "DTSTART DATE only, RRULE FREQ=YEARLY: each instance lasts P1D",
            comp: "BEGIN:VEVENT
                   DTSTART;VALUE=DATE:20270701
                   RRULE:FREQ=YEARLY
                   END:VEVENT",
            probes: &[
                p("20300701T000000Z", "20300701T000001Z", true, "2030 instance, first second"),
                p("20300630T000000Z", "20300701T000000Z", false, "day before, end = instance start"),
                p("20300702T000000Z", "20300703T000000Z", false, "day after"),
            ],
        },
    ],
};

// --- VTODO (RFC 4791 §9.9, second table) -------------------------------------

#[rustfmt::skip]
const VTODO: Table = Table {
    name: "vtodo",
    comps: &["VTODO"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[
        Row {
            name: "dtstart-duration",
            rfc: "DTSTART=Y DURATION=Y DUE=N: start <= DTSTART+DURATION AND (end > DTSTART OR end >= DTSTART+DURATION)",
            comp: "BEGIN:VTODO
                   DTSTART:20270210T100000Z
                   DURATION:PT1H
                   END:VTODO",
            probes: &[
                p("20270210T110000Z", "20270210T120000Z", true, "start = DTSTART+DURATION"),
                p("20270210T110001Z", "20270210T120000Z", false, "start = DTSTART+DURATION+1s"),
                p("20270210T090000Z", "20270210T100000Z", false, "end = DTSTART"),
                p("20270210T090000Z", "20270210T100001Z", true, "end = DTSTART+1s"),
                p("20270210T101500Z", "20270210T104500Z", true, "inside"),
                p("20270210T080000Z", "20270210T090000Z", false, "before"),
            ],
        },
        Row {
            name: "dtstart-duration-zero",
            rfc: "DTSTART=Y DURATION=Y (=0s) DUE=N: start <= DTSTART+DURATION AND (end > DTSTART OR end >= DTSTART+DURATION)",
            comp: "BEGIN:VTODO
                   DTSTART:20270210T100000Z
                   DURATION:PT0S
                   END:VTODO",
            probes: &[
                p("20270210T090000Z", "20270210T100000Z", true, "end = DTSTART+DURATION (>=)"),
                p("20270210T100000Z", "20270210T110000Z", true, "start = DTSTART+DURATION (<=)"),
                p("20270210T090000Z", "20270210T095959Z", false, "end = DTSTART-1s"),
                p("20270210T100001Z", "20270210T110000Z", false, "start = DTSTART+1s"),
            ],
        },
        Row {
            name: "dtstart-due",
            rfc: "DTSTART=Y DURATION=N DUE=Y: (start < DUE OR start <= DTSTART) AND (end > DTSTART OR end >= DUE)",
            comp: "BEGIN:VTODO
                   DTSTART:20270210T100000Z
                   DUE:20270210T110000Z
                   END:VTODO",
            probes: &[
                p("20270210T110000Z", "20270210T120000Z", false, "start = DUE"),
                p("20270210T105959Z", "20270210T120000Z", true, "start = DUE-1s"),
                p("20270210T090000Z", "20270210T100000Z", false, "end = DTSTART"),
                p("20270210T090000Z", "20270210T100001Z", true, "end = DTSTART+1s"),
                p("20270210T101500Z", "20270210T104500Z", true, "inside"),
            ],
        },
        Row {
            name: "dtstart-due-equal",
            rfc: "DTSTART=Y DURATION=N DUE=Y (DUE = DTSTART): (start < DUE OR start <= DTSTART) AND (end > DTSTART OR end >= DUE)",
            comp: "BEGIN:VTODO
                   DTSTART:20270210T100000Z
                   DUE:20270210T100000Z
                   END:VTODO",
            probes: &[
                p("20270210T090000Z", "20270210T100000Z", true, "end = DUE (>=)"),
                p("20270210T100000Z", "20270210T110000Z", true, "start = DTSTART (<=)"),
                p("20270210T090000Z", "20270210T095959Z", false, "end = DUE-1s"),
                p("20270210T100001Z", "20270210T110000Z", false, "start = DUE+1s"),
            ],
        },
        Row {
            name: "dtstart",
            rfc: "DTSTART=Y DURATION=N DUE=N: start <= DTSTART AND end > DTSTART",
            comp: "BEGIN:VTODO
                   DTSTART:20270210T100000Z
                   END:VTODO",
            probes: &[
                p("20270210T100000Z", "20270210T110000Z", true, "start = DTSTART"),
                p("20270210T090000Z", "20270210T100000Z", false, "end = DTSTART"),
                p("20270210T100001Z", "20270210T110000Z", false, "start = DTSTART+1s"),
                p("20270210T095959Z", "20270210T100001Z", true, "around"),
            ],
        },
        Row {
            name: "due",
            rfc: "DTSTART=N DURATION=N DUE=Y: start < DUE AND end >= DUE",
            comp: "BEGIN:VTODO
                   DUE:20270210T110000Z
                   END:VTODO",
            probes: &[
                p("20270210T100000Z", "20270210T110000Z", true, "end = DUE (>=)"),
                p("20270210T110000Z", "20270210T120000Z", false, "start = DUE"),
                p("20270210T105959Z", "20270210T110001Z", true, "around"),
                p("20270210T100000Z", "20270210T105959Z", false, "end = DUE-1s"),
                p("", "20270210T110000Z", true, "open start, end = DUE"),
            ],
        },
        Row {
            name: "completed-created",
            rfc: "DTSTART=N DURATION=N DUE=N COMPLETED=Y CREATED=Y: (start <= CREATED OR start <= COMPLETED) AND (end >= CREATED OR end >= COMPLETED)",
            comp: "BEGIN:VTODO
                   CREATED:20270201T090000Z
                   COMPLETED:20270212T120000Z
                   END:VTODO",
            probes: &[
                p("20270212T120000Z", "20270213T000000Z", true, "start = COMPLETED"),
                p("20270212T120001Z", "20270213T000000Z", false, "start = COMPLETED+1s"),
                p("20270131T000000Z", "20270201T090000Z", true, "end = CREATED"),
                p("20270131T000000Z", "20270201T085959Z", false, "end = CREATED-1s"),
                p("20270205T000000Z", "20270206T000000Z", true, "between CREATED and COMPLETED"),
            ],
        },
        Row {
            name: "completed",
            rfc: "DTSTART=N DURATION=N DUE=N COMPLETED=Y CREATED=N: start <= COMPLETED AND end >= COMPLETED",
            comp: "BEGIN:VTODO
                   COMPLETED:20270212T120000Z
                   END:VTODO",
            probes: &[
                p("20270212T120000Z", "20270212T130000Z", true, "start = COMPLETED"),
                p("20270212T110000Z", "20270212T120000Z", true, "end = COMPLETED (>=)"),
                p("20270212T120001Z", "20270212T130000Z", false, "start = COMPLETED+1s"),
                p("20270212T110000Z", "20270212T115959Z", false, "end = COMPLETED-1s"),
            ],
        },
        Row {
            name: "created",
            rfc: "DTSTART=N DURATION=N DUE=N COMPLETED=N CREATED=Y: end > CREATED",
            comp: "BEGIN:VTODO
                   CREATED:20270201T090000Z
                   END:VTODO",
            probes: &[
                p("20260101T000000Z", "20270201T090000Z", false, "end = CREATED"),
                p("20260101T000000Z", "20270201T090001Z", true, "end = CREATED+1s"),
                p("20300101T000000Z", "20300102T000000Z", true, "long after CREATED"),
                p("", "20270201T090001Z", true, "open start"),
            ],
        },
        Row {
            name: "none",
            rfc: "DTSTART=N DURATION=N DUE=N COMPLETED=N CREATED=N: TRUE",
            comp: "BEGIN:VTODO
                   SUMMARY:undated
                   END:VTODO",
            probes: &[
                p("19700101T000000Z", "19700102T000000Z", true, "1970"),
                p("20270101T000000Z", "20270102T000000Z", true, "2027"),
                p("20990101T000000Z", "20990102T000000Z", true, "2099"),
                p("", "19000101T000000Z", true, "open start"),
            ],
        },
    ],
};

#[rustfmt::skip]
const VTODO_MORE: Table = Table {
    name: "vtodo-more",
    comps: &["VTODO"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[
        Row {
            name: "due-date",
            rfc: "DTSTART=N DUE=Y (DATE value, read as UTC midnight): start < DUE AND end >= DUE",
            comp: "BEGIN:VTODO
                   DUE;VALUE=DATE:20270210
                   END:VTODO",
            probes: &[
                p("20270209T230000Z", "20270210T000000Z", true, "end = DUE"),
                p("20270210T000000Z", "20270211T000000Z", false, "start = DUE"),
            ],
        },
        Row {
            name: "recurring",
            rfc: "DTSTART=Y DUE=Y with RRULE FREQ=WEEKLY;COUNT=2: any instance",
            comp: "BEGIN:VTODO
                   DTSTART:20270210T100000Z
                   DUE:20270210T110000Z
                   RRULE:FREQ=WEEKLY;COUNT=2
                   END:VTODO",
            probes: &[
                p("20270217T103000Z", "20270217T103100Z", true, "2nd instance"),
                p("20270217T110000Z", "20270224T000000Z", false, "start = 2nd DUE"),
                p("20270224T100000Z", "20270224T110000Z", false, "after COUNT"),
            ],
        },
    ],
};

// --- VJOURNAL (RFC 4791 §9.9, third table) -----------------------------------

#[rustfmt::skip]
const VJOURNAL: Table = Table {
    name: "vjournal",
    comps: &["VJOURNAL"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[
        Row {
            name: "datetime",
            rfc: "DTSTART=Y DATE-TIME=Y: start <= DTSTART AND end > DTSTART",
            comp: "BEGIN:VJOURNAL
                   DTSTART:20270301T100000Z
                   SUMMARY:entry
                   END:VJOURNAL",
            probes: &[
                p("20270301T100000Z", "20270301T110000Z", true, "start = DTSTART"),
                p("20270301T090000Z", "20270301T100000Z", false, "end = DTSTART"),
                p("20270301T100001Z", "20270301T110000Z", false, "start = DTSTART+1s"),
                p("20270301T095959Z", "20270301T100001Z", true, "around"),
            ],
        },
        Row {
            name: "date",
            rfc: "DTSTART=Y DATE-TIME=N: start < DTSTART+P1D AND end > DTSTART",
            comp: "BEGIN:VJOURNAL
                   DTSTART;VALUE=DATE:20270301
                   SUMMARY:entry
                   END:VJOURNAL",
            probes: &[
                p("20270228T000000Z", "20270301T000000Z", false, "end = DTSTART"),
                p("20270228T000000Z", "20270301T000001Z", true, "end = DTSTART+1s"),
                p("20270302T000000Z", "20270303T000000Z", false, "start = DTSTART+P1D"),
                p("20270301T235959Z", "20270303T000000Z", true, "start = DTSTART+P1D-1s"),
                p("20270301T120000Z", "20270301T130000Z", true, "midday"),
            ],
        },
        Row {
            name: "undated",
            rfc: "DTSTART=N: FALSE",
            comp: "BEGIN:VJOURNAL
                   SUMMARY:undated entry
                   END:VJOURNAL",
            probes: &[
                p("19700101T000000Z", "20990101T000000Z", false, "everything"),
                p("", "20990101T000000Z", false, "open start"),
                p("19700101T000000Z", "", false, "open end"),
            ],
        },
    ],
};

#[rustfmt::skip]
const VJOURNAL_MORE: Table = Table {
    name: "vjournal-more",
    comps: &["VJOURNAL"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[Row {
        name: "recurring-date",
        rfc: "DTSTART=Y DATE-TIME=N with RRULE FREQ=MONTHLY;COUNT=3: each instance lasts P1D",
        comp: "BEGIN:VJOURNAL
               DTSTART;VALUE=DATE:20270301
               RRULE:FREQ=MONTHLY;COUNT=3
               SUMMARY:monthly entry
               END:VJOURNAL",
        probes: &[
            p("20270501T120000Z", "20270501T120001Z", true, "3rd instance"),
            p("20270502T000000Z", "20270601T000000Z", false, "after the 3rd"),
            p("20270401T235959Z", "20270402T000000Z", true, "last second of the 2nd"),
        ],
    }],
};

// --- VFREEBUSY (RFC 4791 §9.9, fourth table) ---------------------------------

const FREEBUSY_TOML: &str = "components = [\"VEVENT\", \"VTODO\", \"VJOURNAL\", \"VFREEBUSY\"]\n";

#[rustfmt::skip]
const VFREEBUSY: Table = Table {
    name: "vfreebusy",
    comps: &["VFREEBUSY"],
    prop: None,
    toml: FREEBUSY_TOML,
    query_tz: None,
    rows: &[
        Row {
            name: "dtstart-dtend",
            rfc: "DTSTART+DTEND=Y FREEBUSY=*: start <= DTEND AND end > DTSTART",
            comp: "BEGIN:VFREEBUSY
                   DTSTART:20270401T080000Z
                   DTEND:20270401T180000Z
                   FREEBUSY:20270401T100000Z/20270401T110000Z
                   END:VFREEBUSY",
            probes: &[
                p("20270401T180000Z", "20270401T190000Z", true, "start = DTEND (<=)"),
                p("20270401T180001Z", "20270401T190000Z", false, "start = DTEND+1s"),
                p("20270401T070000Z", "20270401T080000Z", false, "end = DTSTART"),
                p("20270401T070000Z", "20270401T080001Z", true, "end = DTSTART+1s"),
                p("20270401T130000Z", "20270401T140000Z", true, "inside, outside any FREEBUSY"),
            ],
        },
        Row {
            name: "dtstart-dtend-outer-period",
            rfc: "DTSTART+DTEND=Y FREEBUSY=*: DTSTART/DTEND decide, periods are ignored",
            comp: "BEGIN:VFREEBUSY
                   DTSTART:20270401T080000Z
                   DTEND:20270401T180000Z
                   FREEBUSY:20270405T100000Z/20270405T110000Z
                   END:VFREEBUSY",
            probes: &[
                p("20270405T100000Z", "20270405T110000Z", false, "only the FREEBUSY period"),
                p("20270401T120000Z", "20270401T130000Z", true, "inside DTSTART/DTEND"),
            ],
        },
        Row {
            name: "periods",
            rfc: "DTSTART+DTEND=N FREEBUSY=Y: start < period-end AND end > period-start",
            comp: "BEGIN:VFREEBUSY
                   FREEBUSY:20270401T100000Z/20270401T110000Z,20270401T140000Z/PT1H
                   FREEBUSY;FBTYPE=FREE:20270402T100000Z/20270402T110000Z
                   END:VFREEBUSY",
            probes: &[
                p("20270401T110000Z", "20270401T140000Z", false, "gap: start = end1, end = start2"),
                p("20270401T105959Z", "20270401T140000Z", true, "start = end1-1s"),
                p("20270401T110000Z", "20270401T140001Z", true, "end = start2+1s"),
                p("20270401T150000Z", "20270401T160000Z", false, "start = end of PT1H period"),
                p("20270401T145959Z", "20270401T160000Z", true, "start = end of PT1H period-1s"),
                p("20270402T103000Z", "20270402T103100Z", true, "FBTYPE=FREE period counts too"),
                p("20270403T000000Z", "", false, "open end after all periods"),
            ],
        },
        Row {
            name: "dtstart-only-periods",
            rfc: "DTSTART+DTEND=N (DTSTART only) FREEBUSY=Y: start < period-end AND end > period-start",
            comp: "BEGIN:VFREEBUSY
                   DTSTART:20270401T000000Z
                   FREEBUSY:20270401T100000Z/20270401T110000Z
                   END:VFREEBUSY",
            probes: &[
                p("20270401T103000Z", "20270401T103100Z", true, "inside period"),
                p("20270401T000000Z", "20270401T100000Z", false, "from DTSTART up to the period"),
            ],
        },
        Row {
            name: "none",
            rfc: "DTSTART+DTEND=N FREEBUSY=N: FALSE",
            comp: "BEGIN:VFREEBUSY
                   ORGANIZER:mailto:a@example.com
                   END:VFREEBUSY",
            probes: &[
                p("19700101T000000Z", "20990101T000000Z", false, "everything"),
                p("", "20990101T000000Z", false, "open start"),
            ],
        },
    ],
};

// --- VALARM (RFC 4791 §9.9: start <= trigger-time AND end > trigger-time) ----

#[rustfmt::skip]
const VALARM_EVENT: Table = Table {
    name: "valarm",
    comps: &["VEVENT", "VALARM"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[
        Row {
            name: "related-start",
            rfc: "TRIGGER:-PT15M (from DTSTART): start <= trigger AND end > trigger",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   DTEND:20270501T110000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER:-PT15M
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270501T094500Z", "20270501T094600Z", true, "start = trigger"),
                p("20270501T094400Z", "20270501T094500Z", false, "end = trigger"),
                p("20270501T094400Z", "20270501T094501Z", true, "end = trigger+1s"),
                p("20270501T094501Z", "20270501T100000Z", false, "start = trigger+1s"),
                p("20270501T100000Z", "20270501T110000Z", false, "the event itself, not the alarm"),
            ],
        },
        Row {
            name: "related-start-after",
            rfc: "TRIGGER:PT30M (after DTSTART): start <= trigger AND end > trigger",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   DTEND:20270501T110000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;RELATED=START:PT30M
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270501T103000Z", "20270501T103001Z", true, "start = trigger"),
                p("20270501T100000Z", "20270501T103000Z", false, "end = trigger"),
            ],
        },
        Row {
            name: "related-end",
            rfc: "TRIGGER;RELATED=END:PT5M (from DTEND): start <= trigger AND end > trigger",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   DTEND:20270501T110000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;RELATED=END:PT5M
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270501T110500Z", "20270501T110600Z", true, "start = trigger"),
                p("20270501T110000Z", "20270501T110500Z", false, "end = trigger"),
                p("20270501T094500Z", "20270501T094600Z", false, "where a START trigger would be"),
            ],
        },
        Row {
            name: "related-end-duration",
            rfc: "TRIGGER;RELATED=END:-PT10M with DURATION: trigger = DTSTART+DURATION-10m",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   DURATION:PT2H
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;RELATED=END:-PT10M
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270501T115000Z", "20270501T115001Z", true, "start = trigger"),
                p("20270501T114900Z", "20270501T115000Z", false, "end = trigger"),
            ],
        },
        Row {
            name: "absolute",
            rfc: "TRIGGER;VALUE=DATE-TIME (absolute): start <= trigger AND end > trigger",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   DTEND:20270501T110000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;VALUE=DATE-TIME:20270430T120000Z
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270430T120000Z", "20270430T120001Z", true, "start = trigger"),
                p("20270430T110000Z", "20270430T120000Z", false, "end = trigger"),
                p("20270501T094500Z", "20270501T110000Z", false, "around the event"),
            ],
        },
        Row {
            name: "repeat",
            rfc: "TRIGGER:-PT15M REPEAT:2 DURATION:PT5M: any of the 3 triggers",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   DTEND:20270501T110000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER:-PT15M
                   REPEAT:2
                   DURATION:PT5M
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270501T095000Z", "20270501T095001Z", true, "2nd trigger"),
                p("20270501T095500Z", "20270501T095600Z", true, "3rd trigger"),
                p("20270501T094600Z", "20270501T095000Z", false, "between 1st and 2nd"),
                p("20270501T095100Z", "20270501T095500Z", false, "between 2nd and 3rd (end = 3rd)"),
                p("20270501T095501Z", "20270501T100000Z", false, "after the 3rd"),
            ],
        },
        Row {
            name: "recurring",
            rfc: "TRIGGER:-PT15M on RRULE FREQ=DAILY;COUNT=3: a trigger of any instance",
            comp: "BEGIN:VEVENT
                   DTSTART:20270510T100000Z
                   DTEND:20270510T110000Z
                   RRULE:FREQ=DAILY;COUNT=3
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER:-PT15M
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270512T094500Z", "20270512T094600Z", true, "3rd instance's trigger"),
                p("20270511T094400Z", "20270511T094500Z", false, "end = 2nd instance's trigger"),
                p("20270511T100000Z", "20270511T110000Z", false, "2nd instance itself"),
                p("20270513T094500Z", "20270513T094600Z", false, "after COUNT"),
            ],
        },
        Row {
            name: "override-without-alarm",
            rfc: "RRULE COUNT=3 with TRIGGER:-PT15M; 2nd instance overridden (moved) without a VALARM",
            comp: "BEGIN:VEVENT
                   DTSTART:20270510T100000Z
                   DTEND:20270510T110000Z
                   RRULE:FREQ=DAILY;COUNT=3
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER:-PT15M
                   END:VALARM
                   END:VEVENT
                   BEGIN:VEVENT
                   RECURRENCE-ID:20270511T100000Z
                   DTSTART:20270511T150000Z
                   DTEND:20270511T160000Z
                   END:VEVENT",
            probes: &[
                p("20270511T094500Z", "20270511T094600Z", false, "original slot's trigger"),
                p("20270511T144500Z", "20270511T144600Z", false, "moved instance has no alarm"),
                p("20270512T094500Z", "20270512T094600Z", true, "3rd instance's trigger"),
            ],
        },
        Row {
            name: "override-with-alarm",
            rfc: "RRULE COUNT=3 without VALARM; 2nd instance overridden with TRIGGER:-PT5M",
            comp: "BEGIN:VEVENT
                   DTSTART:20270510T100000Z
                   DTEND:20270510T110000Z
                   RRULE:FREQ=DAILY;COUNT=3
                   END:VEVENT
                   BEGIN:VEVENT
                   RECURRENCE-ID:20270511T100000Z
                   DTSTART:20270511T150000Z
                   DTEND:20270511T160000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER:-PT5M
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270511T145500Z", "20270511T145501Z", true, "override's trigger"),
                p("20270511T095500Z", "20270511T095501Z", false, "original slot"),
                p("20270512T095500Z", "20270512T095501Z", false, "3rd instance has no alarm"),
            ],
        },
        Row {
            name: "recurring-unbounded",
            rfc: "TRIGGER;RELATED=END:PT0S on RRULE FREQ=WEEKLY without end",
            comp: "BEGIN:VEVENT
                   DTSTART:20270607T100000Z
                   DTEND:20270607T110000Z
                   RRULE:FREQ=WEEKLY
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;RELATED=END:PT0S
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20300603T110000Z", "20300603T110001Z", true, "2030 Monday instance's end"),
                p("20300603T100000Z", "20300603T110000Z", false, "that instance, end = trigger"),
            ],
        },
        Row {
            name: "absolute-far",
            rfc: "TRIGGER;VALUE=DATE-TIME over a year before the event",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   DTEND:20270501T110000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;VALUE=DATE-TIME:20260101T000000Z
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20260101T000000Z", "20260101T000001Z", true, "start = trigger"),
                p("20251231T000000Z", "20260101T000000Z", false, "end = trigger"),
            ],
        },
        Row {
            name: "relative-far",
            rfc: "TRIGGER:-P30D (a month before DTSTART)",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   DTEND:20270501T110000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER:-P30D
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270401T100000Z", "20270401T100001Z", true, "start = trigger"),
                p("20270401T090000Z", "20270401T100000Z", false, "end = trigger"),
                p("20270501T000000Z", "20270502T000000Z", false, "the event's day"),
            ],
        },
        Row {
            name: "related-end-no-end",
            rfc: "TRIGGER;RELATED=END:PT10M, DATE-TIME DTSTART only (the end is DTSTART)",
            comp: "BEGIN:VEVENT
                   DTSTART:20270501T100000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;RELATED=END:PT10M
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270501T101000Z", "20270501T101001Z", true, "start = trigger"),
                p("20270501T100000Z", "20270501T101000Z", false, "end = trigger"),
            ],
        },
        Row {
            name: "related-end-allday",
            rfc: "TRIGGER;RELATED=END:-PT1H, DATE DTSTART only (the end is DTSTART+P1D)",
            comp: "BEGIN:VEVENT
                   DTSTART;VALUE=DATE:20270502
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;RELATED=END:-PT1H
                   END:VALARM
                   END:VEVENT",
            probes: &[
                p("20270502T230000Z", "20270502T230001Z", true, "start = trigger"),
                p("20270502T220000Z", "20270502T230000Z", false, "end = trigger"),
                p("20270501T230000Z", "20270501T230001Z", false, "a day early"),
            ],
        },
    ],
};

#[rustfmt::skip]
const VALARM_TODO: Table = Table {
    name: "valarm-todo",
    comps: &["VTODO", "VALARM"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[
        Row {
            name: "due-related-end",
            rfc: "VTODO with DUE only, TRIGGER;RELATED=END:-PT1H (from DUE)",
            comp: "BEGIN:VTODO
                   DUE:20270520T170000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;RELATED=END:-PT1H
                   END:VALARM
                   END:VTODO",
            probes: &[
                p("20270520T160000Z", "20270520T160100Z", true, "start = trigger"),
                p("20270520T150000Z", "20270520T160000Z", false, "end = trigger"),
                p("20270520T165959Z", "20270520T170001Z", false, "around DUE"),
            ],
        },
        Row {
            name: "duration-related-end",
            rfc:
                "VTODO with DTSTART and DURATION, TRIGGER;RELATED=END:PT0S (from DTSTART+DURATION)",
            comp: "BEGIN:VTODO
                   DTSTART:20270520T090000Z
                   DURATION:PT2H
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER;RELATED=END:PT0S
                   END:VALARM
                   END:VTODO",
            probes: &[
                p("20270520T110000Z", "20270520T110001Z", true, "start = trigger"),
                p("20270520T105900Z", "20270520T110000Z", false, "end = trigger"),
            ],
        },
        Row {
            name: "dtstart-related-start",
            rfc: "VTODO with DTSTART and DUE, TRIGGER:-PT5M (from DTSTART)",
            comp: "BEGIN:VTODO
                   DTSTART:20270520T090000Z
                   DUE:20270520T170000Z
                   BEGIN:VALARM
                   ACTION:DISPLAY
                   DESCRIPTION:x
                   TRIGGER:-PT5M
                   END:VALARM
                   END:VTODO",
            probes: &[
                p("20270520T085500Z", "20270520T085501Z", true, "start = trigger"),
                p("20270520T085000Z", "20270520T085500Z", false, "end = trigger"),
            ],
        },
    ],
};

// --- Properties (§9.9: COMPLETED, CREATED, DTEND, DTSTAMP, DTSTART, DUE and
// LAST-MODIFIED overlap when start <= date-time AND end > date-time; DTEND
// and DUE use the effective value DTSTART+DURATION when absent) -------------

const PROP_EVENT: &str = "BEGIN:VEVENT
                          DTSTAMP:20270115T080000Z
                          DTSTART:20270115T100000Z
                          DTEND:20270115T110000Z
                          END:VEVENT";

#[rustfmt::skip]
const PROP_DTSTAMP: Table = Table {
    name: "prop-dtstamp",
    comps: &["VEVENT"],
    prop: Some("DTSTAMP"),
    toml: "",
    query_tz: None,
    rows: &[Row {
        name: "dtstamp",
        rfc: "DTSTAMP: start <= DTSTAMP AND end > DTSTAMP",
        comp: PROP_EVENT,
        probes: &[
            p("20270115T080000Z", "20270115T080001Z", true, "start = DTSTAMP"),
            p("20270115T070000Z", "20270115T080000Z", false, "end = DTSTAMP"),
            p("20270115T080001Z", "20270115T120000Z", false, "the event, after DTSTAMP"),
        ],
    }],
};

#[rustfmt::skip]
const PROP_DTSTART: Table = Table {
    name: "prop-dtstart",
    comps: &["VEVENT"],
    prop: Some("DTSTART"),
    toml: "",
    query_tz: None,
    rows: &[
        Row {
            name: "datetime",
            rfc: "DTSTART: start <= DTSTART AND end > DTSTART",
            comp: PROP_EVENT,
            probes: &[
                p("20270115T100000Z", "20270115T100001Z", true, "start = DTSTART"),
                p("20270115T090000Z", "20270115T100000Z", false, "end = DTSTART"),
                p("20270115T100001Z", "20270115T110000Z", false, "rest of the event"),
            ],
        },
        Row {
            name: "date",
            rfc: "DTSTART (DATE): start <= DTSTART AND end > DTSTART",
            comp: "BEGIN:VEVENT
                   DTSTART;VALUE=DATE:20270115
                   END:VEVENT",
            probes: &[
                p("20270115T000000Z", "20270115T000001Z", true, "start = DTSTART"),
                p("20270114T000000Z", "20270115T000000Z", false, "end = DTSTART"),
            ],
        },
    ],
};

#[rustfmt::skip]
const PROP_DTEND: Table = Table {
    name: "prop-dtend",
    comps: &["VEVENT"],
    prop: Some("DTEND"),
    toml: "",
    query_tz: None,
    rows: &[Row {
        name: "dtend",
        rfc: "DTEND: start <= DTEND AND end > DTEND",
        comp: PROP_EVENT,
        probes: &[
            p("20270115T110000Z", "20270115T110001Z", true, "start = DTEND"),
            p("20270115T100000Z", "20270115T110000Z", false, "end = DTEND"),
        ],
    }],
};

const PROP_TODO: &str = "BEGIN:VTODO
                         CREATED:20270201T090000Z
                         LAST-MODIFIED:20270205T090000Z
                         COMPLETED:20270212T120000Z
                         DTSTART:20270210T100000Z
                         DURATION:PT2H
                         END:VTODO";

#[rustfmt::skip]
const PROP_DUE: Table = Table {
    name: "prop-due",
    comps: &["VTODO"],
    prop: Some("DUE"),
    toml: "",
    query_tz: None,
    rows: &[Row {
        name: "due",
        rfc: "DUE: start <= DUE AND end > DUE",
        comp: "BEGIN:VTODO
                   DUE:20270210T120000Z
                   END:VTODO",
        probes: &[
            p("20270210T120000Z", "20270210T120001Z", true, "start = DUE"),
            p("20270210T110000Z", "20270210T120000Z", false, "end = DUE"),
        ],
    }],
};

/// The effective-value note of §9.9: "if DTEND is not present in a VEVENT,
/// but DURATION is, then the test should instead operate on the 'effective'
/// DTEND, i.e., DTSTART+DURATION. Similarly, if DUE is not present in a
/// VTODO, but DTSTART and DURATION are, [...] the 'effective' DUE".
#[rustfmt::skip]
const PROP_DTEND_EFFECTIVE: Table = Table {
    name: "prop-dtend-eff",
    comps: &["VEVENT"],
    prop: Some("DTEND"),
    toml: "",
    query_tz: None,
    rows: &[Row {
        name: "effective",
        rfc: "DTEND absent, DURATION present: the effective DTEND = DTSTART+DURATION",
        comp: "BEGIN:VEVENT
                   DTSTART:20270115T100000Z
                   DURATION:PT1H
                   END:VEVENT",
        probes: &[
            p("20270115T110000Z", "20270115T110001Z", true, "start = DTSTART+DURATION"),
            p("20270115T100000Z", "20270115T110000Z", false, "end = DTSTART+DURATION"),
        ],
    }],
};

#[rustfmt::skip]
const PROP_DUE_EFFECTIVE: Table = Table {
    name: "prop-due-eff",
    comps: &["VTODO"],
    prop: Some("DUE"),
    toml: "",
    query_tz: None,
    rows: &[Row {
        name: "effective",
        rfc: "DUE absent, DTSTART+DURATION present: the effective DUE = DTSTART+DURATION",
        comp: PROP_TODO,
        probes: &[
            p("20270210T120000Z", "20270210T120001Z", true, "start = DTSTART+DURATION"),
            p("20270210T110000Z", "20270210T120000Z", false, "end = DTSTART+DURATION"),
        ],
    }],
};

#[rustfmt::skip]
const PROP_COMPLETED: Table = Table {
    name: "prop-completed",
    comps: &["VTODO"],
    prop: Some("COMPLETED"),
    toml: "",
    query_tz: None,
    rows: &[Row {
        name: "completed",
        rfc: "COMPLETED: start <= COMPLETED AND end > COMPLETED",
        comp: PROP_TODO,
        probes: &[
            p("20270212T120000Z", "20270212T120001Z", true, "start = COMPLETED"),
            p("20270212T110000Z", "20270212T120000Z", false, "end = COMPLETED"),
            p("20270201T090000Z", "20270201T090001Z", false, "at CREATED"),
        ],
    }],
};

#[rustfmt::skip]
const PROP_CREATED: Table = Table {
    name: "prop-created",
    comps: &["VTODO"],
    prop: Some("CREATED"),
    toml: "",
    query_tz: None,
    rows: &[Row {
        name: "created",
        rfc: "CREATED: start <= CREATED AND end > CREATED",
        comp: PROP_TODO,
        probes: &[
            p("20270201T090000Z", "20270201T090001Z", true, "start = CREATED"),
            p("20270201T080000Z", "20270201T090000Z", false, "end = CREATED"),
            p("20270212T120000Z", "20270212T120001Z", false, "at COMPLETED"),
        ],
    }],
};

#[rustfmt::skip]
const PROP_LAST_MODIFIED: Table = Table {
    name: "prop-lastmod",
    comps: &["VTODO"],
    prop: Some("LAST-MODIFIED"),
    toml: "",
    query_tz: None,
    rows: &[Row {
        name: "last-modified",
        rfc: "LAST-MODIFIED: start <= LAST-MODIFIED AND end > LAST-MODIFIED",
        comp: PROP_TODO,
        probes: &[
            p("20270205T090000Z", "20270205T090001Z", true, "start = LAST-MODIFIED"),
            p("20270205T080000Z", "20270205T090000Z", false, "end = LAST-MODIFIED"),
        ],
    }],
};

// --- Time zones (RFC 4791 §9.9 and §7.3: floating DATE and DATE-TIME values
// are read in the query's CALDAV:timezone, else the calendar's time zone) ---

/// America/New_York as a VTIMEZONE literal, for `concat!`.
macro_rules! vtz_new_york {
    () => {
        "BEGIN:VTIMEZONE
                            TZID:America/New_York
                            BEGIN:DAYLIGHT
                            TZOFFSETFROM:-0500
                            TZOFFSETTO:-0400
                            TZNAME:EDT
                            DTSTART:19700308T020000
                            RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
                            END:DAYLIGHT
                            BEGIN:STANDARD
                            TZOFFSETFROM:-0400
                            TZOFFSETTO:-0500
                            TZNAME:EST
                            DTSTART:19701101T020000
                            RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
                            END:STANDARD
                            END:VTIMEZONE
"
    };
}

const QUERY_TZ_BERLIN: &str = "BEGIN:VCALENDAR
                               VERSION:2.0
                               PRODID:-//davdir//query table//EN
                               BEGIN:VTIMEZONE
                               TZID:Europe/Berlin
                               BEGIN:DAYLIGHT
                               TZOFFSETFROM:+0100
                               TZOFFSETTO:+0200
                               TZNAME:CEST
                               DTSTART:19700329T020000
                               RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
                               END:DAYLIGHT
                               BEGIN:STANDARD
                               TZOFFSETFROM:+0200
                               TZOFFSETTO:+0100
                               TZNAME:CET
                               DTSTART:19701025T030000
                               RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
                               END:STANDARD
                               END:VTIMEZONE
                               END:VCALENDAR";

const QUERY_TZ_KIRITIMATI: &str = "BEGIN:VCALENDAR
                                   VERSION:2.0
                                   PRODID:-//davdir//query table//EN
                                   BEGIN:VTIMEZONE
                                   TZID:Pacific/Kiritimati
                                   BEGIN:STANDARD
                                   TZOFFSETFROM:+1400
                                   TZOFFSETTO:+1400
                                   TZNAME:+14
                                   DTSTART:19700101T000000
                                   END:STANDARD
                                   END:VTIMEZONE
                                   END:VCALENDAR";

/// A VTIMEZONE whose TZID names no IANA zone: only its definition (a fixed
/// -03:30) says what it means.
const QUERY_TZ_CUSTOM: &str = "BEGIN:VCALENDAR
                               VERSION:2.0
                               PRODID:-//davdir//query table//EN
                               BEGIN:VTIMEZONE
                               TZID:Davdir Test Minus0330
                               BEGIN:STANDARD
                               TZOFFSETFROM:-0330
                               TZOFFSETTO:-0330
                               TZNAME:M0330
                               DTSTART:19700101T000000
                               END:STANDARD
                               END:VTIMEZONE
                               END:VCALENDAR";

const FLOATING_WINTER: &str = "BEGIN:VEVENT
                               DTSTART:20270115T100000
                               DTEND:20270115T110000
                               END:VEVENT";

const FLOATING_ALLDAY: &str = "BEGIN:VEVENT
                               DTSTART;VALUE=DATE:20270115
                               END:VEVENT";

const NY_TOML: &str = "timezone = \"America/New_York\"\n";

#[rustfmt::skip]
const TZ_CALENDAR: Table = Table {
    name: "tz-cal",
    comps: &["VEVENT"],
    prop: None,
    toml: NY_TOML,
    query_tz: None,
    rows: &[
        Row {
            name: "floating-winter",
            rfc: "floating 10:00-11:00 in America/New_York (EST) = 15:00Z-16:00Z",
            comp: FLOATING_WINTER,
            probes: &[
                p("20270115T150000Z", "20270115T160000Z", true, "exactly the event"),
                p("20270115T100000Z", "20270115T110000Z", false, "the UTC reading"),
                p("20270115T140000Z", "20270115T150000Z", false, "end = DTSTART"),
                p("20270115T140000Z", "20270115T150001Z", true, "end = DTSTART+1s"),
                p("20270115T160000Z", "20270115T170000Z", false, "start = DTEND"),
                p("20270115T155959Z", "20270115T170000Z", true, "start = DTEND-1s"),
            ],
        },
        Row {
            name: "floating-summer",
            rfc: "floating 10:00-11:00 in America/New_York (EDT) = 14:00Z-15:00Z",
            comp: "BEGIN:VEVENT
                   DTSTART:20270715T100000
                   DTEND:20270715T110000
                   END:VEVENT",
            probes: &[
                p("20270715T130000Z", "20270715T140000Z", false, "end = DTSTART"),
                p("20270715T130000Z", "20270715T140001Z", true, "end = DTSTART+1s"),
                p("20270715T150000Z", "20270715T160000Z", false, "start = DTEND"),
                p("20270715T145959Z", "20270715T160000Z", true, "start = DTEND-1s"),
            ],
        },
        Row {
            name: "allday",
            rfc: "DATE 2027-01-15 in America/New_York = [15T05:00Z, 16T05:00Z)",
            comp: FLOATING_ALLDAY,
            probes: &[
                p("20270114T000000Z", "20270115T050000Z", false, "end = local midnight"),
                p("20270114T000000Z", "20270115T050001Z", true, "end = local midnight+1s"),
                p("20270116T050000Z", "20270117T000000Z", false, "start = next local midnight"),
                p("20270116T045959Z", "20270117T000000Z", true, "start = next local midnight-1s"),
            ],
        },
        Row {
            name: "floating-gap",
            rfc: "floating 02:30 on 2027-03-14 does not exist in America/New_York: read with the offset before the gap (RFC 5545 §3.3.5), = 07:30Z",
            comp: "BEGIN:VEVENT
                   DTSTART:20270314T023000
                   END:VEVENT",
            probes: &[
                p("20270314T073000Z", "20270314T073001Z", true, "start = DTSTART"),
                p("20270314T063000Z", "20270314T063001Z", false, "offset after the gap"),
            ],
        },
        Row {
            name: "utc",
            rfc: "UTC times ignore the calendar's zone",
            comp: "BEGIN:VEVENT
                   DTSTART:20270115T100000Z
                   DTEND:20270115T110000Z
                   END:VEVENT",
            probes: &[
                p("20270115T100000Z", "20270115T110000Z", true, "UTC"),
                p("20270115T150000Z", "20270115T160000Z", false, "the zone's reading"),
            ],
        },
        Row {
            name: "tzid",
            rfc: "TZID=Europe/Berlin 10:00-11:00 (CET) = 09:00Z-10:00Z, calendar zone irrelevant",
            comp: "BEGIN:VTIMEZONE
                   TZID:Europe/Berlin
                   BEGIN:STANDARD
                   TZOFFSETFROM:+0200
                   TZOFFSETTO:+0100
                   TZNAME:CET
                   DTSTART:19701025T030000
                   RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
                   END:STANDARD
                   BEGIN:DAYLIGHT
                   TZOFFSETFROM:+0100
                   TZOFFSETTO:+0200
                   TZNAME:CEST
                   DTSTART:19700329T020000
                   RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
                   END:DAYLIGHT
                   END:VTIMEZONE
                   BEGIN:VEVENT
                   DTSTART;TZID=Europe/Berlin:20270115T100000
                   DTEND;TZID=Europe/Berlin:20270115T110000
                   END:VEVENT",
            probes: &[
                p("20270115T080000Z", "20270115T090000Z", false, "end = DTSTART"),
                p("20270115T080000Z", "20270115T090001Z", true, "end = DTSTART+1s"),
                p("20270115T100000Z", "20270115T110000Z", false, "start = DTEND"),
                p("20270115T150000Z", "20270115T160000Z", false, "the calendar zone's reading"),
            ],
        },
        Row {
            name: "tzid-custom",
            rfc: "TZID of the object's own VTIMEZONE with no IANA name (fixed +03:30): 10:00 = 06:30Z",
            comp: "BEGIN:VTIMEZONE
                   TZID:Davdir Test Plus0330
                   BEGIN:STANDARD
                   TZOFFSETFROM:+0330
                   TZOFFSETTO:+0330
                   TZNAME:P0330
                   DTSTART:19700101T000000
                   END:STANDARD
                   END:VTIMEZONE
                   BEGIN:VEVENT
                   DTSTART;TZID=Davdir Test Plus0330:20270115T100000
                   DTEND;TZID=Davdir Test Plus0330:20270115T110000
                   END:VEVENT",
            probes: &[
                p("20270115T063000Z", "20270115T063001Z", true, "start = DTSTART"),
                p("20270115T060000Z", "20270115T063000Z", false, "end = DTSTART"),
                p("20270115T150000Z", "20270115T160000Z", false, "read as floating in the calendar zone"),
            ],
        },
        Row {
            name: "floating-recurring",
            rfc: "floating RRULE FREQ=DAILY;COUNT=3 in America/New_York: 10:00 EST = 15:00Z each day",
            comp: "BEGIN:VEVENT
                   DTSTART:20270115T100000
                   DTEND:20270115T110000
                   RRULE:FREQ=DAILY;COUNT=3
                   END:VEVENT",
            probes: &[
                p("20270117T150000Z", "20270117T150001Z", true, "3rd instance"),
                p("20270117T100000Z", "20270117T110000Z", false, "3rd instance, UTC reading"),
            ],
        },
    ],
};

#[rustfmt::skip]
const TZ_OBJECT: Table = Table {
    name: "tz-object",
    comps: &["VEVENT"],
    prop: None,
    toml: "",
    query_tz: None,
    rows: &[
        Row {
            name: "gap",
            rfc: "TZID=America/New_York:20270314T023000 (nonexistent): offset before the gap (RFC 5545 §3.3.5) = 07:30Z",
            comp: concat!(
                vtz_new_york!(),
                "BEGIN:VEVENT
                 DTSTART;TZID=America/New_York:20270314T023000
                 END:VEVENT"
            ),
            probes: &[
                p("20270314T073000Z", "20270314T073001Z", true, "start = DTSTART"),
                p("20270314T063000Z", "20270314T063001Z", false, "offset after the gap"),
            ],
        },
        Row {
            name: "ambiguous",
            rfc: "TZID=America/New_York:20271107T013000 (occurs twice): the first, EDT (RFC 5545 §3.3.5) = 05:30Z",
            comp: concat!(
                vtz_new_york!(),
                "BEGIN:VEVENT
                 DTSTART;TZID=America/New_York:20271107T013000
                 END:VEVENT"
            ),
            probes: &[
                p("20271107T053000Z", "20271107T053001Z", true, "start = DTSTART (EDT)"),
                p("20271107T063000Z", "20271107T063001Z", false, "the second occurrence (EST)"),
            ],
        },
        Row {
            name: "nominal-day",
            rfc: "TZID=America/New_York 2027-03-13 12:00 + DURATION:P1D ends 2027-03-14 12:00 EDT = 16:00Z (a nominal day, RFC 5545 §3.3.6)",
            comp: concat!(
                vtz_new_york!(),
                "BEGIN:VEVENT
                 DTSTART;TZID=America/New_York:20270313T120000
                 DURATION:P1D
                 END:VEVENT"
            ),
            probes: &[
                p("20270314T160000Z", "20270314T170000Z", false, "start = end (16:00Z)"),
                p("20270314T155959Z", "20270314T170000Z", true, "start = end-1s"),
                p("20270313T160000Z", "20270313T170000Z", false, "end = DTSTART (17:00Z)"),
            ],
        },
        Row {
            name: "custom-dst-rules",
            rfc: "TZID of the object's own non-IANA VTIMEZONE with DST rules (US eastern): 2027-07-15 10:00 EDT = 14:00Z",
            comp: "BEGIN:VTIMEZONE
                   TZID:Davdir Test Eastern
                   BEGIN:DAYLIGHT
                   TZOFFSETFROM:-0500
                   TZOFFSETTO:-0400
                   TZNAME:EDT
                   DTSTART:20070311T020000
                   RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
                   END:DAYLIGHT
                   BEGIN:STANDARD
                   TZOFFSETFROM:-0400
                   TZOFFSETTO:-0500
                   TZNAME:EST
                   DTSTART:20071104T020000
                   RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
                   END:STANDARD
                   END:VTIMEZONE
                   BEGIN:VEVENT
                   DTSTART;TZID=Davdir Test Eastern:20270715T100000
                   DTEND;TZID=Davdir Test Eastern:20270715T110000
                   RRULE:FREQ=MONTHLY;COUNT=6
                   END:VEVENT",
            probes: &[
                p("20270715T140000Z", "20270715T140001Z", true, "July instance, EDT"),
                p("20270715T130000Z", "20270715T140000Z", false, "end = DTSTART (EDT)"),
                p("20270715T150000Z", "20270715T160000Z", false, "July at the EST offset"),
                p("20271215T150000Z", "20271215T150001Z", true, "December instance, EST"),
                p("20271215T140000Z", "20271215T150000Z", false, "December at the EDT offset"),
            ],
        },
        Row {
            name: "recurring-dst",
            rfc: "TZID=America/New_York daily 10:00-11:00 from 2027-03-13: 15:00Z before DST, 14:00Z after",
            comp: concat!(
                vtz_new_york!(),
                "BEGIN:VEVENT
                 DTSTART;TZID=America/New_York:20270313T100000
                 DTEND;TZID=America/New_York:20270313T110000
                 RRULE:FREQ=DAILY;COUNT=3
                 END:VEVENT"
            ),
            probes: &[
                p("20270313T150000Z", "20270313T150001Z", true, "1st instance, EST"),
                p("20270315T140000Z", "20270315T140001Z", true, "3rd instance, EDT"),
                p("20270315T150000Z", "20270315T160000Z", false, "3rd instance at the EST offset"),
            ],
        },
    ],
};

#[rustfmt::skip]
const TZ_VALARM: Table = Table {
    name: "tz-valarm",
    comps: &["VEVENT", "VALARM"],
    prop: None,
    toml: NY_TOML,
    query_tz: None,
    rows: &[Row {
        name: "allday",
        rfc: "TRIGGER:-PT15M on DATE 2027-01-15 in an America/New_York calendar: 04:45Z",
        comp: "BEGIN:VEVENT
               DTSTART;VALUE=DATE:20270115
               BEGIN:VALARM
               ACTION:DISPLAY
               DESCRIPTION:x
               TRIGGER:-PT15M
               END:VALARM
               END:VEVENT",
        probes: &[
            p("20270115T044500Z", "20270115T044501Z", true, "start = trigger"),
            p("20270114T234500Z", "20270114T234501Z", false, "the UTC reading"),
        ],
    }],
};

#[rustfmt::skip]
const TZ_CALENDAR_PROP: Table = Table {
    name: "tz-cal-prop",
    comps: &["VEVENT"],
    prop: Some("DTSTART"),
    toml: NY_TOML,
    query_tz: None,
    rows: &[Row {
        name: "floating-dtstart",
        rfc: "prop-filter DTSTART, floating 10:00 in America/New_York = 15:00Z",
        comp: FLOATING_WINTER,
        probes: &[
            p("20270115T150000Z", "20270115T150001Z", true, "start = DTSTART"),
            p("20270115T100000Z", "20270115T100001Z", false, "the UTC reading"),
        ],
    }],
};

#[rustfmt::skip]
const TZ_QUERY: Table = Table {
    name: "tz-query",
    comps: &["VEVENT"],
    prop: None,
    toml: NY_TOML,
    query_tz: Some(QUERY_TZ_BERLIN),
    rows: &[
        Row {
            name: "floating-winter",
            rfc: "CALDAV:timezone Europe/Berlin overrides the calendar's America/New_York: 10:00 CET = 09:00Z",
            comp: FLOATING_WINTER,
            probes: &[
                p("20270115T090000Z", "20270115T100000Z", true, "exactly the event"),
                p("20270115T150000Z", "20270115T160000Z", false, "the calendar zone's reading"),
                p("20270115T080000Z", "20270115T090000Z", false, "end = DTSTART"),
                p("20270115T100000Z", "20270115T110000Z", false, "start = DTEND"),
                p("20270115T095959Z", "20270115T110000Z", true, "start = DTEND-1s"),
            ],
        },
        Row {
            name: "tzid",
            rfc: "TZID=America/New_York 10:00 = 15:00Z whatever CALDAV:timezone says",
            comp: concat!(
                vtz_new_york!(),
                "BEGIN:VEVENT
                 DTSTART;TZID=America/New_York:20270115T100000
                 DTEND;TZID=America/New_York:20270115T110000
                 END:VEVENT"
            ),
            probes: &[
                p("20270115T150000Z", "20270115T150001Z", true, "start = DTSTART"),
                p("20270115T090000Z", "20270115T100000Z", false, "the query zone's reading"),
            ],
        },
        Row {
            name: "allday",
            rfc: "DATE 2027-01-15 with CALDAV:timezone Europe/Berlin = [14T23:00Z, 15T23:00Z)",
            comp: FLOATING_ALLDAY,
            probes: &[
                p("20270114T220000Z", "20270114T230000Z", false, "end = local midnight"),
                p("20270114T220000Z", "20270114T230001Z", true, "end = local midnight+1s"),
                p("20270115T230000Z", "20270116T000000Z", false, "start = next local midnight"),
                p("20270115T225959Z", "20270116T000000Z", true, "start = next local midnight-1s"),
            ],
        },
    ],
};

#[rustfmt::skip]
const TZ_QUERY_FAR: Table = Table {
    name: "tz-query-far",
    comps: &["VEVENT"],
    prop: None,
    toml: "",
    query_tz: Some(QUERY_TZ_KIRITIMATI),
    rows: &[Row {
        name: "floating",
        rfc: "CALDAV:timezone Pacific/Kiritimati (+14): 2027-01-15 10:00 = 2027-01-14 20:00Z",
        comp: FLOATING_WINTER,
        probes: &[
            p("20270114T200000Z", "20270114T210000Z", true, "exactly the event"),
            p("20270115T100000Z", "20270115T110000Z", false, "the UTC reading"),
            p("20270114T190000Z", "20270114T200000Z", false, "end = DTSTART"),
            p("20270114T210000Z", "20270114T220000Z", false, "start = DTEND"),
        ],
    }],
};

#[rustfmt::skip]
const TZ_QUERY_CUSTOM: Table = Table {
    name: "tz-query-custom",
    comps: &["VEVENT"],
    prop: None,
    toml: "",
    query_tz: Some(QUERY_TZ_CUSTOM),
    rows: &[Row {
        name: "floating",
        rfc: "CALDAV:timezone with a non-IANA TZID defined as fixed -03:30: 10:00 = 13:30Z",
        comp: FLOATING_WINTER,
        probes: &[
            p("20270115T133000Z", "20270115T133001Z", true, "start = DTSTART"),
            p("20270115T130000Z", "20270115T133000Z", false, "end = DTSTART"),
            p("20270115T100000Z", "20270115T110000Z", false, "the UTC reading"),
        ],
    }],
};

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn vevent_table() {
    check_tables(&[&VEVENT, &VEVENT_RECURRING]);
}

#[test]
fn vtodo_table() {
    check_tables(&[&VTODO, &VTODO_MORE]);
}

#[test]
fn vjournal_table() {
    check_tables(&[&VJOURNAL, &VJOURNAL_MORE]);
}

#[test]
fn vfreebusy_table() {
    check_tables(&[&VFREEBUSY]);
}

#[test]
fn valarm_rule() {
    check_tables(&[&VALARM_EVENT, &VALARM_TODO]);
}

#[test]
fn property_rule() {
    check_tables(&[
        &PROP_DTSTAMP,
        &PROP_DTSTART,
        &PROP_DTEND,
        &PROP_DUE,
        &PROP_COMPLETED,
        &PROP_CREATED,
        &PROP_LAST_MODIFIED,
    ]);
}

/// Known davdir bug: a time-range in a prop-filter DTEND (DUE) does not match
/// an event (to-do) that has DURATION instead, although §9.9 says the test
/// should operate on the effective DTSTART+DURATION.
#[test]
fn property_rule_effective_dtend_and_due() {
    check_tables(&[&PROP_DTEND_EFFECTIVE, &PROP_DUE_EFFECTIVE]);
}

#[test]
fn floating_times_and_time_zones() {
    check_tables(&[
        &TZ_CALENDAR,
        &TZ_OBJECT,
        &TZ_VALARM,
        &TZ_CALENDAR_PROP,
        &TZ_QUERY,
        &TZ_QUERY_FAR,
    ]);
}

/// Known davdir bug: the CALDAV:timezone's VTIMEZONE is only looked up by
/// TZID / X-LIC-LOCATION among IANA and Windows names; a definition under
/// any other TZID is ignored and floating times fall back to UTC (or the
/// calendar's zone). RFC 4791 §9.8: the element's VTIMEZONE is the zone.
#[test]
fn query_timezone_defined_only_by_its_vtimezone() {
    check_tables(&[&TZ_QUERY_CUSTOM]);
}

/// PROPPATCH of CALDAV:calendar-timezone (RFC 4791 §5.2.2) changes how
/// floating times already stored are read.
#[test]
fn calendar_timezone_set_by_proppatch() {
    let server = start(&[("tz-patch".to_string(), String::new())]);
    put(
        &server,
        "/u/tz-patch/floating.ics",
        &object("tz-patch-floating@davdir-test", FLOATING_WINTER),
    );
    let filter = |s: &str, e: &str| {
        format!(
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{s}" end="{e}"/></C:comp-filter></C:comp-filter>"#
        )
    };
    let hit: BTreeSet<String> = ["/u/tz-patch/floating.ics".to_string()].into();
    // No zone yet: floating is read as UTC.
    assert_eq!(
        query(
            &server,
            "tz-patch",
            &filter("20270115T100000Z", "20270115T100001Z"),
            None
        ),
        Ok(hit.clone())
    );
    let tokyo = "BEGIN:VCALENDAR
                 VERSION:2.0
                 PRODID:-//davdir//query table//EN
                 BEGIN:VTIMEZONE
                 TZID:Asia/Tokyo
                 BEGIN:STANDARD
                 TZOFFSETFROM:+0900
                 TZOFFSETTO:+0900
                 TZNAME:JST
                 DTSTART:19700101T000000
                 END:STANDARD
                 END:VTIMEZONE
                 END:VCALENDAR";
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:set><D:prop><C:calendar-timezone>{}</C:calendar-timezone></D:prop></D:set>
</D:propertyupdate>"#,
        xml_escape(&ics(tokyo))
    );
    let ms = server.proppatch("/u/tz-patch/", &body).multistatus();
    assert_eq!(
        ms.single().status_of(CALDAV, "calendar-timezone"),
        Some(200),
        "PROPPATCH calendar-timezone: {ms:?}"
    );
    // Asia/Tokyo: 10:00 JST = 01:00Z.
    assert_eq!(
        query(
            &server,
            "tz-patch",
            &filter("20270115T010000Z", "20270115T010001Z"),
            None
        ),
        Ok(hit),
        "floating 10:00 in Asia/Tokyo is 01:00Z"
    );
    assert_eq!(
        query(
            &server,
            "tz-patch",
            &filter("20270115T100000Z", "20270115T110000Z"),
            None
        ),
        Ok(BTreeSet::new()),
        "the UTC reading no longer matches"
    );
}

// --- Preconditions (RFC 4791 §7.8 / §9.9 / §7.5.1) ---------------------------

fn tr_filter(attrs: &str) -> String {
    format!(
        r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range {attrs}/></C:comp-filter></C:comp-filter>"#
    )
}

#[test]
fn invalid_filters_are_refused() {
    let server = start(&[("errors".to_string(), String::new())]);
    put(
        &server,
        "/u/errors/e.ics",
        &object("errors-e@davdir-test", PROP_EVENT),
    );
    let q = |filter: String| query_body(&filter, None);
    let collation = |inner: &str| {
        format!(
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">{inner}</C:comp-filter></C:comp-filter>"#
        )
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "time-range start > end (§9.9: end MUST be greater than start)",
            q(tr_filter(r#"start="20270115T110000Z" end="20270115T100000Z""#)),
            "valid-filter",
        ),
        (
            "time-range start = end (§9.9: end MUST be greater than start)",
            q(tr_filter(r#"start="20270115T100000Z" end="20270115T100000Z""#)),
            "valid-filter",
        ),
        (
            "time-range with neither start nor end (§9.9: at least one MUST be present)",
            q(tr_filter("")),
            "valid-filter",
        ),
        (
            "time-range start not a date-time",
            q(tr_filter(r#"start="garbage" end="20270115T110000Z""#)),
            "valid-filter",
        ),
        (
            "time-range end a DATE, not UTC date-time (§9.9: MUST be date with UTC time)",
            q(tr_filter(r#"start="20270115T100000Z" end="20270116""#)),
            "valid-filter",
        ),
        (
            "calendar-query without CALDAV:filter (§7.8: filter is required)",
            r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop></C:calendar-query>"#
                .to_string(),
            "valid-filter",
        ),
        (
            "unknown collation in a prop-filter text-match (§7.5.1 / §9.7.5)",
            q(collation(
                r#"<C:prop-filter name="SUMMARY"><C:text-match collation="x-davdir;no-such-collation">a</C:text-match></C:prop-filter>"#,
            )),
            "supported-collation",
        ),
        (
            "unknown collation in a param-filter text-match (§7.5.1 / §9.7.5)",
            q(collation(
                r#"<C:prop-filter name="ATTENDEE"><C:param-filter name="PARTSTAT"><C:text-match collation="x-davdir;no-such-collation">a</C:text-match></C:param-filter></C:prop-filter>"#,
            )),
            "supported-collation",
        ),
    ];
    let mut failures = Vec::new();
    for (what, body, condition) in cases {
        let resp = server.report("/u/errors/", "1", &body);
        let (status, text) = (resp.status, resp.text());
        if status != 403 || !has_condition(&text, condition) {
            failures.push(format!(
                "{what}: expected 403 with CALDAV:{condition}, got {status}: {text}"
            ));
        }
    }
    // The control: the same filter with a valid range is answered.
    let ok = query(
        &server,
        "errors",
        &tr_filter(r#"start="20270115T100000Z" end="20270115T110000Z""#),
        None,
    );
    if ok != Ok(["/u/errors/e.ics".to_string()].into()) {
        failures.push(format!("valid time-range: expected the event, got {ok:?}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Known davdir bug: a floating (non-UTC) DATE-TIME in a time-range bound is
/// accepted and read as UTC; §9.9 says both attributes MUST be "date with UTC
/// time", so the filter is not valid (CALDAV:valid-filter, §7.8).
#[test]
fn time_range_bounds_must_be_utc() {
    let server = start(&[("errors".to_string(), String::new())]);
    put(
        &server,
        "/u/errors/e.ics",
        &object("errors-e@davdir-test", PROP_EVENT),
    );
    let mut failures = Vec::new();
    for attrs in [
        r#"start="20270115T100000" end="20270115T110000Z""#,
        r#"start="20270115T100000Z" end="20270115T110000""#,
    ] {
        let resp = server.report("/u/errors/", "1", &query_body(&tr_filter(attrs), None));
        if resp.status != 403 || !has_condition(&resp.text(), "valid-filter") {
            failures.push(format!(
                "time-range {attrs}: expected 403 with CALDAV:valid-filter, got {}: {}",
                resp.status,
                resp.text()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// --- Text matching, negation, is-not-defined, param-filter (§9.7) -----------

const TEXT_OBJECTS: &[(&str, &str)] = &[
    (
        "upper",
        "BEGIN:VEVENT
         DTSTART:20270115T100000Z
         DTEND:20270115T110000Z
         SUMMARY:Team MEETING
         LOCATION:Room 1
         ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@example.com
         BEGIN:VALARM
         ACTION:DISPLAY
         DESCRIPTION:x
         TRIGGER:-PT15M
         END:VALARM
         END:VEVENT",
    ),
    (
        "lower",
        "BEGIN:VEVENT
         DTSTART:20270116T100000Z
         DTEND:20270116T110000Z
         SUMMARY:team meeting
         ATTENDEE;PARTSTAT=DECLINED:mailto:b@example.com
         END:VEVENT",
    ),
    (
        "other",
        "BEGIN:VEVENT
         DTSTART:20270117T100000Z
         DTEND:20270117T110000Z
         SUMMARY:Lunch
         LOCATION:Café ÉTÉ
         ATTENDEE:mailto:c@example.com
         END:VEVENT",
    ),
    (
        "bare",
        "BEGIN:VEVENT
         DTSTART:20270118T100000Z
         DTEND:20270118T110000Z
         SUMMARY:Standup
         END:VEVENT",
    ),
    (
        "todo",
        "BEGIN:VTODO
         DUE:20270116T100000Z
         SUMMARY:meeting notes
         LOCATION:Room 1
         END:VTODO",
    ),
];

fn in_vevent(inner: &str) -> String {
    format!(
        r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">{inner}</C:comp-filter></C:comp-filter>"#
    )
}

fn text_match(prop: &str, attrs: &str, text: &str) -> String {
    in_vevent(&format!(
        r#"<C:prop-filter name="{prop}"><C:text-match{attrs}>{text}</C:text-match></C:prop-filter>"#
    ))
}

#[test]
fn text_match_and_definedness_filters() {
    let server = start(&[("text".to_string(), String::new())]);
    for (name, comp) in TEXT_OBJECTS {
        put(
            &server,
            &format!("/u/text/{name}.ics"),
            &object(&format!("text-{name}@davdir-test"), comp),
        );
    }
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "default collation i;ascii-casemap, substring (§9.7.5)",
            text_match("SUMMARY", "", "meeting"),
            &["upper", "lower"],
        ),
        (
            "i;ascii-casemap folds ASCII case",
            text_match("SUMMARY", r#" collation="i;ascii-casemap""#, "MEETING"),
            &["upper", "lower"],
        ),
        (
            "i;octet is case-sensitive (lower case)",
            text_match("SUMMARY", r#" collation="i;octet""#, "meeting"),
            &["lower"],
        ),
        (
            "i;octet is case-sensitive (upper case)",
            text_match("SUMMARY", r#" collation="i;octet""#, "MEETING"),
            &["upper"],
        ),
        (
            "negate-condition=yes (§9.7.5)",
            text_match("SUMMARY", r#" negate-condition="yes""#, "meeting"),
            &["other", "bare"],
        ),
        (
            "negate-condition=no is the plain match",
            text_match("SUMMARY", r#" negate-condition="no""#, "meeting"),
            &["upper", "lower"],
        ),
        (
            "negated text-match on a missing property does not match (§9.7.2)",
            text_match("LOCATION", r#" negate-condition="yes""#, "Room"),
            &["other"],
        ),
        (
            "i;ascii-casemap leaves non-ASCII letters alone: été does not match ÉTÉ",
            text_match("LOCATION", r#" collation="i;ascii-casemap""#, "CAFé été"),
            &[],
        ),
        (
            "i;ascii-casemap: ASCII folded, é/É kept (CAFé ÉTÉ)",
            text_match("LOCATION", r#" collation="i;ascii-casemap""#, "CAFé ÉTÉ"),
            &["other"],
        ),
        (
            "i;ascii-casemap: cafÉ does not match Café",
            text_match("LOCATION", "", "cafÉ"),
            &[],
        ),
        (
            "prop-filter is-not-defined (§9.7.2)",
            in_vevent(r#"<C:prop-filter name="LOCATION"><C:is-not-defined/></C:prop-filter>"#),
            &["lower", "bare"],
        ),
        (
            "prop-filter is-not-defined on a property all have",
            in_vevent(r#"<C:prop-filter name="SUMMARY"><C:is-not-defined/></C:prop-filter>"#),
            &[],
        ),
        (
            "empty prop-filter: the property exists",
            in_vevent(r#"<C:prop-filter name="LOCATION"/>"#),
            &["upper", "other"],
        ),
        (
            "comp-filter VALARM is-not-defined (§9.7.1)",
            in_vevent(r#"<C:comp-filter name="VALARM"><C:is-not-defined/></C:comp-filter>"#),
            &["lower", "other", "bare"],
        ),
        (
            "comp-filter VALARM exists",
            in_vevent(r#"<C:comp-filter name="VALARM"/>"#),
            &["upper"],
        ),
        (
            "comp-filter VTODO is-not-defined under VCALENDAR",
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"><C:is-not-defined/></C:comp-filter></C:comp-filter>"#.to_string(),
            &["upper", "lower", "other", "bare"],
        ),
        (
            "comp-filter VTODO with text-match: VEVENTs never match",
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"><C:prop-filter name="SUMMARY"><C:text-match>meeting</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter>"#.to_string(),
            &["todo"],
        ),
        (
            "param-filter text-match (§9.7.3)",
            in_vevent(r#"<C:prop-filter name="ATTENDEE"><C:param-filter name="PARTSTAT"><C:text-match>accepted</C:text-match></C:param-filter></C:prop-filter>"#),
            &["upper"],
        ),
        (
            "param-filter negated text-match",
            in_vevent(r#"<C:prop-filter name="ATTENDEE"><C:param-filter name="PARTSTAT"><C:text-match negate-condition="yes">ACCEPTED</C:text-match></C:param-filter></C:prop-filter>"#),
            &["lower"],
        ),
        (
            "prop-filter ATTENDEE is-not-defined",
            in_vevent(r#"<C:prop-filter name="ATTENDEE"><C:is-not-defined/></C:prop-filter>"#),
            &["bare"],
        ),
        (
            "param-filter is-not-defined: the property must exist (§9.7.2)",
            in_vevent(r#"<C:prop-filter name="ATTENDEE"><C:param-filter name="PARTSTAT"><C:is-not-defined/></C:param-filter></C:prop-filter>"#),
            &["other"],
        ),
        (
            "empty param-filter: the parameter exists",
            in_vevent(r#"<C:prop-filter name="ATTENDEE"><C:param-filter name="PARTSTAT"/></C:prop-filter>"#),
            &["upper", "lower"],
        ),
        (
            "prop-filter text-match on ATTENDEE value, default collation",
            text_match("ATTENDEE", "", "B@EXAMPLE.COM"),
            &["lower"],
        ),
        (
            "time-range AND text-match in one comp-filter",
            in_vevent(r#"<C:time-range start="20270115T000000Z" end="20270116T120000Z"/><C:prop-filter name="SUMMARY"><C:text-match collation="i;octet">MEETING</C:text-match></C:prop-filter>"#),
            &["upper"],
        ),
        (
            "two prop-filters are ANDed",
            in_vevent(r#"<C:prop-filter name="SUMMARY"><C:text-match>meeting</C:text-match></C:prop-filter><C:prop-filter name="LOCATION"><C:is-not-defined/></C:prop-filter>"#),
            &["lower"],
        ),
    ];
    let mut failures = Vec::new();
    for (what, filter, want) in cases {
        let want: BTreeSet<String> = want.iter().map(|n| format!("/u/text/{n}.ics")).collect();
        match query(&server, "text", &filter, None) {
            Ok(got) if got == want => {}
            Ok(got) => failures.push(format!(
                "{what}: expected {want:?}, got {got:?}\n  filter: {filter}"
            )),
            Err(e) => failures.push(format!(
                "{what}: expected {want:?}, got {e}\n  filter: {filter}"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
