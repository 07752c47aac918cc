//! RFC 4791 §9.9 time-range tables, driven over HTTP against the real binary.
//!
//! Every table transcribes one table (or rule) of RFC 4791 §9.9: one
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
//!
//! The harness and the `Table` type live here, each group of
//! tables with its test in a module of its own (`vevent`, `vtodo`,
//! `vjournal_vfreebusy`, `valarm`, `properties`, `time_zones`), and the other
//! checks in `preconditions` and `text_match`.

mod preconditions;
mod properties;
mod text_match;
mod time_zones;
mod valarm;
mod vevent;
mod vjournal_vfreebusy;
mod vtodo;

use std::collections::BTreeSet;

use crate::common::{parse_xml, Options, Server, CALDAV};

const USER: &str = "u";

// ---------------------------------------------------------------------------
// Harness: tests/it/common's server (no sample data, --no-auth, any Basic user
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
    parse_xml(xml).is_ok_and(|root| {
        root.is(crate::common::DAV, "error") && root.child(CALDAV, name).is_some()
    })
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
