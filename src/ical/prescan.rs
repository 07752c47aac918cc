//! A linear, non-recursive pass over the content lines of an iCalendar text
//! that runs before any parser sees it. The `icalendar` parser recurses once
//! per nested component and its cost grows with the counts below, so every
//! text the server reads (PUT bodies, files found on disk, CALDAV:timezone
//! and calendar-timezone values) is bounded here first. It also rejects what
//! the parser would accept but must never be stored or served: control
//! characters, BEGIN/END that do not pair up, a second UID or DTSTART in one
//! component, and date values that name no real day or time. It lives here,
//! below `ical`, because the query parsers need it and it needs only the
//! date-value rules of this module.

/// Why a text fails the pre-scan; `ical` reports it as its `IcalError`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrescanError {
    #[error("line {line}: {reason}")]
    Syntax { line: usize, reason: String },
    /// Well-formed, but not one calendar object resource.
    #[error("{0}")]
    NotObjectResource(String),
}

/// Deepest component nesting (VCALENDAR counts as 1; real objects need 3:
/// VCALENDAR > VEVENT > VALARM, or VCALENDAR > VTIMEZONE > STANDARD).
pub const MAX_DEPTH: usize = 16;
/// Components in one text (a recurring event with this many overrides is
/// far beyond what any client writes).
pub const MAX_COMPONENTS: usize = 5_000;
/// Content lines (properties) in one text.
pub const MAX_PROPERTIES: usize = 50_000;
/// Bytes in one unfolded content line (an inline ATTACH beyond ~750 KB of
/// data is refused; clients attach by URL).
pub const MAX_LINE: usize = 1 << 20;
/// Parameters on one property.
pub const MAX_PARAMS: usize = 64;
/// RRULE properties in one component (RFC 5545 says it SHOULD occur at most
/// once; each one is a separate expansion).
pub const MAX_RRULES: usize = 8;

/// Properties that may occur at most once per component (RFC 5545 §3.6)
/// and whose repetition would make an object ambiguous.
const SINGLE: [&str; 6] = [
    "UID",
    "DTSTART",
    "DTEND",
    "DUE",
    "DURATION",
    "RECURRENCE-ID",
];
/// Properties whose value is one DATE or DATE-TIME.
const ONE_DATE: [&str; 4] = ["DTSTART", "DTEND", "DUE", "RECURRENCE-ID"];

/// One open component while scanning.
struct Frame {
    name: String,
    /// Bit i set when SINGLE[i] was seen.
    seen: u8,
    rrules: usize,
}

/// Checks the bounds, the BEGIN/END pairing, the VCALENDAR envelope and the
/// line-level validity rules, in one pass with memory bounded by one line.
pub fn prescan(text: &str) -> Result<(), PrescanError> {
    let mut stack: Vec<Frame> = Vec::new();
    let (mut roots, mut components, mut properties) = (0usize, 0usize, 0usize);
    let mut last_line = 0;
    for (line, l) in LogicalLines::new(text) {
        let l = l?;
        last_line = line;
        let err = |reason: String| PrescanError::Syntax { line, reason };
        let upper_head = |s: &str| s.get(..6).map(str::to_ascii_uppercase);
        if upper_head(&l).as_deref() == Some("BEGIN:") {
            let name = l[6..].to_ascii_uppercase();
            if stack.is_empty() {
                roots += 1;
                if name != "VCALENDAR" {
                    return Err(err(format!("expected BEGIN:VCALENDAR, found BEGIN:{name}")));
                }
                if roots > 1 {
                    return Err(PrescanError::NotObjectResource(
                        "more than one VCALENDAR".into(),
                    ));
                }
            }
            components += 1;
            if components > MAX_COMPONENTS {
                return Err(err(format!("more than {MAX_COMPONENTS} components")));
            }
            if stack.len() >= MAX_DEPTH {
                return Err(err(format!(
                    "components nested deeper than {MAX_DEPTH} levels"
                )));
            }
            stack.push(Frame {
                name,
                seen: 0,
                rrules: 0,
            });
        } else if l.get(..4).is_some_and(|h| h.eq_ignore_ascii_case("END:")) {
            let name = l[4..].to_ascii_uppercase();
            match stack.pop() {
                Some(open) if open.name == name => {}
                Some(open) => return Err(err(format!("END:{name} closes BEGIN:{}", open.name))),
                None => return Err(err(format!("END:{name} without BEGIN"))),
            }
        } else {
            let Some(frame) = stack.last_mut() else {
                return Err(err("content outside BEGIN:VCALENDAR".into()));
            };
            properties += 1;
            if properties > MAX_PROPERTIES {
                return Err(err(format!("more than {MAX_PROPERTIES} properties")));
            }
            let prop = split(&l).map_err(err)?;
            property_rules(frame, &prop).map_err(err)?;
        }
    }
    if last_line == 0 {
        return Err(PrescanError::Syntax {
            line: 1,
            reason: "empty body".into(),
        });
    }
    if let Some(open) = stack.last() {
        return Err(PrescanError::Syntax {
            line: last_line,
            reason: format!("BEGIN:{} is never closed", open.name),
        });
    }
    Ok(())
}

/// A content line cut into name, parameter text and value (shared with the
/// vCard prescan, which has the same line grammar).
pub(crate) struct Prop<'l> {
    pub(crate) name: String,
    pub(crate) params: &'l str,
    pub(crate) value: &'l str,
}

/// Splits `NAME;P=V;P="x:y":value`, honouring quoted parameter values.
pub(crate) fn split(l: &str) -> Result<Prop<'_>, String> {
    let mut quoted = false;
    let mut count = 0usize;
    let mut name_end = None;
    for (i, b) in l.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b';' if !quoted => {
                name_end.get_or_insert(i);
                count += 1;
                if count > MAX_PARAMS {
                    return Err(format!("more than {MAX_PARAMS} parameters"));
                }
            }
            b':' if !quoted => {
                let name_end = *name_end.get_or_insert(i);
                if name_end == 0 {
                    return Err("content line without a name".into());
                }
                return Ok(Prop {
                    name: l[..name_end].to_ascii_uppercase(),
                    params: &l[name_end..i],
                    value: &l[i + 1..],
                });
            }
            _ => {}
        }
    }
    Err("content line without ':'".into())
}

/// Per-component rules: single-valued properties, the RRULE bound and
/// date values that must be real dates.
fn property_rules(frame: &mut Frame, p: &Prop<'_>) -> Result<(), String> {
    if let Some(i) = SINGLE.iter().position(|s| *s == p.name) {
        if frame.seen & (1 << i) != 0 {
            return Err(format!("{} occurs twice in {}", p.name, frame.name));
        }
        frame.seen |= 1 << i;
    }
    if p.name == "RRULE" {
        frame.rrules += 1;
        if frame.rrules > MAX_RRULES {
            return Err(format!("more than {MAX_RRULES} RRULEs in {}", frame.name));
        }
    }
    let bad = |v: &str| {
        Err(format!(
            "{}: {v:?} is not a valid date or date-time",
            p.name
        ))
    };
    // A time zone's rules place no event: their DTSTART is left alone.
    let zone_rule = matches!(frame.name.as_str(), "STANDARD" | "DAYLIGHT");
    let year_zero = |v: &str| {
        Err(format!(
            "{}: {v:?} is in year 0000, which no calendar means (years 0001 to 9999 are accepted)",
            p.name
        ))
    };
    if ONE_DATE.contains(&p.name.as_str()) {
        if !super::valid_date_value(p.value) {
            return bad(p.value);
        }
        if !zone_rule && super::names_year_zero(p.value) {
            return year_zero(p.value);
        }
        return Ok(());
    }
    if p.name == "EXDATE" || p.name == "RDATE" {
        let period_ok = p.name == "RDATE" && p.params.to_ascii_uppercase().contains("VALUE=PERIOD");
        for v in p.value.split(',') {
            let ok = super::valid_date_value(v)
                || (period_ok || v.contains('/')) && super::valid_period_value(v);
            if !ok {
                return bad(v);
            }
            if !zone_rule && super::names_year_zero(v) {
                return year_zero(v);
            }
        }
    }
    Ok(())
}

/// Unfolded content lines with the number of the physical line each starts
/// on; yields an error for a control character or an over-long line.
pub(crate) struct LogicalLines<'t> {
    rest: &'t str,
    next_line: usize,
}

impl<'t> LogicalLines<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        LogicalLines {
            rest: text,
            next_line: 1,
        }
    }

    /// The next physical line without its terminator, or `None` at the end.
    fn physical(&mut self) -> Option<&'t str> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match self.rest.find('\n') {
            Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
            None => (self.rest, ""),
        };
        self.rest = rest;
        self.next_line += 1;
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

/// Rejects C0 controls other than HTAB, and DEL (RFC 5545 §3.1, §3.3.11).
fn check_controls(s: &str, line: usize) -> Result<(), PrescanError> {
    match s.bytes().find(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        Some(b) => Err(PrescanError::Syntax {
            line,
            reason: format!("control character U+{b:04X} in a content line"),
        }),
        None => Ok(()),
    }
}

impl Iterator for LogicalLines<'_> {
    type Item = (usize, Result<String, PrescanError>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let line = self.next_line;
            let first = self.physical()?;
            if first.is_empty() {
                continue;
            }
            if let Err(e) = check_controls(first, line) {
                return Some((line, Err(e)));
            }
            if first.starts_with([' ', '\t']) {
                // A continuation without a line to continue: ignored, as the
                // parser does after unfolding.
                continue;
            }
            let mut out = first.to_string();
            while self.rest.starts_with([' ', '\t']) {
                let cont_line = self.next_line;
                let cont = self.physical().unwrap_or_default();
                if let Err(e) = check_controls(cont, cont_line) {
                    return Some((cont_line, Err(e)));
                }
                out.push_str(&cont[1..]);
                if out.len() > MAX_LINE {
                    break;
                }
            }
            if out.len() > MAX_LINE {
                let e = PrescanError::Syntax {
                    line,
                    reason: format!("content line longer than {MAX_LINE} bytes"),
                };
                return Some((line, Err(e)));
            }
            return Some((line, Ok(out)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(body: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u\r\nDTSTART:20260101T000000Z\r\n{body}END:VEVENT\r\nEND:VCALENDAR\r\n")
    }

    fn reason(text: &str) -> String {
        match prescan(text) {
            Err(PrescanError::Syntax { reason, .. }) => reason,
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn accepts_ordinary_object_with_folds_and_quoted_params() {
        let ok = wrap("ATTENDEE;CN=\"Doe; J:x\";ROLE=REQ-PARTICIPANT:mailto:j@x\r\nSUMMARY:a\r\n  long\r\nBEGIN:VALARM\r\nTRIGGER:-PT5M\r\nACTION:DISPLAY\r\nEND:VALARM\r\nRDATE;VALUE=PERIOD:20260102T000000Z/PT1H\r\nEXDATE;VALUE=DATE:20260103,20260104\r\n");
        prescan(&ok).unwrap();
    }

    #[test]
    fn bounds_nesting_at_the_limit() {
        // VCALENDAR + VEVENT + 14 = 16 levels is allowed, 17 is not.
        let nest = |n: usize| wrap(&("BEGIN:X-A\r\n".repeat(n) + &"END:X-A\r\n".repeat(n)));
        prescan(&nest(MAX_DEPTH - 2)).unwrap();
        assert!(reason(&nest(MAX_DEPTH - 1)).contains("nested deeper"));
        assert!(reason(&nest(100_000)).contains("nested deeper"));
    }

    #[test]
    fn bounds_counts_lengths_and_params() {
        let many = |line: &str, n: usize| wrap(&line.repeat(n));
        prescan(&many("X-P:1\r\n", MAX_PROPERTIES - 10)).unwrap();
        assert!(reason(&many("X-P:1\r\n", MAX_PROPERTIES)).contains("properties"));
        assert!(reason(&many("BEGIN:X-C\r\nEND:X-C\r\n", MAX_COMPONENTS)).contains("components"));
        let long = wrap(&format!("X-L:{}\r\n", "a".repeat(MAX_LINE)));
        assert!(reason(&long).contains("longer than"));
        let folded = wrap(&format!(
            "X-L:a\r\n{}",
            " aaaaaaaa\r\n".repeat(MAX_LINE / 8)
        ));
        assert!(reason(&folded).contains("longer than"));
        let params = wrap(&format!("X-P{}:v\r\n", ";A=b".repeat(MAX_PARAMS + 1)));
        assert!(reason(&params).contains("parameters"));
        let rrules = many("RRULE:FREQ=SECONDLY\r\n", MAX_RRULES + 1);
        assert!(reason(&rrules).contains("RRULE"));
        prescan(&many("RRULE:FREQ=DAILY\r\n", MAX_RRULES)).unwrap();
    }

    #[test]
    fn rejects_controls_duplicates_and_impossible_dates() {
        assert_eq!(
            prescan(&wrap("SUMMARY:a\0b\r\n")),
            Err(PrescanError::Syntax {
                line: 6,
                reason: "control character U+0000 in a content line".into()
            })
        );
        assert!(reason(&wrap("SUMMARY:a\x7fb\r\n")).contains("U+007F"));
        assert!(reason(&wrap("SUMMARY:a\r\n b\x01\r\n")).contains("U+0001"));
        assert!(reason(&wrap("SUMMARY:a\rb\r\n")).contains("U+000D"));
        prescan(&wrap("SUMMARY:tab\there\r\n")).unwrap();
        assert!(reason(&wrap("UID:again\r\n")).contains("UID occurs twice"));
        assert!(reason(&wrap("DTSTART:20260102T000000Z\r\n")).contains("twice"));
        let bad_date = |line: &str| wrap(line).replace("DTSTART:20260101T000000Z\r\n", "");
        assert!(reason(&bad_date("DTSTART:20261345T256199Z\r\n")).contains("not a valid date"));
        assert!(reason(&bad_date("DTSTART;VALUE=DATE:20260230\r\n")).contains("not a valid"));
        assert!(reason(&bad_date("DTSTART:00000101T100000Z\r\n")).contains("year 0000"));
        assert!(
            reason(&wrap("EXDATE:20260101T000000Z,00001231T000000Z\r\n")).contains("year 0000")
        );
        assert!(reason(&wrap(
            "RDATE;VALUE=PERIOD:20260101T000000Z/00000101T000000Z\r\n"
        ))
        .contains("year 0000"));
        assert!(prescan(&bad_date("DTSTART:00010101T100000Z\r\n")).is_ok());
        let zone = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:X\r\nBEGIN:STANDARD\r\nDTSTART:00000101T000000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n";
        assert!(
            prescan(zone).is_ok(),
            "a zone rule's year 0000 places no event"
        );
        assert!(reason(&wrap("DTEND:2026\r\n")).contains("not a valid"));
        assert!(reason(&wrap("EXDATE:20260101T000000Z,20260230T000000Z\r\n")).contains("EXDATE"));
        assert!(reason(&wrap("RDATE:20260101T250000Z\r\n")).contains("RDATE"));
        assert!(reason(&wrap("RECURRENCE-ID:x\r\n")).contains("RECURRENCE-ID"));
    }

    #[test]
    fn structure_errors_keep_their_line() {
        assert_eq!(
            prescan("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\n"),
            Err(PrescanError::Syntax {
                line: 3,
                reason: "END:VTODO closes BEGIN:VEVENT".into()
            })
        );
        assert!(reason("").contains("empty"));
        assert!(reason("\r\n\r\n").contains("empty"));
        assert!(reason("BEGIN:VCALENDAR\r\n").contains("never closed"));
        assert!(reason("X:1\r\n").contains("outside"));
    }
}
