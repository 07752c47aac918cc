//! CALDAV:calendar-timezone: stored as an IANA name in `.calendar.toml`
//! (`timezone`); a client's zone without an IANA name is kept verbatim.

use crate::http::props::caldav::CALENDAR_TIMEZONE;
use crate::store::CollectionProps;

/// The dead-property key under which a client's full VTIMEZONE text is kept.
pub fn text_key() -> String {
    CALENDAR_TIMEZONE.prop_name().key()
}

/// The property value: a VCALENDAR with the VTIMEZONE of the configured
/// IANA zone, else the text of a zone a client set that has no IANA name.
pub fn calendar_timezone(props: &CollectionProps) -> Option<String> {
    if let Some(tz) = props
        .timezone()
        .and_then(|t| t.parse::<chrono_tz::Tz>().ok())
    {
        return Some(crate::ical::vcalendar_for(tz));
    }
    let stored = props.dead_value(&text_key())?;
    crate::dav::xml::parse(stored.as_bytes())
        .ok()
        .map(|el| el.text)
}

/// The TZID of the VTIMEZONE inside a calendar-timezone value, if any.
pub fn tzid_of(text: &str) -> Option<String> {
    // Bounded before the recursive parser sees it (nesting, counts).
    crate::ical::prescan(text).ok()?;
    let unfolded = icalendar::parser::unfold(text);
    let cal = icalendar::parser::read_calendar(&unfolded).ok()?;
    let vtz = cal
        .components
        .iter()
        .find(|c| c.name.as_str() == "VTIMEZONE")?;
    Some(vtz.find_prop("TZID")?.val.as_str().to_string())
}
