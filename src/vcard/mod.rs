//! vCard semantics the store needs (no I/O): whether a body is a valid
//! address object resource (RFC 6352 §5.1: one vCard, one UID, vCard 3.0 or
//! 4.0) and the facts kept about it (UID, version; FN, BDAY and ANNIVERSARY
//! for listings and the birthday calendar).

mod elide;
mod prescan;
pub mod search_text;
pub mod texts;

use std::borrow::Cow;

use calcard::vcard::VCardProperty;
use calcard::{Entry, Parser};

/// The vCard versions an address book stores (RFC 6352 §5.1.1 requires 3.0;
/// 4.0 is what current clients write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VcardVersion {
    V3,
    V4,
}

impl VcardVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            VcardVersion::V3 => "3.0",
            VcardVersion::V4 => "4.0",
        }
    }
}

/// What the store and the birthday calendar need from a valid vCard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardInfo {
    pub uid: String,
    pub version: VcardVersion,
    /// The formatted name, when present.
    pub full_name: Option<String>,
    /// BDAY as written (`1985-04-12`, `19850412`, `--0704`...), unparsed:
    /// its forms differ between 3.0 and 4.0 and only the birthday calendar
    /// interprets them.
    pub bday: Option<String>,
    /// ANNIVERSARY as written (vCard 4.0).
    pub anniversary: Option<String>,
    /// What addressbook-query decides filters on without reading the file
    /// (`search_text::search_text`); `None`: always read.
    pub search: Option<Box<str>>,
}

/// Why a body is not a valid address object resource; the variants map onto
/// the RFC 6352 preconditions in the HTTP layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VcardError {
    /// → CARDDAV:valid-address-data
    #[error("line {line}: {reason}")]
    Syntax { line: usize, reason: String },
    /// → CARDDAV:valid-address-data
    #[error("not UTF-8 text")]
    NotUtf8,
    /// → CARDDAV:valid-address-data (one vCard with a UID per resource)
    #[error("{0}")]
    NotObjectResource(String),
    /// → CARDDAV:supported-address-data (a vCard, but not 3.0 or 4.0)
    #[error("vCard version {0:?} is not supported (3.0 and 4.0 are)")]
    UnsupportedVersion(String),
}

impl VcardError {
    /// Whether the server could store this data if it were another version:
    /// distinguishes supported-address-data from valid-address-data.
    pub fn is_unsupported_version(&self) -> bool {
        matches!(self, VcardError::UnsupportedVersion(_))
    }
}

/// The syntax and bounds of one vCard (the pre-scan `inspect` starts
/// with: one unnested VCARD, content lines, no control characters, no
/// second UID or VERSION), without asking for a UID: partial retrieval may
/// leave it out of what is sent.
pub fn check_syntax(bytes: &[u8]) -> Result<(), VcardError> {
    let text = std::str::from_utf8(bytes).map_err(|_| VcardError::NotUtf8)?;
    prescan::prescan(crate::bom::strip(text)).map(|_| ())
}

/// Checks one vCard body and returns what the store keeps of it.
pub fn inspect(bytes: &[u8]) -> Result<CardInfo, VcardError> {
    inspect_parsing(bytes, elide::for_parser)
}

/// `inspect`, with `view` choosing what of the pre-scanned text the parser
/// sees (the tests compare the elided view with the whole card).
fn inspect_parsing(bytes: &[u8], view: fn(&str) -> Cow<'_, str>) -> Result<CardInfo, VcardError> {
    let text = std::str::from_utf8(bytes).map_err(|_| VcardError::NotUtf8)?;
    let text = crate::bom::strip(text);
    // Bounds and envelope first, so the parser only sees bounded input.
    let raw = prescan::prescan(text)?;
    let version = match raw.version.as_deref() {
        Some("3.0") => VcardVersion::V3,
        Some("4.0") => VcardVersion::V4,
        Some(other) => return Err(VcardError::UnsupportedVersion(other.to_string())),
        None => {
            return Err(VcardError::NotObjectResource(
                "VCARD without VERSION".into(),
            ))
        }
    };
    let parsed = view(text);
    let mut parser = Parser::new(&parsed);
    let card = match parser.entry() {
        Entry::VCard(card) => card,
        Entry::InvalidLine(l) => return Err(syntax(format!("invalid line {l:?}"))),
        other => return Err(syntax(format!("not a vCard ({})", entry_name(&other)))),
    };
    match parser.entry() {
        Entry::Eof => {}
        Entry::InvalidLine(l) => return Err(syntax(format!("invalid line {l:?}"))),
        _ => return Err(VcardError::NotObjectResource("more than one entry".into())),
    }
    let text_of = |prop: &VCardProperty| {
        card.property(prop)
            .and_then(|e| e.values.first())
            .and_then(|v| v.as_text())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    };
    let uid = text_of(&VCardProperty::Uid)
        .or(raw.uid.filter(|u| !u.is_empty()))
        .ok_or_else(|| VcardError::NotObjectResource("VCARD without UID".into()))?;
    Ok(CardInfo {
        uid,
        version,
        full_name: text_of(&VCardProperty::Fn),
        bday: raw.bday,
        anniversary: raw.anniversary,
        search: search_text::search_text(&card),
    })
}

fn syntax(reason: String) -> VcardError {
    VcardError::Syntax { line: 1, reason }
}

fn entry_name(e: &Entry) -> &'static str {
    match e {
        Entry::ICalendar(_) => "iCalendar",
        Entry::Eof => "empty",
        _ => "unparsable",
    }
}

#[cfg(test)]
mod tests;
