//! GET on a calendar collection: all objects merged into one VCALENDAR, the
//! form webcal subscribers expect.

/// Merges object bodies into a single VCALENDAR, one object at a time (so a
/// large calendar can be streamed), emitting each VTIMEZONE once. Works
/// line-wise on the stored text, so objects are served as written; only the
/// TZIDs already written are remembered.
#[derive(Default)]
pub struct CalendarMerger {
    timezones: std::collections::HashSet<String>,
}

impl CalendarMerger {
    /// Writes the VCALENDAR header (with the calendar's name) to `out`.
    pub fn start(name: &str, out: &mut String) -> CalendarMerger {
        out.push_str("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davdir//davdir//EN\r\n");
        out.push_str(&format!(
            "X-WR-CALNAME:{}\r\n",
            name.replace(['\r', '\n'], " ")
        ));
        CalendarMerger::default()
    }

    /// Writes the components of one object's VCALENDAR to `out`.
    pub fn add(&mut self, body: &str, out: &mut String) {
        append_components(body, out, &mut self.timezones);
    }

    pub fn finish(self, out: &mut String) {
        out.push_str("END:VCALENDAR\r\n");
    }
}

/// Appends the components inside one object's VCALENDAR to `out`. Each
/// component is copied through as one slice when its lines already end in
/// CRLF (the usual case), else line by line with CRLF; no line is copied or
/// upper-cased on its own, which kept a 100k-object export CPU-bound.
fn append_components(
    body: &str,
    out: &mut String,
    timezones: &mut std::collections::HashSet<String>,
) {
    let mut depth = 0usize;
    // Where the current top-level component began, and whether it is a
    // VTIMEZONE (then its first TZID, upper-cased, once seen).
    let mut start = 0usize;
    let mut zone: Option<Option<String>> = None;
    let mut pos = 0usize;
    for raw in body.split_inclusive('\n') {
        let line_start = pos;
        pos += raw.len();
        let line = raw.trim_end_matches('\n').trim_end_matches('\r');
        if starts_with_ci(line, "BEGIN:") {
            depth += 1;
            if depth == 2 {
                start = line_start;
                zone = line.eq_ignore_ascii_case("BEGIN:VTIMEZONE").then_some(None);
            }
        }
        if depth >= 2 && starts_with_ci(line, "TZID:") {
            if let Some(id @ None) = zone.as_mut() {
                *id = Some(line["TZID:".len()..].to_ascii_uppercase());
            }
        }
        if starts_with_ci(line, "END:") {
            if depth == 2 {
                let keep = match zone.take() {
                    Some(id) => timezones.insert(id.unwrap_or_default()),
                    None => true,
                };
                if keep {
                    copy_crlf(&body[start..pos], out);
                }
            }
            depth = depth.saturating_sub(1);
        }
    }
}

fn starts_with_ci(line: &str, prefix: &str) -> bool {
    line.len() >= prefix.len()
        && line.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Appends `text` (whole lines) with every line ending in exactly one CRLF.
fn copy_crlf(text: &str, out: &mut String) {
    let lf = text.bytes().filter(|&b| b == b'\n').count();
    let cr = text.bytes().filter(|&b| b == b'\r').count();
    if lf == cr && text.ends_with("\r\n") && text.matches("\r\n").count() == lf {
        out.push_str(text);
        return;
    }
    for line in text.lines() {
        out.push_str(line.trim_end_matches('\r'));
        out.push_str("\r\n");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn merges_and_dedups_timezones() {
        let a = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let b = a.replace("UID:a", "UID:b");
        let mut merged = String::new();
        let mut merger = super::CalendarMerger::start("Cal", &mut merged);
        merger.add(a, &mut merged);
        merger.add(&b, &mut merged);
        merger.finish(&mut merged);
        assert_eq!(merged.matches("BEGIN:VTIMEZONE").count(), 1);
        assert_eq!(merged.matches("BEGIN:VEVENT").count(), 2);
        assert!(merged.starts_with("BEGIN:VCALENDAR\r\n") && merged.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn line_endings_become_crlf_and_zone_ids_ignore_case() {
        let lf = "BEGIN:VCALENDAR\nBEGIN:VTIMEZONE\ntzid:Europe/Berlin\nEND:VTIMEZONE\nBEGIN:VTODO\nUID:t\r\r\nEND:VTODO\nEND:VCALENDAR";
        let crlf = "BEGIN:VCALENDAR\r\nbegin:vtimezone\r\nTZID:EUROPE/BERLIN\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:e\r\n DESCRIPTION folded\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let mut merged = String::new();
        let mut merger = super::CalendarMerger::start("Cal", &mut merged);
        merger.add(lf, &mut merged);
        merger.add(crlf, &mut merged);
        merger.finish(&mut merged);
        assert_eq!(
            merged,
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davdir//davdir//EN\r\nX-WR-CALNAME:Cal\r\n\
             BEGIN:VTIMEZONE\r\ntzid:Europe/Berlin\r\nEND:VTIMEZONE\r\n\
             BEGIN:VTODO\r\nUID:t\r\nEND:VTODO\r\n\
             BEGIN:VEVENT\r\nUID:e\r\n DESCRIPTION folded\r\nEND:VEVENT\r\n\
             END:VCALENDAR\r\n"
        );
    }
}
