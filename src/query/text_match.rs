//! CALDAV:text-match (RFC 4791 §9.7.5) with the collations of RFC 4790 that
//! CalDAV requires: `i;ascii-casemap` (the default) and `i;octet`.

use super::error::FilterError;

/// How strings are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collation {
    AsciiCasemap,
    Octet,
}

/// A substring test, possibly negated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMatch {
    /// The needle, already ASCII-lowercased for `i;ascii-casemap`.
    needle: String,
    pub collation: Collation,
    pub negate: bool,
}

impl TextMatch {
    /// Builds a test from the element's text and attributes.
    pub fn new(
        text: &str,
        collation: Option<&str>,
        negate: Option<&str>,
    ) -> Result<TextMatch, FilterError> {
        let collation = match collation.map(str::trim) {
            None | Some("") | Some("i;ascii-casemap") => Collation::AsciiCasemap,
            Some("i;octet") => Collation::Octet,
            Some(other) => return Err(FilterError::UnsupportedCollation(other.to_string())),
        };
        let negate = match negate.map(str::trim) {
            None | Some("no") => false,
            Some("yes") => true,
            Some(other) => {
                return Err(FilterError::InvalidFilter(format!(
                    "negate-condition must be yes or no, not {other:?}"
                )))
            }
        };
        let needle = match collation {
            Collation::AsciiCasemap => text.to_ascii_lowercase(),
            Collation::Octet => text.to_string(),
        };
        Ok(TextMatch {
            needle,
            collation,
            negate,
        })
    }

    /// True when `value` contains the needle (inverted by negate-condition).
    pub fn matches(&self, value: &str) -> bool {
        let found = match self.collation {
            Collation::Octet => value.contains(self.needle.as_str()),
            Collation::AsciiCasemap => contains_ascii_ci(value, &self.needle),
        };
        found != self.negate
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

    #[test]
    fn casemap_is_default_and_ascii_only() {
        let t = TextMatch::new("MeEt", None, None).unwrap();
        assert!(t.matches("Team meeting"));
        assert!(!t.matches("Team mating"));
        let t = TextMatch::new("É", None, None).unwrap();
        assert!(!t.matches("é"));
        assert!(t.matches("École"));
    }

    #[test]
    fn octet_and_negation() {
        let t = TextMatch::new("Meet", Some("i;octet"), Some("yes")).unwrap();
        assert!(t.matches("meeting"));
        assert!(!t.matches("Meeting"));
    }

    #[test]
    fn unknown_collation_is_reported() {
        assert!(matches!(
            TextMatch::new("x", Some("i;unicode-casemap"), None),
            Err(FilterError::UnsupportedCollation(_))
        ));
        assert!(matches!(
            TextMatch::new("x", None, Some("maybe")),
            Err(FilterError::InvalidFilter(_))
        ));
    }
}
