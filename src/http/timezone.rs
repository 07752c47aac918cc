//! CALDAV:calendar-timezone: stored as an IANA name in `.calendar.toml`
//! (`timezone`), with the exact VCALENDAR text a client set kept beside it.

use crate::dav::property::Live;
use crate::store::CalendarProps;

/// The dead-property key under which a client's full VTIMEZONE text is kept.
pub fn text_key() -> String {
    Live::CalendarTimezone.prop_name().key()
}

/// The property value: the client's text if it set one, else a VCALENDAR
/// naming the configured IANA zone.
pub fn calendar_timezone(props: &CalendarProps) -> Option<String> {
    if let Some(text) = props.dead_value(&text_key()) {
        return Some(text);
    }
    let tz = props.timezone()?;
    Some(format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//caldir//caldir//EN\r\nBEGIN:VTIMEZONE\r\nTZID:{tz}\r\nX-LIC-LOCATION:{tz}\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n"
    ))
}

/// The TZID of the VTIMEZONE inside a calendar-timezone value, if any.
pub fn tzid_of(text: &str) -> Option<String> {
    let unfolded = icalendar::parser::unfold(text);
    let cal = icalendar::parser::read_calendar(&unfolded).ok()?;
    let vtz = cal
        .components
        .iter()
        .find(|c| c.name.as_str() == "VTIMEZONE")?;
    Some(vtz.find_prop("TZID")?.val.as_str().to_string())
}
