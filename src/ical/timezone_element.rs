//! CALDAV:timezone (RFC 4791 §5.2.2 / §9.8): a VCALENDAR holding one
//! VTIMEZONE, used to read floating times in queries.

use icalendar::parser::read_components;

use super::object::{normalize, prop};
use super::tz::{custom_from_text, find_vtimezone, iana_for, FloatingTz};

/// The VTIMEZONE of a CALDAV:timezone (query) or CALDAV:calendar-timezone
/// (PROPPATCH) value, read the same way for both so that a zone the one
/// understands the other does too.
pub struct TimezoneValue {
    /// The VTIMEZONE's TZID, as written.
    pub tzid: Option<String>,
    /// The IANA zone its TZID (or X-LIC-LOCATION) names, Windows names included.
    pub iana: Option<chrono_tz::Tz>,
    text: String,
}

/// Reads a VCALENDAR holding a VTIMEZONE; `None` when the text holds none.
pub fn read_timezone_value(text: &str) -> Option<TimezoneValue> {
    // Bounded before the recursive parser sees it, as stored objects are.
    super::prescan(text.trim()).ok()?;
    let text = normalize(text.trim());
    let roots = read_components(&text).ok()?;
    let vtz = roots.iter().find_map(find_vtimezone)?;
    let tzid = prop(vtz, "TZID").map(|p| p.val.as_str().to_string());
    let iana = prop(vtz, "TZID")
        .and_then(|p| iana_for(p.val.as_str()))
        .or_else(|| prop(vtz, "X-LIC-LOCATION").and_then(|p| iana_for(p.val.as_str())));
    Some(TimezoneValue { tzid, iana, text })
}

/// The zone of a CALDAV:timezone value: the IANA zone its TZID (or
/// X-LIC-LOCATION) names, else the VTIMEZONE itself when its observances can
/// be evaluated. `None` when the text holds no usable VTIMEZONE.
pub fn parse_timezone_element(text: &str) -> Option<FloatingTz> {
    let value = read_timezone_value(text)?;
    match value.iana {
        Some(tz) => Some(FloatingTz::Iana(tz)),
        None => custom_from_text(&value.text).map(|_| FloatingTz::Vtimezone(value.text.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_tzid_and_fallbacks() {
        let tz = |id: &str, extra: &str| {
            format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:{id}\r\n{extra}BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n")
        };
        assert_eq!(
            parse_timezone_element(&tz("Europe/Berlin", "")),
            Some(FloatingTz::Iana(chrono_tz::Tz::Europe__Berlin))
        );
        assert_eq!(
            parse_timezone_element(&tz("W. Europe Standard Time", "")),
            Some(FloatingTz::Iana(chrono_tz::Tz::Europe__Berlin))
        );
        assert_eq!(
            parse_timezone_element(&tz("Berlin local", "X-LIC-LOCATION:Europe/Paris\r\n")),
            Some(FloatingTz::Iana(chrono_tz::Tz::Europe__Paris))
        );
        // No IANA name, but valid observances: the VTIMEZONE itself is the zone.
        assert!(matches!(
            parse_timezone_element(&tz("Nowhere", "")),
            Some(FloatingTz::Vtimezone(_))
        ));
        assert_eq!(parse_timezone_element("junk"), None);
        let deep =
            tz("Europe/Berlin", "").replace("BEGIN:STANDARD\r\n", &"BEGIN:X-A\r\n".repeat(50_000));
        assert_eq!(parse_timezone_element(&deep), None);
    }
}
