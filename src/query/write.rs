//! Serialising components back to iCalendar text (RFC 5545 §3.1): CRLF line
//! endings, folding at 75 octets, TEXT re-escaping and parameter quoting.
//!
//! The parser unescapes TEXT values, so they are escaped again here.

use icalendar::parser::Property;

/// Properties whose values the `icalendar` parser unescapes (TEXT by default).
const TEXT_PROPS: &[&str] = &[
    "CALSCALE",
    "METHOD",
    "PRODID",
    "VERSION",
    "CATEGORIES",
    "CLASS",
    "COMMENT",
    "DESCRIPTION",
    "LOCATION",
    "RESOURCES",
    "STATUS",
    "SUMMARY",
    "TRANSP",
    "TZID",
    "TZNAME",
    "CONTACT",
    "RELATED-TO",
    "UID",
    "ACTION",
    "REQUEST-STATUS",
];

/// List-valued TEXT properties, where a bare comma separates values.
const LIST_PROPS: &[&str] = &["CATEGORIES", "RESOURCES"];

fn is_text(p: &Property) -> bool {
    let name = p.name.as_str();
    let by_value = p.params.iter().any(|x| {
        x.key.as_str().eq_ignore_ascii_case("VALUE")
            && x.val
                .as_ref()
                .is_some_and(|v| v.as_str().eq_ignore_ascii_case("TEXT"))
    });
    by_value || (name.bytes().all(|b| !b.is_ascii_lowercase()) && TEXT_PROPS.contains(&name))
}

/// Appends one content line, folded, with CRLF.
pub(crate) fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for ch in content.chars() {
        let n = ch.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(ch);
        width += n;
    }
    out.push_str("\r\n");
}

/// Formats a property; `value` overrides the stored value (already escaped).
pub(crate) fn property(out: &mut String, p: &Property, value: Option<&str>) {
    let mut s = String::with_capacity(p.name.as_str().len() + p.val.as_str().len() + 16);
    s.push_str(p.name.as_str());
    for x in &p.params {
        s.push(';');
        s.push_str(x.key.as_str());
        if let Some(v) = &x.val {
            s.push('=');
            let v = v.as_str();
            if v.contains([';', ':', ',']) && !v.starts_with('"') {
                s.push('"');
                s.push_str(v);
                s.push('"');
            } else {
                s.push_str(v);
            }
        }
    }
    s.push(':');
    match value {
        Some(v) => s.push_str(v),
        None if is_text(p) => escape_text(
            &mut s,
            p.val.as_str(),
            LIST_PROPS.contains(&p.name.as_str()),
        ),
        None => s.push_str(p.val.as_str()),
    }
    line(out, &s);
}

/// A property built from scratch: `NAME;PARAMS:VALUE` pieces already escaped.
pub(crate) fn raw(out: &mut String, name: &str, params: &str, value: &str) {
    line(out, &format!("{name}{params}:{value}"));
}

fn escape_text(out: &mut String, v: &str, list: bool) {
    for ch in v.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' if !list => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use icalendar::parser::read_components;

    #[test]
    fn round_trips_escapes_params_and_folds() {
        let src = "BEGIN:VEVENT\nSUMMARY:a\\, b\\; c\\nd\nCATEGORIES:x,y\nATTENDEE;CN=\"Doe, J\":mailto:j@x\nEND:VEVENT\n";
        let comps = read_components(src).unwrap();
        let mut out = String::from("BEGIN:VEVENT\r\n");
        for p in &comps[0].properties {
            property(&mut out, p, None);
        }
        out.push_str("END:VEVENT\r\n");
        assert_eq!(out, "BEGIN:VEVENT\r\nSUMMARY:a\\, b\\; c\\nd\r\nCATEGORIES:x,y\r\nATTENDEE;CN=\"Doe, J\":mailto:j@x\r\nEND:VEVENT\r\n");
        let mut long = String::new();
        line(&mut long, &"é".repeat(60));
        assert!(long.split("\r\n").all(|l| l.len() <= 75));
    }
}
