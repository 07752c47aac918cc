//! Which names and characters XML 1.0 allows, so that nothing the parser
//! accepts can be written back (stored dead properties, echoed names) as a
//! document other XML parsers refuse.
//!
//! quick-xml reads names and character data leniently and exposes no name
//! check, so the two productions are stated here once.

/// Whether `name` is an NCName (Namespaces in XML 1.0 §3: an XML Name with no
/// colon), the only form a prefix or a local name may take.
pub fn is_ncname(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

/// XML 1.0 (fifth edition) production [4] NameStartChar, without ':'.
fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 (fifth edition) production [4a] NameChar, without ':'.
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c,
            '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// The first character XML 1.0 production [2] Char forbids: C0 controls other
/// than TAB, LF and CR, and U+FFFE/U+FFFF (a Rust string holds no surrogates).
/// Such a character cannot appear in a well-formed document, escaped or not.
pub fn forbidden_char(s: &str) -> Option<char> {
    // Each such character starts with a byte below 0x20 or with 0xEF (the
    // lead byte of U+FFFE/U+FFFF): a byte scan, which vectorises, clears
    // almost every text without decoding it.
    let suspect = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF;
    if !s.bytes().any(suspect) {
        return None;
    }
    s.chars().find(|&c| {
        matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ncnames() {
        for ok in ["a", "calendar-data", "_x.1", "é", "a\u{B7}b", "日付"] {
            assert!(is_ncname(ok), "{ok}");
        }
        for bad in [
            "", "b:c", "!x", "1a", "-a", ".a", "a b", "a\u{0}", "\u{B7}a",
        ] {
            assert!(!is_ncname(bad), "{bad:?}");
        }
    }

    #[test]
    fn forbidden_characters() {
        assert_eq!(forbidden_char("a\tb\r\nc"), None);
        assert_eq!(forbidden_char("x\u{0}"), Some('\u{0}'));
        assert_eq!(forbidden_char("\u{1F}"), Some('\u{1F}'));
        assert_eq!(forbidden_char("\u{FFFE}"), Some('\u{FFFE}'));
        assert_eq!(forbidden_char("\u{FFFD}\u{10FFFF}"), None);
        // Other characters led by 0xEF pass the fast scan to the full one.
        assert_eq!(forbidden_char("\u{F000}\u{FFFD}"), None);
        assert_eq!(forbidden_char("\u{F000}\u{FFFF}"), Some('\u{FFFF}'));
    }
}
