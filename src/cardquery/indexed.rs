//! Deciding an addressbook-query from the search texts the store's index
//! keeps per contact (`vcard::search_text` writes them, with their layout),
//! so only the cards that match are read.

use crate::vcard::search_text::{INDEXED, INSTANCE, TEXT};

use super::filter::{Filter, PropCond, PropFilter, Test};
use crate::dav::text_match::TextMatch;

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
mod tests;
