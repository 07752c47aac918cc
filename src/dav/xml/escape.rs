//! Escaping text for XML output: object data (with its CRs kept as
//! references) and short texts such as hrefs. Every byte of a report's
//! answer passes through here, so both look for the bytes to replace with
//! vectorised searches.

/// Escapes iCalendar text for element content, keeping CR as `&#13;` so
/// that XML parsers' line-end normalisation cannot turn CRLF into LF.
pub fn escape_ical(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 16);
    escape_ical_into(&mut out, s);
    out
}

/// `escape_ical` appending to `out` in one pass. Every object of a report
/// goes through here, and object data holds a CR on every line, so the cost
/// is per line: one vectorised search finds CRs, `<` and `&` together and
/// the clean runs between hits are copied whole. `>` (rare) is found by a
/// second search, kept one hit ahead. Quotes are left as they are: this is
/// element content, where XML gives them no meaning.
pub fn escape_ical_into(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    // About one `&#13;` per line of 75 octets.
    out.reserve(s.len() + s.len() / 12);
    let mut hits = memchr::memchr3_iter(b'\r', b'<', b'&', bytes);
    let mut gts = memchr::memchr_iter(b'>', bytes);
    let (mut hit, mut gt) = (hits.next(), gts.next());
    let mut start = 0;
    loop {
        let at = match (hit, gt) {
            (Some(h), Some(g)) if g < h => std::mem::replace(&mut gt, gts.next()).unwrap_or(g),
            (Some(h), _) => std::mem::replace(&mut hit, hits.next()).unwrap_or(h),
            (None, Some(g)) => std::mem::replace(&mut gt, gts.next()).unwrap_or(g),
            (None, None) => break,
        };
        // Every byte needing a reference is ASCII, so `at` is on a
        // character boundary.
        out.push_str(&s[start..at]);
        out.push_str(match bytes[at] {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            _ => "&#13;",
        });
        start = at + 1;
    }
    out.push_str(&s[start..]);
}

/// Escapes text for element content and attribute values.
pub fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    // Most texts (hrefs, names) need nothing: find that out with two
    // vectorised scans rather than quick-xml's byte-by-byte one.
    let b = s.as_bytes();
    if memchr::memchr3(b'<', b'>', b'&', b).is_none() && memchr::memchr2(b'\'', b'"', b).is_none() {
        return std::borrow::Cow::Borrowed(s);
    }
    quick_xml::escape::escape(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_borrows_plain_text_and_agrees_with_quick_xml() {
        for s in [
            "",
            "/u/c/a%20b.vcf",
            "a<b",
            "x>y",
            "&",
            "it's",
            "\"q\"",
            "caf\u{e9} <&>",
        ] {
            assert_eq!(escape(s), quick_xml::escape::escape(s), "{s:?}");
            let plain = !s.contains(['<', '>', '&', '\'', '"']);
            assert_eq!(matches!(escape(s), std::borrow::Cow::Borrowed(_)), plain);
        }
    }

    /// Element content escaped the plain way: markup characters and CR.
    fn content(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('\r', "&#13;")
    }

    #[test]
    fn escape_ical_escapes_markup_and_cr() {
        for s in [
            "",
            "BEGIN:VEVENT\r\nSUMMARY:a\r\n",
            "<&>'\"\r\r\n",
            "DESCRIPTION:caf\u{e9} <b> & \u{1f600} \"q\"\r\nEND",
            "no specials at all",
        ] {
            let expected = content(s);
            assert_eq!(escape_ical(s), expected, "{s:?}");
            let mut out = String::from("x");
            escape_ical_into(&mut out, s);
            assert_eq!(out, format!("x{expected}"));
        }
        // Every mix of specials, runs and multi-byte characters.
        let pieces = [
            "<",
            ">",
            "&",
            "'",
            "\"",
            "\r",
            "\n",
            "ab",
            "\u{e9}",
            "\u{1f600}",
        ];
        let mut state = 1u32;
        for len in 0..400 {
            let s: String = (0..len % 40)
                .map(|_| {
                    state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    pieces[(state >> 16) as usize % pieces.len()]
                })
                .collect();
            assert_eq!(escape_ical(&s), content(&s), "{s:?}");
            // What an XML parser reads back is the text itself.
            let doc = crate::dav::xml::parse(format!("<a>{}</a>", escape_ical(&s)).as_bytes());
            assert_eq!(doc.unwrap().text, s, "{s:?}");
        }
    }
}
