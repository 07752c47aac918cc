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

/// Appends the components inside one object's VCALENDAR to `out`.
fn append_components(
    body: &str,
    out: &mut String,
    timezones: &mut std::collections::HashSet<String>,
) {
    let mut depth = 0usize;
    let mut current: Vec<&str> = Vec::new();
    let mut tzid: Option<String> = None;
    for line in body.lines() {
        let line = line.trim_end_matches('\r');
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("BEGIN:") {
            depth += 1;
        }
        if depth >= 2 {
            if depth == 2 && upper == "BEGIN:VTIMEZONE" {
                tzid = Some(String::new());
            }
            if let (Some(t), Some(v)) = (tzid.as_mut(), upper.strip_prefix("TZID:")) {
                if t.is_empty() {
                    *t = v.to_string();
                }
            }
            current.push(line);
        }
        if upper.starts_with("END:") {
            if depth == 2 {
                let keep = match tzid.take() {
                    Some(id) => timezones.insert(id),
                    None => true,
                };
                if keep {
                    for l in &current {
                        out.push_str(l);
                        out.push_str("\r\n");
                    }
                }
                current.clear();
            }
            depth = depth.saturating_sub(1);
        }
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
}
