//! iCalendar texts and calendar directory listings for the tests.

use std::collections::BTreeSet;
use std::path::Path;

/// A one-event calendar object with CRLF line endings.
pub fn event(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davdir//integration tests//EN\r\n\
         BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T120000Z\r\n\
         DTSTART:20270115T090000Z\r\nDTEND:20270115T100000Z\r\nSUMMARY:{summary}\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// A one-to-do calendar object with CRLF line endings.
pub fn todo(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davdir//integration tests//EN\r\n\
         BEGIN:VTODO\r\nUID:{uid}\r\nDTSTAMP:20261101T120000Z\r\n\
         DUE:20270120T170000Z\r\nSUMMARY:{summary}\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )
}

/// The UID line of an iCalendar text.
pub fn uid_of(ics: &str) -> String {
    ics.lines()
        .find_map(|l| l.strip_prefix("UID:"))
        .expect("UID line")
        .trim()
        .to_string()
}

/// The `.ics` file names of a calendar directory below `root`, sorted.
pub fn ics_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".ics") && !n.starts_with('.'))
        .collect()
}
