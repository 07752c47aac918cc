//! addressbook-query semantics of RFC 6352 (CardDAV): the CARDDAV:filter
//! tree, text-match collations, evaluation against one vCard, the
//! CARDDAV:limit element, and CARDDAV:address-data (partial retrieval and
//! 3.0/4.0 conversion). Pure functions over vCard text and parsed XML; no
//! I/O, so the REPORT handlers only glue them to the store.

mod address_data;
mod error;
mod eval;
mod filter;
mod indexed;
mod narrow;
#[cfg(test)]
mod test_cards;

pub use crate::dav::text_match::{Collation, MatchType, TextMatch};
pub use address_data::{parse_address_data, render, AddressData, CardVersion, PropSelect};
pub use error::CardQueryError;
pub use eval::{matches, matches_card};
pub use filter::{
    parse_filter, parse_limit, Filter, ParamCond, ParamFilter, PropCond, PropFilter, Test,
    MAX_FILTER_ELEMENTS, MAX_NRESULTS,
};
pub use indexed::decide;

pub use crate::dav::xml::CARDDAV;
