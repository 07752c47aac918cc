//! Splits an iCalendar file (one or more VCALENDARs) into calendar object
//! resources: the components of one UID (master and RECURRENCE-ID
//! overrides) together, with exactly the VTIMEZONEs their TZIDs reference.
//! Works line-wise on the text (as the collection export does), so each
//! component keeps its lines as written (with CRLF endings); validation is
//! left to `ical::inspect`, run on every object afterwards.

use std::collections::{HashMap, HashSet};

use super::{Piece, Skipped, Split};

/// The header every object written gets (the file's own calendar
/// properties, such as METHOD or X-WR-CALNAME, belong to no one object).
const HEADER: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davdir//import//EN\r\n";

/// One top-level component of the file.
struct Component {
    name: String,
    line: usize,
    text: String,
    uid: Option<String>,
    recurrence_id: Option<String>,
    /// TZIDs its properties reference, in order of first use.
    tzids: Vec<String>,
    /// For a VTIMEZONE: the TZID it defines.
    defines: Option<String>,
}

/// Splits `text`; components without a UID, repeated ones (same UID and
/// RECURRENCE-ID) and unterminated ones are reported, the first of a
/// repeated pair kept.
pub fn split(text: &str) -> Split {
    let mut out = Split::default();
    let mut zones: HashMap<String, String> = HashMap::new();
    let mut groups: Vec<(String, Vec<Component>)> = Vec::new();
    let mut by_uid: HashMap<String, usize> = HashMap::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for comp in components(text, &mut out.skipped) {
        if let Some(tzid) = &comp.defines {
            zones
                .entry(tzid.clone())
                .or_insert_with(|| comp.text.clone());
            continue;
        }
        let Some(uid) = comp.uid.clone() else {
            out.skipped.push(Skipped {
                item: format!("{} at line {}", comp.name, comp.line),
                reason: "invalid: no UID".into(),
            });
            continue;
        };
        let key = (uid.clone(), comp.recurrence_id.clone().unwrap_or_default());
        if let Some(first) = seen.get(&key) {
            out.skipped.push(Skipped {
                item: format!("{} {uid} at line {}", comp.name, comp.line),
                reason: format!(
                    "duplicate UID {uid} in the file (first at line {first}); the first was kept"
                ),
            });
            continue;
        }
        seen.insert(key, comp.line);
        let at = *by_uid.entry(uid.clone()).or_insert_with(|| {
            groups.push((uid, Vec::new()));
            groups.len() - 1
        });
        groups[at].1.push(comp);
    }
    for (uid, comps) in groups {
        let mut body = String::from(HEADER);
        let mut used = HashSet::new();
        for tzid in comps.iter().flat_map(|c| &c.tzids) {
            if used.insert(tzid) {
                if let Some(zone) = zones.get(tzid) {
                    body.push_str(zone);
                }
            }
        }
        for comp in &comps {
            body.push_str(&comp.text);
        }
        body.push_str("END:VCALENDAR\r\n");
        out.pieces.push(Piece {
            item: format!("UID {uid}"),
            bytes: body.into_bytes(),
        });
    }
    out
}

/// The components directly inside the file's VCALENDARs, in order.
fn components(text: &str, skipped: &mut Vec<Skipped>) -> Vec<Component> {
    let text = crate::bom::strip(text);
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<(String, usize, String)> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        let upper_begin = starts_with_ci(line, "BEGIN:");
        if upper_begin {
            depth += 1;
            if depth == 2 {
                current = Some((line[6..].trim().to_ascii_uppercase(), n + 1, String::new()));
            }
        }
        if let Some((_, _, body)) = current.as_mut() {
            body.push_str(line);
            body.push_str("\r\n");
        }
        if starts_with_ci(line, "END:") {
            if depth == 2 {
                if let Some((name, line, text)) = current.take() {
                    out.push(describe(name, line, text));
                }
            }
            depth = depth.saturating_sub(1);
        }
    }
    if let Some((name, line, _)) = current {
        skipped.push(Skipped {
            item: format!("{name} at line {line}"),
            reason: "invalid: no END line before the end of the file".into(),
        });
    }
    out
}

/// Reads what splitting needs from a component's unfolded lines.
fn describe(name: String, line: usize, text: String) -> Component {
    let mut comp = Component {
        name,
        line,
        uid: None,
        recurrence_id: None,
        tzids: Vec::new(),
        defines: None,
        text: String::new(),
    };
    let mut depth = 0usize;
    for logical in unfold(&text) {
        if starts_with_ci(&logical, "BEGIN:") {
            depth += 1;
            continue;
        }
        if starts_with_ci(&logical, "END:") {
            depth = depth.saturating_sub(1);
            continue;
        }
        let Some((head, value)) = split_value(&logical) else {
            continue;
        };
        let mut parts = split_outside_quotes(head, ';');
        let prop = parts.next().unwrap_or("").to_ascii_uppercase();
        for param in parts {
            if let Some((k, v)) = param.split_once('=') {
                if k.eq_ignore_ascii_case("TZID") {
                    let v = v.trim_matches('"').to_string();
                    if !comp.tzids.contains(&v) {
                        comp.tzids.push(v);
                    }
                }
            }
        }
        if depth == 1 {
            match prop.as_str() {
                "UID" if comp.uid.is_none() => comp.uid = Some(value.trim().to_string()),
                "RECURRENCE-ID" => comp.recurrence_id = Some(logical[prop.len()..].to_string()),
                "TZID" if comp.name == "VTIMEZONE" && comp.defines.is_none() => {
                    comp.defines = Some(value.trim().to_string())
                }
                _ => {}
            }
        }
    }
    comp.text = text;
    comp
}

/// Content lines with folding undone (RFC 5545 §3.1).
fn unfold(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        match (line.strip_prefix([' ', '\t']), out.last_mut()) {
            (Some(rest), Some(last)) => last.push_str(rest),
            _ => out.push(line.to_string()),
        }
    }
    out
}

/// Splits a content line at the first colon outside a quoted parameter value.
fn split_value(line: &str) -> Option<(&str, &str)> {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => return Some((&line[..i], &line[i + 1..])),
            _ => {}
        }
    }
    None
}

fn split_outside_quotes(s: &str, sep: char) -> impl Iterator<Item = &str> {
    let mut quoted = false;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, c) in s.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            parts.push(&s[start..i]);
            start = i + 1;
        }
    }
    parts.push(&s[start..]);
    parts.into_iter()
}

fn starts_with_ci(line: &str, prefix: &str) -> bool {
    line.len() >= prefix.len()
        && line.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// The calendar-level name, description and colour a file carries
/// (`X-WR-CALNAME`, `X-WR-CALDESC`, `X-APPLE-CALENDAR-COLOR`, as Apple,
/// Google and Thunderbird export them): what a collection made by an import
/// is called. Read from the first VCALENDAR's own lines, before its first
/// component; values are TEXT (RFC 5545 3.3.11), so escapes are undone.
#[derive(Debug, Default, PartialEq)]
pub struct CalendarMeta {
    pub name: Option<String>,
    pub description: Option<String>,
    pub color: Option<String>,
}

pub fn calendar_meta(text: &str) -> CalendarMeta {
    let mut meta = CalendarMeta::default();
    for line in unfolded(text) {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("BEGIN:") && upper != "BEGIN:VCALENDAR" {
            break;
        }
        let Some((name_params, value)) = line.split_once(':') else {
            continue;
        };
        let name = name_params
            .split(';')
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let slot = match name.as_str() {
            "X-WR-CALNAME" => &mut meta.name,
            "X-WR-CALDESC" => &mut meta.description,
            "X-APPLE-CALENDAR-COLOR" => &mut meta.color,
            _ => continue,
        };
        let value = unescape_text(value.trim());
        if slot.is_none() && !value.is_empty() {
            *slot = Some(value);
        }
    }
    meta
}

/// Content lines with folding undone (RFC 5545 3.1), line endings dropped.
fn unfolded(text: &str) -> impl Iterator<Item = String> + '_ {
    let mut lines = text.lines().peekable();
    std::iter::from_fn(move || {
        let mut line = lines.next()?.to_string();
        while let Some(next) = lines.peek() {
            match next.strip_prefix([' ', '\t']) {
                Some(rest) => {
                    line.push_str(rest);
                    lines.next();
                }
                None => break,
            }
        }
        Some(line)
    })
}

fn unescape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\n\
BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:STANDARD\r\nDTSTART:19701101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=\"Europe/Berlin\":20260105T100000\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=America/New_York:20260105T100000\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nU\r\n ID:a\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260106T100000\r\nDTSTART;TZID=Europe/Berlin:20260106T110000\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nEND:VEVENT\r\n\
BEGIN:VTODO\r\nSUMMARY:no uid\r\nEND:VTODO\r\n\
END:VCALENDAR\r\n";

    #[test]
    fn groups_by_uid_with_their_zones() {
        let split = split(FILE);
        assert_eq!(split.pieces.len(), 2);
        let a = String::from_utf8(split.pieces[0].bytes.clone()).unwrap();
        assert_eq!(split.pieces[0].item, "UID a");
        assert_eq!(a.matches("BEGIN:VEVENT").count(), 2);
        assert_eq!(a.matches("TZID:Europe/Berlin").count(), 1);
        assert!(!a.contains("New_York") && !a.contains("METHOD"));
        let b = String::from_utf8(split.pieces[1].bytes.clone()).unwrap();
        assert!(b.contains("TZID:America/New_York") && !b.contains("Berlin"));
        assert_eq!(b.matches("BEGIN:VEVENT").count(), 1);
        let reasons: Vec<_> = split.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(split.skipped.len(), 2, "{reasons:?}");
        assert!(reasons[0].starts_with("duplicate UID b"));
        assert_eq!(split.skipped[1].item, "VTODO at line 43");
        assert!(crate::ical::inspect(a.as_bytes()).is_ok());
        assert!(crate::ical::inspect(b.as_bytes()).is_ok());
    }

    #[test]
    fn unterminated_is_reported() {
        let split = split("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\n");
        assert!(split.pieces.is_empty());
        assert!(split.skipped[0].reason.contains("no END"));
    }

    #[test]
    fn reads_the_calendar_level_name_description_and_colour() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Family\\, and fr\r\n iends\r\nX-WR-CALDESC;VALUE=TEXT:Line one\\nline two\r\nX-APPLE-CALENDAR-COLOR:#FF2968\r\nBEGIN:VEVENT\r\nX-WR-CALNAME:not this\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(
            calendar_meta(text),
            CalendarMeta {
                name: Some("Family, and friends".into()),
                description: Some("Line one\nline two".into()),
                color: Some("#FF2968".into()),
            }
        );
        assert_eq!(
            calendar_meta("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
            CalendarMeta::default()
        );
    }
}
