//! CALDAV:timezone (RFC 4791 §5.2.2 / §9.8): a VCALENDAR holding one
//! VTIMEZONE, used to read floating times in queries.

use icalendar::parser::{read_components, Component};

use super::object::{is, normalize, prop};
use super::tz::iana_for;

/// Maps the VTIMEZONE's TZID (or X-LIC-LOCATION) to an IANA zone.
/// `None` when the text is not a VTIMEZONE or names no known zone.
pub fn parse_timezone_element(text: &str) -> Option<chrono_tz::Tz> {
    let text = normalize(text.trim());
    let roots = read_components(&text).ok()?;
    let vtz = roots.iter().find_map(find_vtimezone)?;
    prop(vtz, "TZID")
        .and_then(|p| iana_for(p.val.as_str()))
        .or_else(|| prop(vtz, "X-LIC-LOCATION").and_then(|p| iana_for(p.val.as_str())))
}

fn find_vtimezone<'c, 'a>(c: &'c Component<'a>) -> Option<&'c Component<'a>> {
    if is(c.name.as_str(), "VTIMEZONE") {
        return Some(c);
    }
    c.components.iter().find_map(find_vtimezone)
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
            Some(chrono_tz::Tz::Europe__Berlin)
        );
        assert_eq!(
            parse_timezone_element(&tz("W. Europe Standard Time", "")),
            Some(chrono_tz::Tz::Europe__Berlin)
        );
        assert_eq!(
            parse_timezone_element(&tz("Berlin local", "X-LIC-LOCATION:Europe/Paris\r\n")),
            Some(chrono_tz::Tz::Europe__Paris)
        );
        assert_eq!(parse_timezone_element(&tz("Nowhere", "")), None);
        assert_eq!(parse_timezone_element("junk"), None);
    }
}
