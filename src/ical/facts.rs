//! What the index keeps of an object's times: its [`Span`], and beside it
//! the exact instance ([`Exact`]) or the periodic summary ([`Periodic`])
//! that let a plain time-range query be answered without parsing. It sits
//! above the three so that none of them needs the others' summaries.

use icalendar::parser::Component;

use super::exact::{exact_of, Exact};
use super::object::{normalize, Object};
use super::periodic::{periodic_of, Periodic};
use super::span::{span_of, Span};

/// The span and, when the object is a single query-independent instance,
/// that instance exactly (see [`Exact`]), from one parse.
pub fn span_facts(ics: &str) -> (Span, Option<Exact>) {
    let f = facts(ics);
    (f.span, f.exact)
}

/// What the index keeps of an object's times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub span: Span,
    /// Its one instance, when it has exactly one (see [`Exact`]).
    pub exact: Option<Exact>,
    /// Its instances as a period, when it recurs simply (see [`Periodic`]).
    pub periodic: Option<Box<Periodic>>,
}

/// Span, exact instance and periodic summary from one parse; an unbounded
/// rule's summary is checked around the current time.
pub fn facts(ics: &str) -> Facts {
    facts_at(ics, now())
}

/// The current time in UTC seconds, where unbounded rules are summarised.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// [`facts`] as if the time were `now` (UTC seconds).
pub fn facts_at(ics: &str, now: i64) -> Facts {
    let text = normalize(ics);
    facts_of(Object::parse(&text, None), now)
}

/// [`facts`] from the roots of a parse the caller already made of
/// normalised, prescanned text: indexing parses each file once.
pub(crate) fn facts_of_parsed(roots: Vec<Component<'_>>) -> Facts {
    facts_of(Object::from_roots(roots, None), now())
}

/// [`facts_at`] of an object already parsed (`None`: not iCalendar at all).
pub(crate) fn facts_of(obj: Option<Object>, now: i64) -> Facts {
    let Some(obj) = obj else {
        return Facts {
            span: Span::Unknown,
            exact: None,
            periodic: None,
        };
    };
    let span = span_of(&obj);
    let exact = exact_of(&obj, span);
    let periodic = match exact {
        Some(_) => None,
        None => periodic_of(&obj, span, now).map(Box::new),
    };
    Facts {
        span,
        exact,
        periodic,
    }
}
