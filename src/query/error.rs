//! Why a calendar-query filter or calendar-data request is refused: its own
//! module so the filter parser and the calendar-data reader, which both
//! raise it, do not import each other.

use crate::dav::text_match::TextMatchError;

/// Why a filter (or calendar-data request) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// Maps to the CALDAV:valid-filter precondition.
    #[error("invalid filter: {0}")]
    InvalidFilter(String),
    /// Maps to the CALDAV:supported-collation precondition.
    #[error("unsupported collation: {0}")]
    UnsupportedCollation(String),
    /// Maps to CALDAV:supported-calendar-data (RFC 4791 §9.6): a
    /// calendar-data content-type or version other than text/calendar 2.0.
    #[error("unsupported calendar data: {0}")]
    UnsupportedCalendarData(String),
}

/// A CALDAV:text-match attribute refused: the collation is
/// supported-collation's, anything else makes the filter invalid.
impl From<TextMatchError> for FilterError {
    fn from(e: TextMatchError) -> Self {
        match e {
            TextMatchError::Collation(c) => FilterError::UnsupportedCollation(c),
            TextMatchError::Negate(m) | TextMatchError::MatchType(m) => {
                FilterError::InvalidFilter(m)
            }
        }
    }
}
