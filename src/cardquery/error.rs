//! Why an addressbook-query or address-data request was refused; each variant
//! names the RFC 6352 condition it stands for, and `src/http/error.rs` maps it.

use crate::dav::text_match::TextMatchError;

/// A rejected CardDAV REPORT input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardQueryError {
    /// CARDDAV:supported-filter (RFC 6352 §8.6): an element, match-type or
    /// test this server does not support.
    #[error("unsupported filter: {0}")]
    SupportedFilter(String),
    /// CARDDAV:supported-collation (RFC 6352 §8.3).
    #[error("unsupported collation: {0}")]
    SupportedCollation(String),
    /// CARDDAV:supported-address-data (RFC 6352 §8.6, §8.7): a content-type
    /// or version other than text/vcard 3.0 or 4.0.
    #[error("unsupported address data: {0}")]
    SupportedAddressData(String),
    /// CARDDAV:supported-address-data-conversion (RFC 6352 §8.7.2): the stored
    /// vCard could not be parsed, so it cannot be filtered or converted.
    #[error("cannot convert address data: {0}")]
    Conversion(String),
    /// A request that breaks the RFC 6352 grammar or our bounds (a plain 400).
    #[error("malformed request: {0}")]
    Malformed(String),
}

/// A CARDDAV:text-match attribute refused, as RFC 6352 names each.
impl From<TextMatchError> for CardQueryError {
    fn from(e: TextMatchError) -> Self {
        match e {
            TextMatchError::Collation(c) => CardQueryError::SupportedCollation(c),
            TextMatchError::Negate(m) => CardQueryError::Malformed(m),
            TextMatchError::MatchType(m) => CardQueryError::SupportedFilter(m),
        }
    }
}
