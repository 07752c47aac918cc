//! text-match, one test for CalDAV (RFC 4791 §9.7.5) and CardDAV (RFC 6352
//! §10.5.4): a needle, a collation of RFC 4790, a match type and
//! negate-condition. The two protocols differ only in the attributes they
//! accept ([`Dialect`]); comparing is the same code for both.

use std::borrow::Cow;

use caseless::Caseless;
use unicode_normalization::UnicodeNormalization;

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

/// Which protocol's text-match an element is: they differ in the default
/// collation, the collations offered, and whether match-type exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// RFC 4791: `i;ascii-casemap` (the default) and `i;octet`; contains only.
    CalDav,
    /// RFC 6352: `i;unicode-casemap` (the default), `i;ascii-casemap` and
    /// `i;octet`, with the four match types.
    CardDav,
}

/// Which attribute of a text-match was refused, with its value; each
/// protocol reports it with its own precondition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextMatchError {
    Collation(String),
    /// negate-condition other than yes or no; the message says so.
    Negate(String),
    MatchType(String),
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
    /// when absent; the dialect's defaults apply).
    pub fn new(
        dialect: Dialect,
        text: &str,
        collation: Option<&str>,
        negate: Option<&str>,
        match_type: Option<&str>,
    ) -> Result<TextMatch, TextMatchError> {
        let collation = match (dialect, collation.map(str::trim)) {
            (Dialect::CalDav, None | Some("")) => Collation::AsciiCasemap,
            (Dialect::CardDav, None | Some("") | Some("i;unicode-casemap")) => {
                Collation::UnicodeCasemap
            }
            (_, Some("i;ascii-casemap")) => Collation::AsciiCasemap,
            (_, Some("i;octet")) => Collation::Octet,
            (_, Some(other)) => return Err(TextMatchError::Collation(other.to_string())),
        };
        let negate = match negate.map(str::trim) {
            None | Some("no") => false,
            Some("yes") => true,
            Some(other) => {
                return Err(TextMatchError::Negate(format!(
                    "negate-condition must be yes or no, not {other:?}"
                )))
            }
        };
        let match_type = match (dialect, match_type.map(str::trim)) {
            (Dialect::CalDav, _) | (Dialect::CardDav, None | Some("contains")) => {
                MatchType::Contains
            }
            (Dialect::CardDav, Some("equals")) => MatchType::Equals,
            (Dialect::CardDav, Some("starts-with")) => MatchType::StartsWith,
            (Dialect::CardDav, Some("ends-with")) => MatchType::EndsWith,
            (Dialect::CardDav, Some(other)) => {
                return Err(TextMatchError::MatchType(format!("match-type {other:?}")))
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
        let needle = self.needle.as_str();
        // The usual CalDAV case compares in place, allocating nothing.
        if (self.collation, self.match_type) == (Collation::AsciiCasemap, MatchType::Contains) {
            return contains_ascii_ci(value, needle);
        }
        let hay = fold(self.collation, value);
        let hay = hay.as_ref();
        match self.match_type {
            MatchType::Equals => hay == needle,
            MatchType::Contains => hay.contains(needle),
            MatchType::StartsWith => hay.starts_with(needle),
            MatchType::EndsWith => hay.ends_with(needle),
        }
    }

    /// The test on one value, negate-condition applied.
    pub fn matches(&self, value: &str) -> bool {
        self.hits(value) != self.negate
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

/// Substring search ignoring ASCII case, without allocating.
fn contains_ascii_ci(hay: &str, lower_needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), lower_needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    h.windows(n.len())
        .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caldav(text: &str, collation: Option<&str>, negate: Option<&str>) -> TextMatch {
        TextMatch::new(Dialect::CalDav, text, collation, negate, None).unwrap()
    }

    fn card(text: &str, collation: Option<&str>, negate: Option<&str>, mt: &str) -> TextMatch {
        TextMatch::new(Dialect::CardDav, text, collation, negate, Some(mt)).unwrap()
    }

    fn tm(text: &str, collation: Option<&str>, match_type: &str) -> TextMatch {
        card(text, collation, None, match_type)
    }

    #[test]
    fn caldav_casemap_is_default_and_ascii_only() {
        let t = caldav("MeEt", None, None);
        assert!(t.matches("Team meeting"));
        assert!(!t.matches("Team mating"));
        let t = caldav("É", None, None);
        assert!(!t.matches("é"));
        assert!(t.matches("École"));
    }

    #[test]
    fn caldav_octet_and_negation() {
        let t = caldav("Meet", Some("i;octet"), Some("yes"));
        assert!(t.matches("meeting"));
        assert!(!t.matches("Meeting"));
    }

    #[test]
    fn caldav_offers_no_unicode_casemap_and_no_match_type() {
        assert_eq!(
            TextMatch::new(Dialect::CalDav, "x", Some("i;unicode-casemap"), None, None),
            Err(TextMatchError::Collation("i;unicode-casemap".into()))
        );
        assert!(matches!(
            TextMatch::new(Dialect::CalDav, "x", None, Some("maybe"), None),
            Err(TextMatchError::Negate(_))
        ));
        let t = TextMatch::new(Dialect::CalDav, "x", None, None, Some("equals")).unwrap();
        assert_eq!(t.match_type, MatchType::Contains);
    }

    #[test]
    fn unicode_casemap_is_carddav_default_and_folds_beyond_ascii() {
        let t = tm("STRASSE", None, "equals");
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

    /// The in-place search agrees with folding and searching.
    #[test]
    fn ascii_contains_in_place_agrees_with_folding() {
        for (needle, hay) in [
            ("eet", "MEETING"),
            ("", "x"),
            ("x", ""),
            ("é", "É"),
            ("ab", "aB"),
        ] {
            let folded = fold(Collation::AsciiCasemap, hay).contains(needle);
            assert_eq!(contains_ascii_ci(hay, needle), folded, "{needle} {hay}");
        }
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
        let t = TextMatch::new(Dialect::CardDav, "work", None, Some("yes"), None).unwrap();
        assert!(t.matches_any(["home", "cell"]));
        assert!(!t.matches_any(["home", "WORK"]));
        assert!(t.matches_any([]));
        let t = TextMatch::new(Dialect::CardDav, "work", None, Some("no"), None).unwrap();
        assert!(!t.matches_any([]));
    }

    #[test]
    fn bad_carddav_attributes_are_typed() {
        let new = |c, n, m| TextMatch::new(Dialect::CardDav, "x", c, n, m);
        assert!(matches!(
            new(Some("i;basic"), None, None),
            Err(TextMatchError::Collation(_))
        ));
        assert!(matches!(
            new(None, None, Some("regex")),
            Err(TextMatchError::MatchType(_))
        ));
        assert!(matches!(
            new(None, Some("maybe"), None),
            Err(TextMatchError::Negate(_))
        ));
    }
}
