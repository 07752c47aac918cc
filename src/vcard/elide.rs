//! What `calcard` is given to parse: the card without its large inline
//! binary properties (PHOTO, LOGO, SOUND, KEY).
//!
//! Why: `inspect` parses a card only for its UID, its FN and whether it
//! parses at all, yet `calcard` tokenizes and base64-decodes every byte of
//! an inline photo. A contact with a 100 KB photo cost about 2 ms of CPU per
//! PUT, most of it there. Those lines have already passed the pre-scan's
//! content-line checks (bounds, controls, name, parameters), and nothing
//! `inspect` reports comes from them, so leaving them out changes no answer;
//! `tests.rs` checks that on every test card. The stored bytes are untouched.

use std::borrow::Cow;

/// Properties whose values are binary data (RFC 6350 §6.2.4, §6.6.3,
/// §6.7.5, §6.8.1; vCard 3.0 writes them inline with ENCODING=b).
const BINARY: [&str; 4] = ["PHOTO", "LOGO", "SOUND", "KEY"];

/// Logical lines shorter than this are parsed as they are: eliding them
/// would save less than the copy costs.
const LARGE: usize = 1024;

/// `text` without the logical lines of large binary properties; borrowed
/// (no copy) when it has none.
pub(super) fn for_parser(text: &str) -> Cow<'_, str> {
    if text.len() < LARGE {
        return Cow::Borrowed(text);
    }
    let mut out: Option<String> = None;
    // `out` holds `text[..copied]` minus the elided lines.
    let mut copied = 0;
    let mut pos = 0;
    while pos < text.len() {
        let end = logical_end(text, pos);
        if end - pos > LARGE && is_binary(&text[pos..end]) {
            let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
            o.push_str(&text[copied..pos]);
            copied = end;
        }
        pos = end;
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut o) => {
            o.push_str(&text[copied..]);
            Cow::Owned(o)
        }
    }
}

/// Where the logical line starting at `start` ends (after its last line
/// break): it goes on while the next physical line starts with a space or
/// a tab (folding, RFC 6350 §3.2).
fn logical_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = start;
    loop {
        match bytes[i..].iter().position(|&b| b == b'\n') {
            None => return text.len(),
            Some(nl) => {
                i += nl + 1;
                if !matches!(bytes.get(i), Some(b' ' | b'\t')) {
                    return i;
                }
            }
        }
    }
}

/// Whether the line's property (group prefix aside) is a binary one. A
/// name folded across lines does not match: that line is simply parsed.
fn is_binary(line: &str) -> bool {
    let name_end = line.find([';', ':']).unwrap_or(line.len());
    let name = line[..name_end].rsplit('.').next().unwrap_or_default();
    BINARY.iter().any(|b| name.eq_ignore_ascii_case(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo_line(len: usize) -> String {
        let mut l = String::from("PHOTO;ENCODING=b;TYPE=JPEG:");
        let mut first = true;
        while l.len() < len {
            if !first {
                l.push_str("\r\n ");
            }
            first = false;
            l.push_str(&"QUJD".repeat(18));
        }
        l.push_str("\r\n");
        l
    }

    #[test]
    fn drops_only_large_binary_lines() {
        let big = photo_line(4000);
        let card = format!(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\n{big}item1.LOGO:{}\r\nFN:A\r\nNOTE:{}\r\nEND:VCARD\r\n",
            "x".repeat(2000),
            "n".repeat(2000)
        );
        let parsed = for_parser(&card);
        assert_eq!(
            parsed,
            format!(
                "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:A\r\nNOTE:{}\r\nEND:VCARD\r\n",
                "n".repeat(2000)
            )
        );
    }

    #[test]
    fn small_cards_and_small_photos_are_borrowed() {
        let card = format!(
            "BEGIN:VCARD\nVERSION:4.0\nUID:u\n{}FN:B\nEND:VCARD\n",
            photo_line(200)
        );
        assert!(matches!(for_parser(&card), Cow::Borrowed(_)));
        let long_note = format!(
            "BEGIN:VCARD\nVERSION:4.0\nUID:u\nNOTE:{}\nEND:VCARD\n",
            "y".repeat(3000)
        );
        assert!(matches!(for_parser(&long_note), Cow::Borrowed(_)));
    }

    #[test]
    fn a_photo_at_the_end_without_a_line_break_is_dropped() {
        let big = photo_line(3000);
        let card = format!("BEGIN:VCARD\nUID:u\n{}", big.trim_end());
        assert_eq!(for_parser(&card), "BEGIN:VCARD\nUID:u\n");
    }
}
