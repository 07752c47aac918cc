//! iTIP (RFC 5546) messages made from a stored event, and a REPLY applied
//! to the organizer's copy: pure functions over iCalendar text, so iMIP
//! (mail) can use them as the HTTP path does. Lines this code does not
//! change keep their bytes (folding included); a changed line is written
//! again and folded at 75 octets. Input is a body that already passed
//! validation (`ical::inspect`), so it is one object of one UID.

use std::fmt::Write as _;

/// The iTIP methods the server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Request,
    Cancel,
    Reply,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
            Method::Reply => "REPLY",
        }
    }
}

/// One content line: its original bytes (folded, with the line ending)
/// until it is changed, and its parts.
#[derive(Debug, Clone)]
struct Line {
    raw: Option<String>,
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

impl Line {
    fn new(name: &str, value: &str) -> Line {
        Line {
            raw: None,
            name: name.to_string(),
            params: Vec::new(),
            value: value.to_string(),
        }
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn set_param(&mut self, name: &str, value: Option<&str>) {
        let had = self.param(name).map(str::to_string);
        if had.as_deref() == value {
            return;
        }
        self.params.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if let Some(v) = value {
            self.params.push((name.to_string(), v.to_string()));
        }
        self.raw = None;
    }

    fn write(&self, out: &mut String) {
        if let Some(raw) = &self.raw {
            out.push_str(raw);
            return;
        }
        let mut text = self.name.clone();
        for (n, v) in &self.params {
            let quote = v.contains([':', ';', ',']);
            if quote {
                let _ = write!(text, ";{n}=\"{v}\"");
            } else {
                let _ = write!(text, ";{n}={v}");
            }
        }
        text.push(':');
        text.push_str(&self.value);
        fold(&text, out);
    }
}

/// Writes a logical line folded at 75 octets (RFC 5545 §3.1), never inside
/// a UTF-8 sequence.
fn fold(text: &str, out: &mut String) {
    let mut width = 0;
    for c in text.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// Splits `;A=B;C="x;y"` into pairs.
fn parse_params(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut push = |part: &str| {
        if let Some((n, v)) = part.split_once('=') {
            out.push((n.to_string(), v.trim_matches('"').to_string()));
        }
    };
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b';' if !quoted => {
                if i > start {
                    push(&text[start..i]);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    if text.len() > start {
        push(&text[start..]);
    }
    out
}

/// A calendar as its lines, in order.
#[derive(Debug, Clone)]
struct Cal {
    lines: Vec<Line>,
}

impl Cal {
    fn parse(text: &str) -> Cal {
        let mut lines: Vec<Line> = Vec::new();
        let mut raw = String::new();
        let mut logical = String::new();
        let flush = |raw: &mut String, logical: &mut String, lines: &mut Vec<Line>| {
            if logical.is_empty() {
                raw.clear();
                return;
            }
            if let Ok(p) = crate::ical::split_content_line(logical) {
                lines.push(Line {
                    raw: Some(std::mem::take(raw)),
                    name: p.name.clone(),
                    params: parse_params(p.params),
                    value: p.value.to_string(),
                });
            }
            raw.clear();
            logical.clear();
        };
        for physical in text.split_inclusive('\n') {
            let content = physical.trim_end_matches(['\r', '\n']);
            if content.starts_with([' ', '\t']) {
                raw.push_str(physical);
                logical.push_str(&content[1..]);
                continue;
            }
            flush(&mut raw, &mut logical, &mut lines);
            raw.push_str(physical);
            if !physical.ends_with('\n') {
                raw.push_str("\r\n");
            }
            logical.push_str(content);
        }
        flush(&mut raw, &mut logical, &mut lines);
        Cal { lines }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for l in &self.lines {
            l.write(&mut out);
        }
        out
    }

    /// Index ranges of the scheduled components (VEVENT, VTODO, VJOURNAL):
    /// (BEGIN line, END line).
    fn components(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut depth = 0;
        let mut open = None;
        for (i, l) in self.lines.iter().enumerate() {
            if l.name == "BEGIN" {
                depth += 1;
                if depth == 2 && is_scheduled(&l.value) {
                    open = Some(i);
                }
            } else if l.name == "END" {
                if depth == 2 {
                    if let Some(b) = open.take() {
                        out.push((b, i));
                    }
                }
                depth -= 1;
            }
        }
        out
    }

    /// Indices of the component's own lines (not those of nested VALARMs).
    fn own_lines(&self, (b, e): (usize, usize)) -> Vec<usize> {
        let mut out = Vec::new();
        let mut depth = 0;
        for i in b + 1..e {
            match self.lines[i].name.as_str() {
                "BEGIN" => depth += 1,
                "END" => depth -= 1,
                _ if depth == 0 => out.push(i),
                _ => {}
            }
        }
        out
    }

    /// Every ATTENDEE line of the scheduled components.
    fn attendee_lines(&self) -> Vec<usize> {
        self.components()
            .into_iter()
            .flat_map(|c| self.own_lines(c))
            .filter(|&i| self.lines[i].name == "ATTENDEE")
            .collect()
    }

    fn set_method(&mut self, method: Method) {
        self.lines.retain(|l| l.name != "METHOD");
        let at = self
            .lines
            .iter()
            .position(|l| l.name == "VERSION")
            .map_or(1, |i| i + 1);
        self.lines.insert(
            at.min(self.lines.len()),
            Line::new("METHOD", method.as_str()),
        );
    }

    /// Sets a property of every scheduled component, added after its BEGIN
    /// when missing.
    fn set_component_prop(&mut self, name: &str, value: &str) {
        for c in self.components().into_iter().rev() {
            let own = self.own_lines(c);
            match own.into_iter().find(|&i| self.lines[i].name == name) {
                Some(i) if self.lines[i].value == value => {}
                Some(i) => {
                    self.lines[i].value = value.to_string();
                    self.lines[i].raw = None;
                }
                None => self.lines.insert(c.0 + 1, Line::new(name, value)),
            }
        }
    }

    /// Drops the nested components (VALARMs: the recipient's own business).
    fn drop_alarms(&mut self) {
        let mut keep = Vec::with_capacity(self.lines.len());
        let mut depth = 0;
        let mut skipping = 0;
        for l in self.lines.drain(..) {
            if l.name == "BEGIN" {
                depth += 1;
                if depth >= 3 && skipping == 0 {
                    skipping = depth;
                }
            }
            let skip = skipping != 0;
            if l.name == "END" {
                if depth == skipping {
                    skipping = 0;
                }
                depth -= 1;
            }
            if !skip {
                keep.push(l);
            }
        }
        self.lines = keep;
    }
}

fn is_scheduled(component: &str) -> bool {
    ["VEVENT", "VTODO", "VJOURNAL"]
        .iter()
        .any(|c| component.eq_ignore_ascii_case(c))
}

/// Whether two calendar-user addresses are the same (`mailto:` and case
/// aside).
pub fn same_address(a: &str, b: &str) -> bool {
    bare(a).eq_ignore_ascii_case(bare(b))
}

/// An address without `mailto:` and surrounding blanks.
fn bare(a: &str) -> &str {
    let a = a.trim();
    match a.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("mailto:") => &a[7..],
        _ => a,
    }
}

/// Who an event is scheduled by and with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub uid: String,
    /// The ORGANIZER of the first scheduled component.
    pub organizer: Option<String>,
    /// SCHEDULE-AGENT of the ORGANIZER is SERVER (or absent).
    pub organizer_by_server: bool,
    /// Every attendee once, in order of appearance.
    pub attendees: Vec<Attendee>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    pub address: String,
    /// PARTSTAT where it first appears (NEEDS-ACTION when absent).
    pub partstat: String,
    /// SCHEDULE-AGENT is SERVER (or absent): the server delivers to him.
    pub by_server: bool,
}

impl Facts {
    pub fn attendee(&self, address: &str) -> Option<&Attendee> {
        self.attendees
            .iter()
            .find(|a| same_address(&a.address, address))
    }
}

fn by_server(l: &Line) -> bool {
    l.param("SCHEDULE-AGENT")
        .is_none_or(|a| a.eq_ignore_ascii_case("SERVER"))
}

/// Whether the text names an ORGANIZER at all (any case): a scan without
/// allocation, so the many objects that are not scheduled cost no parse.
pub fn may_be_scheduled(text: &str) -> bool {
    text.as_bytes()
        .windows(9)
        .any(|w| w.eq_ignore_ascii_case(b"ORGANIZER"))
}

/// The scheduling facts of an event.
pub fn facts(text: &str) -> Facts {
    let cal = Cal::parse(text);
    let mut f = Facts::default();
    // The attendees seen, as `same_address` compares them: a set, so an
    // event listing thousands costs a lookup each, not a scan each.
    let mut seen = std::collections::HashSet::new();
    for c in cal.components() {
        for i in cal.own_lines(c) {
            let l = &cal.lines[i];
            match l.name.as_str() {
                "UID" if f.uid.is_empty() => f.uid = l.value.clone(),
                "ORGANIZER" if f.organizer.is_none() => {
                    f.organizer = Some(l.value.clone());
                    f.organizer_by_server = by_server(l);
                }
                "ATTENDEE" if seen.insert(bare(&l.value).to_ascii_lowercase()) => {
                    f.attendees.push(Attendee {
                        address: l.value.clone(),
                        partstat: l
                            .param("PARTSTAT")
                            .unwrap_or("NEEDS-ACTION")
                            .to_ascii_uppercase(),
                        by_server: by_server(l),
                    })
                }
                _ => {}
            }
        }
    }
    f
}

/// The text without what only scheduling bookkeeping changes: the
/// SCHEDULE-STATUS and PARTSTAT of attendees, DTSTAMP and METHOD. Two
/// versions of an event whose texts are equal here differ only by replies,
/// which neither send a new REQUEST nor change the Schedule-Tag.
pub fn significant(text: &str) -> String {
    without_replies(text, true)
}

/// The Schedule-Tag of a scheduling object (RFC 6638 §3.2.10): a hash of
/// its text without what replies change (the attendees' PARTSTAT, RSVP and
/// SCHEDULE-STATUS), so a reply applied to the organizer's copy keeps it,
/// and every other change (the organizer's, or his update of an
/// attendee's copy) makes a new one. Derived, never stored: a hand edit
/// cannot leave it stale. None for an object that is not scheduled (no
/// ORGANIZER or no ATTENDEE).
pub fn schedule_tag(text: &str) -> Option<String> {
    use sha2::{Digest, Sha256};
    if !may_be_scheduled(text) {
        return None;
    }
    let f = facts(text);
    if f.organizer.is_none() || f.attendees.is_empty() {
        return None;
    }
    let digest = Sha256::digest(without_replies(text, false).as_bytes());
    Some(format!("\"{}\"", hex::encode(&digest[..12])))
}

fn without_replies(text: &str, drop_stamp: bool) -> String {
    let mut cal = Cal::parse(text);
    cal.lines.retain(|l| match l.name.as_str() {
        "METHOD" => false,
        "DTSTAMP" => !drop_stamp,
        _ => true,
    });
    for i in cal.attendee_lines() {
        let l = &mut cal.lines[i];
        l.set_param("SCHEDULE-STATUS", None);
        l.set_param("PARTSTAT", None);
        l.set_param("RSVP", None);
    }
    for l in cal.lines.iter_mut().filter(|l| l.name == "ORGANIZER") {
        l.set_param("SCHEDULE-STATUS", None);
    }
    // Folding is no content.
    for l in &mut cal.lines {
        l.raw = None;
    }
    cal.text()
}

/// The REQUEST (or CANCEL) the organizer's event sends: METHOD added,
/// SCHEDULE-STATUS removed, alarms left out; a CANCEL marks every
/// component STATUS:CANCELLED.
pub fn organizer_message(text: &str, method: Method) -> String {
    let mut cal = Cal::parse(text);
    cal.drop_alarms();
    for i in cal.attendee_lines() {
        cal.lines[i].set_param("SCHEDULE-STATUS", None);
    }
    if method == Method::Cancel {
        cal.set_component_prop("STATUS", "CANCELLED");
    }
    cal.set_method(method);
    cal.text()
}

/// The attendee's copy of the organizer's event: the organizer's text
/// without SCHEDULE-STATUS, with the attendee's PARTSTAT taken from his
/// current copy (`mine`), or NEEDS-ACTION for a new invitation.
pub fn attendee_copy(organizer_text: &str, mine: Option<&str>, attendee: &str) -> String {
    let partstat = mine
        .and_then(|m| facts(m).attendee(attendee).map(|a| a.partstat.clone()))
        .unwrap_or_else(|| "NEEDS-ACTION".into());
    let mut cal = Cal::parse(organizer_text);
    cal.lines.retain(|l| l.name != "METHOD");
    for i in cal.attendee_lines() {
        let l = &mut cal.lines[i];
        l.set_param("SCHEDULE-STATUS", None);
        if same_address(&l.value, attendee) {
            l.set_param("PARTSTAT", Some(&partstat));
        }
    }
    cal.text()
}

/// An event marked cancelled (STATUS:CANCELLED on every component), the
/// attendee's copy after the organizer cancelled.
pub fn cancelled(text: &str) -> String {
    let mut cal = Cal::parse(text);
    cal.set_component_prop("STATUS", "CANCELLED");
    cal.text()
}

/// The REPLY of `attendee` from his copy: METHOD:REPLY, his ATTENDEE line
/// alone (with `partstat` when given, else his own), no alarms.
pub fn reply(text: &str, attendee: &str, partstat: Option<&str>) -> String {
    let mut cal = Cal::parse(text);
    cal.drop_alarms();
    let others: Vec<usize> = cal
        .attendee_lines()
        .into_iter()
        .filter(|&i| !same_address(&cal.lines[i].value, attendee))
        .collect();
    for i in others.into_iter().rev() {
        cal.lines.remove(i);
    }
    for i in cal.attendee_lines() {
        let l = &mut cal.lines[i];
        l.set_param("SCHEDULE-STATUS", None);
        if let Some(p) = partstat {
            l.set_param("PARTSTAT", Some(p));
        }
    }
    cal.set_method(Method::Reply);
    cal.text()
}

/// Applies an iTIP REPLY to the organizer's copy: the replying attendee's
/// PARTSTAT (from the reply's first ATTENDEE) is set on his ATTENDEE lines,
/// with `SCHEDULE-STATUS=2.0`. None when the reply names no attendee or one
/// the organizer's copy does not list (a reply is never a way in), or when
/// the UIDs differ. Also used by iMIP for replies that come by mail.
pub fn apply_reply(organizer_text: &str, reply_text: &str) -> Option<String> {
    let r = facts(reply_text);
    let who = r.attendees.first()?;
    let mut cal = Cal::parse(organizer_text);
    let org = facts(organizer_text);
    if org.uid != r.uid || org.attendee(&who.address).is_none() {
        return None;
    }
    for i in cal.attendee_lines() {
        let l = &mut cal.lines[i];
        if same_address(&l.value, &who.address) {
            l.set_param("PARTSTAT", Some(&who.partstat));
            l.set_param("SCHEDULE-STATUS", Some("2.0"));
        }
    }
    Some(cal.text())
}

/// An attendee's copy with the answers of the organizer's copy: the
/// PARTSTAT of each attendee that `take` accepts (everyone but the copy's
/// own attendee, whose answer is his) is set from `organizer_text`. None
/// when nothing changes, so an unchanged copy is not written again.
pub fn others_answers(
    copy: &str,
    organizer_text: &str,
    take: impl Fn(&str) -> bool,
) -> Option<String> {
    let org = Cal::parse(organizer_text);
    let answers: Vec<(String, String)> = org
        .attendee_lines()
        .into_iter()
        .filter_map(|i| {
            let l = &org.lines[i];
            Some((l.value.clone(), l.param("PARTSTAT")?.to_string()))
        })
        .collect();
    let mut cal = Cal::parse(copy);
    let mut changed = false;
    for i in cal.attendee_lines() {
        let l = &mut cal.lines[i];
        if !take(&l.value) {
            continue;
        }
        let Some((_, p)) = answers.iter().find(|(a, _)| same_address(a, &l.value)) else {
            continue;
        };
        if l.param("PARTSTAT") != Some(p.as_str()) {
            l.set_param("PARTSTAT", Some(p));
            changed = true;
        }
    }
    changed.then(|| cal.text())
}

/// The organizer's new text with the answers his stored copy holds: the
/// PARTSTAT and SCHEDULE-STATUS of each attendee that `keep` accepts are
/// taken from `stored`, so an update made on a version read before a
/// reply came in does not undo the reply (RFC 6638 §3.2.10,
/// If-Schedule-Tag-Match).
pub fn keep_answers(text: &str, stored: &str, keep: impl Fn(&str) -> bool) -> String {
    let old = Cal::parse(stored);
    let answers: Vec<(String, Option<String>, Option<String>)> = old
        .attendee_lines()
        .into_iter()
        .map(|i| {
            let l = &old.lines[i];
            (
                l.value.clone(),
                l.param("PARTSTAT").map(str::to_string),
                l.param("SCHEDULE-STATUS").map(str::to_string),
            )
        })
        .collect();
    let mut cal = Cal::parse(text);
    for i in cal.attendee_lines() {
        let l = &mut cal.lines[i];
        if !keep(&l.value) {
            continue;
        }
        if let Some((_, partstat, status)) =
            answers.iter().find(|(a, _, _)| same_address(a, &l.value))
        {
            l.set_param("PARTSTAT", partstat.as_deref());
            l.set_param("SCHEDULE-STATUS", status.as_deref());
        }
    }
    cal.text()
}

/// Writes each attendee's delivery status (RFC 6638 §3.2.9) as
/// SCHEDULE-STATUS on his ATTENDEE lines; attendees not named keep theirs.
pub fn set_schedule_status(text: &str, statuses: &[(String, String)]) -> String {
    let mut cal = Cal::parse(text);
    for i in cal.attendee_lines() {
        let l = &mut cal.lines[i];
        if let Some((_, s)) = statuses.iter().find(|(a, _)| same_address(a, &l.value)) {
            l.set_param("SCHEDULE-STATUS", Some(s));
        }
    }
    cal.text()
}

#[cfg(test)]
mod tests;
