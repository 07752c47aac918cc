//! `ICAL:calendar-color` values ⇄ the vdir `color` file. Clients send
//! `#RRGGBBAA`, `#RRGGBB`, the short `#RGB`/`#RGBA` forms or a CSS named
//! colour (`rebeccapurple`); the file always holds `#RRGGBB`, which khal and
//! todoman read, and clients get `#RRGGBBAA` back.

/// A client's colour as the vdir file stores it; None if it is not one.
/// Hex digits keep their case; a named colour becomes upper-case hex.
pub fn store_color(client: &str) -> Option<String> {
    let c = client.trim();
    match c.strip_prefix('#') {
        Some(hex) => store_hex(hex),
        None => named(c),
    }
}

fn store_hex(hex: &str) -> Option<String> {
    if !hex.chars().all(|ch| ch.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        6 | 8 => Some(format!("#{}", &hex[..6])),
        // #RGB and #RGBA: each digit doubled, as CSS reads them.
        3 | 4 => Some(hex[..3].chars().fold(String::from("#"), |mut s, ch| {
            s.push(ch);
            s.push(ch);
            s
        })),
        _ => None,
    }
}

/// A CSS Color Module level 4 named colour, in any case. `transparent` and
/// functional forms (`rgb(…)`) are not names and are refused.
fn named(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > 32 || !name.chars().all(|ch| ch.is_ascii_alphabetic()) {
        return None;
    }
    let color = csscolorparser::parse(name).ok()?;
    color.name()?;
    match color.to_rgba8() {
        [r, g, b, 255] => Some(format!("#{r:02X}{g:02X}{b:02X}")),
        _ => None,
    }
}

/// vdir colours are `#RRGGBB`; CalDAV clients expect `#RRGGBBAA`.
pub fn report_color(stored: &str) -> String {
    if stored.len() == 7 && stored.starts_with('#') {
        format!("{stored}FF")
    } else {
        stored.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_forms() {
        assert_eq!(store_color("#11AA22CC").as_deref(), Some("#11AA22"));
        assert_eq!(store_color("#11aa22").as_deref(), Some("#11aa22"));
        assert_eq!(store_color(" #1a2 ").as_deref(), Some("#11aa22"));
        assert_eq!(store_color("#1A2F").as_deref(), Some("#11AA22"));
        for bad in ["#12", "#12345", "#1234567", "#GGGGGG", "#", "", "11AA22"] {
            assert_eq!(store_color(bad), None, "{bad}");
        }
        assert_eq!(report_color("#11AA22"), "#11AA22FF");
    }

    #[test]
    fn css_names() {
        assert_eq!(store_color("red").as_deref(), Some("#FF0000"));
        assert_eq!(store_color("RebeccaPurple").as_deref(), Some("#663399"));
        assert_eq!(store_color("grey").as_deref(), Some("#808080"));
        assert_eq!(
            store_color("lightgoldenrodyellow").as_deref(),
            Some("#FAFAD2")
        );
        for bad in ["transparent", "rgb(1,2,3)", "notacolour", "red ish", "rédé"] {
            assert_eq!(store_color(bad), None, "{bad}");
        }
    }
}
