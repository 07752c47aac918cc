//! The searchable texts of a contact, kept in the store's index, so that an
//! addressbook-query on the properties clients search (a name, an address,
//! a number) is decided without reading, let alone parsing, every `.vcf`
//! (photos included) of the address book.
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

use super::filter::{Filter, PropCond, PropFilter, Test};
use super::text_match::TextMatch;
use super::value::property_texts;

/// Starts an instance; followed by its code and group.
const INSTANCE: char = '\u{1d}';
/// Starts one of an instance's texts.
const TEXT: char = '\u{1f}';

/// The indexed properties with their one-byte codes: what clients search
/// in their contact lists (names, addresses, numbers, organisation).
const INDEXED: [(VCardProperty, &str, char); 6] = [
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

/// Whether a filter is decided from a search text alone: `Some(answer)`, or
/// `None` when it names a property the index does not keep or filters on
/// parameters (then the card has to be read and evaluated in full). anyof
/// and allof combine three-valued, so `FN contains x` anyof `PHOTO` is still
/// decided for every card whose FN contains x.
pub fn decide(filter: &Filter, search: &str) -> Option<bool> {
    if filter.props.is_empty() {
        return Some(true);
    }
    combine(
        filter.test,
        filter.props.iter().map(|pf| decide_prop(pf, search)),
    )
}

/// Kleene's three-valued OR (anyof) or AND (allof).
fn combine(test: Test, items: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let decisive = test == Test::AnyOf;
    let mut unknown = false;
    for item in items {
        match item {
            Some(v) if v == decisive => return Some(decisive),
            Some(_) => {}
            None => unknown = true,
        }
    }
    (!unknown).then_some(!decisive)
}

fn decide_prop(pf: &PropFilter, search: &str) -> Option<bool> {
    let code = INDEXED.iter().find(|(_, n, _)| *n == pf.name)?.2;
    let mut named = instances(search).filter(|i| {
        i.code == code
            && pf
                .group
                .as_deref()
                .is_none_or(|g| i.group.eq_ignore_ascii_case(g))
    });
    match &pf.cond {
        PropCond::IsNotDefined => Some(named.next().is_none()),
        PropCond::Match { texts, params } if params.is_empty() => {
            if texts.is_empty() {
                return Some(named.next().is_some());
            }
            let passes = |i: &Instance, tm: &TextMatch| tm.matches_any(i.texts());
            Some(named.any(|i| match pf.test {
                Test::AnyOf => texts.iter().any(|tm| passes(&i, tm)),
                Test::AllOf => texts.iter().all(|tm| passes(&i, tm)),
            }))
        }
        PropCond::Match { .. } => None,
    }
}

/// One property instance of a search text.
struct Instance<'a> {
    code: char,
    group: &'a str,
    /// The texts, each preceded by [`TEXT`].
    rest: &'a str,
}

impl<'a> Instance<'a> {
    fn texts(&self) -> impl Iterator<Item = &'a str> {
        self.rest.split(TEXT).skip(1)
    }
}

fn instances(search: &str) -> impl Iterator<Item = Instance<'_>> {
    search.split(INSTANCE).skip(1).filter_map(|part| {
        let mut chars = part.chars();
        let code = chars.next()?;
        let body = chars.as_str();
        let (group, rest) = body.split_at(body.find(TEXT).unwrap_or(body.len()));
        Some(Instance { code, group, rest })
    })
}

#[cfg(test)]
#[path = "indexed_tests.rs"]
mod tests;
