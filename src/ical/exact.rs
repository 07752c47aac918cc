//! The one instance of a single, non-recurring object, kept in a few bytes
//! beside its [`Span`] so that the index can answer a plain time-range query
//! without parsing the object again (the query side is `query::decide`).

use super::kind::ComponentKind;
use super::object::{is, prop, Object};
use super::recur::{occurrences, EndKind, Occurrence};
use super::span::Span;

/// The one instance of a non-recurring object, stored relative to its span:
/// the instance starts `lead` seconds after `lo + 1` (alarms may reach
/// before it) and ends at `hi - 1`. Only objects whose instance does not
/// depend on the query (no floating time, no DATE value) have one.
///
/// Packed so that the index entry holding it does not grow (5 bytes fit in
/// the padding of `IndexedInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed)]
pub struct Exact {
    lead: u32,
    end: EndKind,
}

impl Exact {
    /// Text for the saved index: `<lead><N|E|D>` (end: none, explicit, duration).
    pub fn to_text(self) -> String {
        let end = match self.end {
            EndKind::None => 'N',
            EndKind::Explicit => 'E',
            EndKind::Duration => 'D',
        };
        let lead = self.lead;
        format!("{lead}{end}")
    }

    /// Reads [`Exact::to_text`]'s output.
    pub fn parse(text: &str) -> Option<Exact> {
        let end = match text.chars().last()? {
            'N' => EndKind::None,
            'E' => EndKind::Explicit,
            'D' => EndKind::Duration,
            _ => return None,
        };
        let lead = text[..text.len() - 1].parse().ok()?;
        Some(Exact { lead, end })
    }

    /// The instance this fact describes within `span`.
    pub(crate) fn instance(self, span: Span) -> Option<Occurrence> {
        let Span::Bounded(lo, hi) = span else {
            return None;
        };
        let start = lo.checked_add(1)?.checked_add(i64::from(self.lead))?;
        let end = hi.checked_sub(1)?;
        (end >= start).then_some(Occurrence {
            start,
            end,
            all_day: false,
            rid: None,
            src: 0,
            end_kind: self.end,
        })
    }
}

/// The exact instance of a parsed object whose `span` was just computed,
/// when the object is one non-recurring VEVENT, VTODO (with DTSTART) or
/// VJOURNAL with query-independent times and `span` encodes the instance.
pub(crate) fn exact_of(obj: &Object, span: Span) -> Option<Exact> {
    let Span::Bounded(lo, hi) = span else {
        return None;
    };
    let mut kinds = obj
        .comps
        .iter()
        .filter(|c| !is(c.name.as_str(), "VTIMEZONE"));
    let c = kinds.next()?;
    if kinds.next().is_some() {
        return None;
    }
    let kind = ComponentKind::parse(c.name.as_str())?;
    if kind == ComponentKind::FreeBusy || prop(c, "DTSTART").is_none() {
        return None;
    }
    if ["RRULE", "RDATE", "RECURRENCE-ID"]
        .iter()
        .any(|p| prop(c, p).is_some())
    {
        return None;
    }
    let exp = occurrences(obj, &[c], kind.as_str(), i64::MIN / 4, i64::MAX / 4);
    if !exp.complete || obj.used_floating.get() {
        return None;
    }
    let [o] = &exp.items[..] else {
        return None;
    };
    // The span must be exactly the instance, widened by one second, with
    // only alarms reaching before it.
    if o.end < o.start || o.end.checked_add(1)? != hi {
        return None;
    }
    let lead = u32::try_from(o.start.checked_sub(1)?.checked_sub(lo)?).ok()?;
    let exact = Exact {
        lead,
        end: o.end_kind,
    };
    (exact.instance(span).as_ref() == Some(o)).then_some(exact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ical::span_facts;
    use crate::ical::test_cal as cal;

    #[test]
    fn exact_facts_only_for_query_independent_single_instances() {
        let utc = cal("BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nDTEND:20240110T110000Z\nBEGIN:VALARM\nTRIGGER:-PT15M\nACTION:DISPLAY\nEND:VALARM\nEND:VEVENT\n");
        let (span, exact) = span_facts(&utc);
        assert_eq!(
            exact,
            Some(Exact {
                lead: 900,
                end: EndKind::Explicit
            })
        );
        let o = exact.unwrap().instance(span).unwrap();
        assert_eq!((o.start, o.end), (1_704_880_800, 1_704_884_400));
        for not_exact in [
            "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000\nEND:VEVENT\n",
            "BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20240110\nEND:VEVENT\n",
            "BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Nowhere/Else:20240110T100000\nEND:VEVENT\n",
            "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nRRULE:FREQ=DAILY;COUNT=2\nEND:VEVENT\n",
            "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nRDATE:20240112T100000Z\nEND:VEVENT\n",
            "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nBEGIN:VALARM\nTRIGGER;RELATED=END:PT1H\nACTION:DISPLAY\nEND:VALARM\nEND:VEVENT\n",
            "BEGIN:VTODO\nUID:a\nDUE:20240110T100000Z\nEND:VTODO\n",
            "BEGIN:VFREEBUSY\nUID:a\nDTSTART:20240110T100000Z\nDTEND:20240110T110000Z\nEND:VFREEBUSY\n",
        ] {
            assert_eq!(span_facts(&cal(not_exact)).1, None, "{not_exact}");
        }
    }

    #[test]
    fn text_round_trip() {
        for e in [
            Exact {
                lead: 0,
                end: EndKind::None,
            },
            Exact {
                lead: u32::MAX,
                end: EndKind::Duration,
            },
        ] {
            assert_eq!(Exact::parse(&e.to_text()), Some(e));
        }
        assert_eq!(Exact::parse("12X"), None);
        assert_eq!(Exact::parse(""), None);
        assert_eq!(std::mem::size_of::<Option<Exact>>(), 5);
    }
}
