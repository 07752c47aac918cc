//! The UTF-8 byte-order mark some editors and exporters put at a file's
//! start. It is no part of iCalendar or vCard, so every reader of an
//! object's text (validation, the index, queries, birthdays, export,
//! import) looks past it here, once; the file itself is kept as written.

/// The byte-order mark, U+FEFF.
const BOM: char = '\u{feff}';

/// `text` without a leading byte-order mark.
pub fn strip(text: &str) -> &str {
    text.strip_prefix(BOM).unwrap_or(text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_leading_mark_goes() {
        assert_eq!(super::strip("\u{feff}BEGIN:VCARD"), "BEGIN:VCARD");
        assert_eq!(super::strip("BEGIN:VCARD"), "BEGIN:VCARD");
        assert_eq!(super::strip("A\u{feff}B"), "A\u{feff}B");
        assert_eq!(super::strip("\u{feff}\u{feff}X"), "\u{feff}X");
    }
}
