//! CARDDAV:text-match (RFC 6352 §10.5.4): the collations of RFC 4790 that a
//! CardDAV server must offer (`i;unicode-casemap` of RFC 5051, the default,
//! and `i;ascii-casemap`) plus `i;octet`, with the four match types.

use std::borrow::Cow;

use caseless::Caseless;
use unicode_normalization::UnicodeNormalization;

use super::error::CardQueryError;

/// How strings are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collation {
    /// RFC 5051: case-folded and compatibility-decomposed, so "Straße"
    /// equals "STRASSE" and a composed "é" equals a decomposed one.
    UnicodeCasemap,
    /// RFC 4790 §9.2: only A-Z fold to a-z.
    AsciiCasemap,
    /// RFC 4790 §9.3: bytes as they are.
    Octet,
}

/// Where in the value the needle has to be found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchType {
    Equals,
    Contains,
    StartsWith,
    EndsWith,
}

/// One text test, possibly negated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMatch {
    /// The needle, already folded by the collation.
    needle: String,
    pub collation: Collation,
    pub match_type: MatchType,
    pub negate: bool,
}

impl TextMatch {
    /// Builds a test from the element's text and attributes (each `None`
    /// when absent; the RFC 6352 defaults apply).
    pub fn new(
        text: &str,
        collation: Option<&str>,
        negate: Option<&str>,
        match_type: Option<&str>,
    ) -> Result<TextMatch, CardQueryError> {
        let collation = match collation.map(str::trim) {
            None | Some("") | Some("i;unicode-casemap") => Collation::UnicodeCasemap,
            Some("i;ascii-casemap") => Collation::AsciiCasemap,
            Some("i;octet") => Collation::Octet,
            Some(other) => return Err(CardQueryError::SupportedCollation(other.to_string())),
        };
        let negate = match negate.map(str::trim) {
            None | Some("no") => false,
            Some("yes") => true,
            Some(other) => {
                return Err(CardQueryError::Malformed(format!(
                    "negate-condition must be yes or no, not {other:?}"
                )))
            }
        };
        let match_type = match match_type.map(str::trim) {
            None | Some("contains") => MatchType::Contains,
            Some("equals") => MatchType::Equals,
            Some("starts-with") => MatchType::StartsWith,
            Some("ends-with") => MatchType::EndsWith,
            Some(other) => {
                return Err(CardQueryError::SupportedFilter(format!(
                    "match-type {other:?}"
                )))
            }
        };
        Ok(TextMatch {
            needle: fold(collation, text).into_owned(),
            collation,
            match_type,
            negate,
        })
    }

    /// True when the needle is found in `value`, before negate-condition.
    pub fn hits(&self, value: &str) -> bool {
        let hay = fold(self.collation, value);
        let (hay, needle) = (hay.as_ref(), self.needle.as_str());
        match self.match_type {
            MatchType::Equals => hay == needle,
            MatchType::Contains => hay.contains(needle),
            MatchType::StartsWith => hay.starts_with(needle),
            MatchType::EndsWith => hay.ends_with(needle),
        }
    }

    /// The test over all the texts one property (or parameter) offers: the
    /// needle has to hit one of them, and negate-condition inverts that, so a
    /// negated test passes only when no text hits.
    pub fn matches_any<'a>(&self, texts: impl IntoIterator<Item = &'a str>) -> bool {
        texts.into_iter().any(|t| self.hits(t)) != self.negate
    }
}

/// The form of a string that the collation compares bytewise.
fn fold(collation: Collation, s: &str) -> Cow<'_, str> {
    match collation {
        Collation::Octet => Cow::Borrowed(s),
        Collation::AsciiCasemap => ascii_lowercase(s),
        // On ASCII text the decompositions change nothing and case folding
        // maps A-Z to a-z, so the common case skips the Unicode tables.
        Collation::UnicodeCasemap if s.is_ascii() => ascii_lowercase(s),
        // RFC 5051 maps each character to its titlecase form and then applies
        // NFKD; Unicode default case folding (after a canonical decomposition,
        // so folding sees base letters) gives the same equivalence classes.
        Collation::UnicodeCasemap => {
            Cow::Owned(s.chars().nfd().default_case_fold().nfkd().collect())
        }
    }
}

/// `s` with A-Z lowered, borrowed when there is none.
fn ascii_lowercase(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tm(text: &str, collation: Option<&str>, match_type: &str) -> TextMatch {
        TextMatch::new(text, collation, None, Some(match_type)).unwrap()
    }

    #[test]
    fn unicode_casemap_is_default_and_folds_beyond_ascii() {
        let t = TextMatch::new("STRASSE", None, None, Some("equals")).unwrap();
        assert_eq!(t.collation, Collation::UnicodeCasemap);
        assert!(t.hits("Straße"));
        assert!(!t.hits("Strase"));
        // DŽ (U+01C4), Dž (U+01C5), dž (U+01C6) and the two-letter "DŽ" are one.
        let t = tm("\u{1C4}", None, "equals");
        for v in ["\u{1C5}", "\u{1C6}", "D\u{17D}", "dz\u{30C}"] {
            assert!(t.hits(v), "{v}");
        }
        // Composed and decomposed é, and case, all agree.
        let t = tm("caf\u{E9}", None, "equals");
        assert!(t.hits("CAFE\u{301}"));
        assert!(t.hits("Caf\u{C9}"));
        assert!(!t.hits("cafe"));
    }

    #[test]
    fn ascii_shortcut_of_unicode_casemap_folds_as_the_tables_do() {
        let all: String = (0u8..128).map(char::from).collect();
        let full: String = all.chars().nfd().default_case_fold().nfkd().collect();
        assert_eq!(fold(Collation::UnicodeCasemap, &all), full);
    }

    #[test]
    fn ascii_casemap_folds_ascii_only() {
        let t = tm("MeEt", Some("i;ascii-casemap"), "contains");
        assert!(t.hits("team meeting"));
        let t = tm("\u{C9}cole", Some("i;ascii-casemap"), "equals");
        assert!(t.hits("\u{C9}COLE"));
        assert!(!t.hits("\u{E9}cole"));
    }

    #[test]
    fn octet_is_exact() {
        let t = tm("Doe", Some("i;octet"), "contains");
        assert!(t.hits("John Doe"));
        assert!(!t.hits("john doe"));
    }

    #[test]
    fn match_types() {
        let table = [
            ("equals", "jane", "Jane", true),
            ("equals", "jane", "Jane Doe", false),
            ("contains", "ne d", "Jane Doe", true),
            ("contains", "", "anything", true),
            ("starts-with", "ja", "Jane", true),
            ("starts-with", "ne", "Jane", false),
            ("ends-with", "DOE", "Jane Doe", true),
            ("ends-with", "jane", "Jane Doe", false),
        ];
        for (mt, needle, value, want) in table {
            assert_eq!(
                tm(needle, None, mt).hits(value),
                want,
                "{mt} {needle} {value}"
            );
        }
    }

    #[test]
    fn negation_over_several_texts() {
        let t = TextMatch::new("work", None, Some("yes"), None).unwrap();
        assert!(t.matches_any(["home", "cell"]));
        assert!(!t.matches_any(["home", "WORK"]));
        assert!(t.matches_any([]));
        let t = TextMatch::new("work", None, Some("no"), None).unwrap();
        assert!(!t.matches_any([]));
    }

    #[test]
    fn bad_attributes_are_typed() {
        assert!(matches!(
            TextMatch::new("x", Some("i;basic"), None, None),
            Err(CardQueryError::SupportedCollation(_))
        ));
        assert!(matches!(
            TextMatch::new("x", None, None, Some("regex")),
            Err(CardQueryError::SupportedFilter(_))
        ));
        assert!(matches!(
            TextMatch::new("x", None, Some("maybe"), None),
            Err(CardQueryError::Malformed(_))
        ));
    }
}
