//! CALDAV:timezone (RFC 4791 §5.2.2 / §9.8): a VCALENDAR holding one
//! VTIMEZONE, used to read floating times in queries.

use icalendar::parser::read_components;

use super::object::{normalize, prop};
use super::tz::{custom_from_text, find_vtimezone, iana_for, FloatingTz};

/// The zone of a CALDAV:timezone value: the IANA zone its TZID (or
/// X-LIC-LOCATION) names, else the VTIMEZONE itself when its observances can
/// be evaluated. `None` when the text holds no usable VTIMEZONE.
pub fn parse_timezone_element(text: &str) -> Option<FloatingTz> {
    // Bounded before the recursive parser sees it, as stored objects are.
    super::prescan(text.trim()).ok()?;
    let text = normalize(text.trim());
    let roots = read_components(&text).ok()?;
    let vtz = roots.iter().find_map(find_vtimezone)?;
    let iana = prop(vtz, "TZID")
        .and_then(|p| iana_for(p.val.as_str()))
        .or_else(|| prop(vtz, "X-LIC-LOCATION").and_then(|p| iana_for(p.val.as_str())));
    match iana {
        Some(tz) => Some(FloatingTz::Iana(tz)),
        None => custom_from_text(&text).map(|_| FloatingTz::Vtimezone(text.as_str().into())),
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
