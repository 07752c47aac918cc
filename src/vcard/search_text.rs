//! The searchable texts of a contact, kept in the store's index, so that an
//! addressbook-query on the properties clients search (a name, an address,
//! a number) is decided without reading, let alone parsing, every `.vcf`
//! (photos included) of the address book. This module writes them when a
//! card is inspected; `cardquery::decide` reads them when a query runs.
//!
//! Per contact one string holds, for every instance of an indexed property,
//! its group and the texts [`property_texts`] offers a text-match, as
//! written: the collation folds them when a query runs, exactly as the full
//! evaluation does, so all three collations are decided from one copy.
//!
//! Layout: each instance is `INSTANCE`, a one-byte property code, its group,
//! then each text preceded by `TEXT`. A card whose indexed texts hold a
//! control character (which could break the layout or the index snapshot's
//! line format) gets no search text and is always read.

use calcard::vcard::{VCard, VCardProperty};

use super::texts::property_texts;

/// Starts an instance; followed by its code and group.
pub const INSTANCE: char = '\u{1d}';
/// Starts one of an instance's texts.
pub const TEXT: char = '\u{1f}';

/// The indexed properties with their one-byte codes: what clients search
/// in their contact lists (names, addresses, numbers, organisation).
pub const INDEXED: [(VCardProperty, &str, char); 6] = [
    (VCardProperty::Fn, "FN", 'F'),
    (VCardProperty::N, "N", 'N'),
    (VCardProperty::Nickname, "NICKNAME", 'K'),
    (VCardProperty::Email, "EMAIL", 'E'),
    (VCardProperty::Tel, "TEL", 'T'),
    (VCardProperty::Org, "ORG", 'O'),
];

/// The search text of a parsed vCard; `None` when one of its indexed texts
/// holds a control character.
pub fn search_text(card: &VCard) -> Option<Box<str>> {
    let mut out = String::new();
    for entry in &card.entries {
        let Some((_, _, code)) = INDEXED.iter().find(|(p, _, _)| *p == entry.name) else {
            continue;
        };
        let group = entry.group.as_deref().unwrap_or("");
        out.push(INSTANCE);
        out.push(*code);
        push_clean(&mut out, group)?;
        for text in property_texts(entry) {
            out.push(TEXT);
            push_clean(&mut out, &text)?;
        }
    }
    Some(out.into_boxed_str())
}

fn push_clean(out: &mut String, s: &str) -> Option<()> {
    if s.chars().any(char::is_control) {
        return None;
    }
    out.push_str(s);
    Some(())
}
