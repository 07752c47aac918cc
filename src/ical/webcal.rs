//! GET on a calendar collection: all objects merged into one VCALENDAR, the
//! form webcal subscribers expect.

/// Merges object bodies into a single VCALENDAR, emitting each VTIMEZONE once.
/// Works line-wise on the stored text, so objects are served as written.
pub fn merge_calendars<'a>(name: &str, bodies: impl Iterator<Item = &'a str>) -> String {
    let mut out =
        String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//caldir//caldir//EN\r\n");
    out.push_str(&format!(
        "X-WR-CALNAME:{}\r\n",
        name.replace(['\r', '\n'], " ")
    ));
    let mut timezones = std::collections::HashSet::new();
    for body in bodies {
        append_components(body, &mut out, &mut timezones);
    }
    out.push_str("END:VCALENDAR\r\n");
    out
}

/// Appends the components inside one object's VCALENDAR to `out`.
pub fn append_components(
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
        let merged = super::merge_calendars("Cal", [a, b.as_str()].into_iter());
        assert_eq!(merged.matches("BEGIN:VTIMEZONE").count(), 1);
        assert_eq!(merged.matches("BEGIN:VEVENT").count(), 2);
        assert!(merged.starts_with("BEGIN:VCALENDAR\r\n") && merged.ends_with("END:VCALENDAR\r\n"));
    }
}
