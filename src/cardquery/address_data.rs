//! CARDDAV:address-data in a REPORT request (RFC 6352 §10.4): which media
//! type and vCard version to answer in, and which properties to keep; and
//! the rendering of one stored vCard accordingly.
//!
//! Without partial retrieval and with the stored version (or none) asked
//! for, the stored bytes go out unchanged, so clients see exactly the file
//! and its ETag. Otherwise the vCard is parsed by calcard and written again:
//! BEGIN, VERSION and END are always written (a vCard needs them); UID and
//! every other property only when named, since RFC 6352 §10.4 lets a partial
//! answer lack what the client did not ask for.

use std::borrow::Cow;

use calcard::vcard::{VCard, VCardEntry, VCardVersion};
use calcard::{Entry, Parser};

use crate::dav::xml::Element;

use super::error::CardQueryError;
use super::filter::split_group;
use super::CARDDAV;

/// Most CARDDAV:prop elements one address-data may name.
const MAX_PROPS: usize = 1_000;

/// A vCard version this server reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardVersion {
    V3,
    V4,
}

/// One CARDDAV:prop of a partial retrieval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropSelect {
    /// Upper-cased group: when given only that group matches, else any.
    pub group: Option<String>,
    /// Upper-cased property name.
    pub name: String,
    /// `novalue="yes"`: the name and parameters, without the value.
    pub novalue: bool,
}

/// A parsed CARDDAV:address-data request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressData {
    /// `None`: the version the vCard is stored in.
    pub version: Option<CardVersion>,
    /// `None`: all properties (CARDDAV:allprop, or no prop at all).
    pub props: Option<Vec<PropSelect>>,
}

/// Parses a CARDDAV:address-data element of a REPORT request.
///
/// RFC 6352's DTD defaults `version` to 3.0; we answer in the stored version
/// instead when the attribute is absent, which keeps the bytes (and ETag)
/// of 4.0 cards intact for clients that did not ask for a conversion.
pub fn parse_address_data(el: &Element) -> Result<AddressData, CardQueryError> {
    if !el.is(CARDDAV, "address-data") {
        return Err(CardQueryError::Malformed(
            "expected CARDDAV:address-data".into(),
        ));
    }
    if let Some(ct) = el.attr("content-type") {
        let essence = ct.split(';').next().unwrap_or_default().trim();
        if !essence.eq_ignore_ascii_case("text/vcard") {
            return Err(CardQueryError::SupportedAddressData(format!(
                "content-type {ct:?}"
            )));
        }
    }
    let version = match el.attr("version").map(str::trim) {
        None => None,
        Some("3.0") => Some(CardVersion::V3),
        Some("4.0") => Some(CardVersion::V4),
        Some(other) => {
            return Err(CardQueryError::SupportedAddressData(format!(
                "version {other:?}"
            )))
        }
    };
    let mut props = Vec::new();
    let mut allprop = false;
    for c in el.children.iter().filter(|c| c.ns == CARDDAV) {
        match c.name.as_str() {
            "allprop" => allprop = true,
            "prop" => {
                if props.len() == MAX_PROPS {
                    return Err(CardQueryError::Malformed(format!(
                        "address-data names more than {MAX_PROPS} properties"
                    )));
                }
                props.push(prop_select(c)?);
            }
            other => {
                return Err(CardQueryError::Malformed(format!(
                    "unexpected {other} in address-data"
                )))
            }
        }
    }
    if allprop && !props.is_empty() {
        return Err(CardQueryError::Malformed(
            "allprop and prop exclude each other".into(),
        ));
    }
    let props = (!props.is_empty()).then_some(props);
    Ok(AddressData { version, props })
}

fn prop_select(el: &Element) -> Result<PropSelect, CardQueryError> {
    let name = el.attr("name").map(str::trim).unwrap_or_default();
    let (group, name) = split_group(name);
    if name.is_empty() {
        return Err(CardQueryError::Malformed(
            "prop needs a name attribute".into(),
        ));
    }
    let novalue = match el.attr("novalue").map(str::trim) {
        None | Some("no") => false,
        Some("yes") => true,
        Some(other) => {
            return Err(CardQueryError::Malformed(format!(
                "novalue must be yes or no, not {other:?}"
            )))
        }
    };
    Ok(PropSelect {
        group,
        name,
        novalue,
    })
}

/// The vCard to send for `stored` under `req`: the stored bytes themselves
/// when nothing needs to change, otherwise the converted or trimmed vCard.
pub fn render<'a>(stored: &'a [u8], req: &AddressData) -> Result<Cow<'a, [u8]>, CardQueryError> {
    let stored_version = stored_version(stored);
    if req.props.is_none() && req.version.is_none_or(|v| Some(v) == stored_version) {
        return Ok(Cow::Borrowed(stored));
    }
    let text = std::str::from_utf8(stored)
        .map_err(|_| CardQueryError::Conversion("the vCard is not UTF-8".into()))?;
    let Entry::VCard(mut card) = Parser::new(crate::bom::strip(text)).entry() else {
        return Err(CardQueryError::Conversion(
            "the vCard does not parse".into(),
        ));
    };
    if let Some(props) = &req.props {
        card = select(card, props);
    }
    let version = match req.version.or(stored_version) {
        Some(CardVersion::V4) => VCardVersion::V4_0,
        _ => VCardVersion::V3_0,
    };
    let mut out = String::with_capacity(stored.len());
    card.write_to(&mut out, version)
        .map_err(|_| CardQueryError::Conversion("the vCard cannot be written".into()))?;
    // A client may PUT back what it was sent: never send a card this server
    // would refuse (the fuzzer found conversions of odd but accepted cards
    // that write raw control characters or a second UID).
    crate::vcard::check_syntax(out.as_bytes()).map_err(|e| {
        CardQueryError::Conversion(format!("the converted vCard is not valid: {e}"))
    })?;
    Ok(Cow::Owned(out.into_bytes()))
}

/// The VERSION of a stored vCard, read from its unfolded VERSION line.
fn stored_version(stored: &[u8]) -> Option<CardVersion> {
    stored.split(|&b| b == b'\n').find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let value = line
            .get(..8)
            .filter(|head| head.eq_ignore_ascii_case(b"VERSION:"))
            .map(|_| line[8..].trim_ascii())?;
        match value {
            b"3.0" => Some(CardVersion::V3),
            b"4.0" => Some(CardVersion::V4),
            _ => None,
        }
    })
}

/// Keeps the properties that `props` names (value dropped for novalue).
fn select(card: VCard, props: &[PropSelect]) -> VCard {
    let entries = card
        .entries
        .into_iter()
        .filter_map(|mut e| {
            let sel = props.iter().find(|p| selects(p, &e))?;
            if sel.novalue {
                e.values.clear();
            }
            Some(e)
        })
        .collect();
    VCard { entries }
}

fn selects(p: &PropSelect, e: &VCardEntry) -> bool {
    e.name.as_str().eq_ignore_ascii_case(&p.name)
        && p.group.as_deref().is_none_or(|g| {
            e.group
                .as_deref()
                .is_some_and(|eg| eg.eq_ignore_ascii_case(g))
        })
}

#[cfg(test)]
mod tests;
