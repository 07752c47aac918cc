//! Answering a plain time-range calendar-query from indexed facts alone.
//!
//! Most candidates of a week query are single events whose one instance the
//! index already knows exactly; reading and parsing them again only to apply
//! the RFC 4791 §9.9 overlap rule costs most of the query. This module keeps
//! that instance in a few bytes beside the object's [`Span`] (as [`Exact`])
//! and, for a filter that is nothing but a time-range on one component kind,
//! says include / skip / parse per object, using the very overlap functions
//! the full evaluation uses.

use super::kind::ComponentKind;

use super::caldata::CalendarDataRequest;
use super::filter::{CompTest, Filter, TimeRange};
use super::object::{is, prop, Object};
use super::periodic::{instance_hits, Periodic};
use super::recur::{occurrences, EndKind, Occurrence};
use super::span::Span;
use super::timerange::todo_instance_overlaps;

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
    fn instance(self, span: Span) -> Option<Occurrence> {
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

/// What the index alone says about one object under a [`PlainQuery`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// It matches: return its stored bytes.
    Include,
    /// It does not match: do not read it.
    Skip,
    /// Only reading and evaluating it can tell.
    Parse,
}

/// A calendar-query the index can answer: the filter is exactly
/// `VCALENDAR > comp-filter(kind) > time-range` and calendar-data, if asked
/// for, is the whole object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlainQuery {
    kind: ComponentKind,
    range: TimeRange,
}

impl PlainQuery {
    /// `None` when the query asks for anything beyond a plain time-range.
    pub fn of(filter: &Filter, data: Option<&CalendarDataRequest>) -> Option<PlainQuery> {
        if data.is_some_and(|d| !d.is_identity()) {
            return None;
        }
        let CompTest::Match {
            time_range: None,
            props,
            comps,
        } = &filter.root.test
        else {
            return None;
        };
        let [cf] = &comps[..] else {
            return None;
        };
        if !props.is_empty() {
            return None;
        }
        let CompTest::Match {
            time_range: Some(range),
            props,
            comps,
        } = &cf.test
        else {
            return None;
        };
        if !props.is_empty() || !comps.is_empty() {
            return None;
        }
        Some(PlainQuery {
            kind: ComponentKind::parse(&cf.name)?,
            range: *range,
        })
    }

    /// Decides one valid calendar object from its indexed facts. An object
    /// of another kind has no component the filter names, so it never
    /// matches (a resource holds one kind).
    pub fn decide(
        &self,
        kind: ComponentKind,
        span: Span,
        exact: Option<Exact>,
        periodic: Option<&Periodic>,
    ) -> Decision {
        if kind != self.kind {
            return Decision::Skip;
        }
        if let Some(p) = periodic {
            return match p.decide(&self.range) {
                Some(true) => Decision::Include,
                Some(false) => Decision::Skip,
                None => Decision::Parse,
            };
        }
        let Some(o) = exact.and_then(|e| e.instance(span)) else {
            return Decision::Parse;
        };
        let tr = &self.range;
        // The same window `components_overlap` expands in, then its rule.
        let near = o.start <= tr.end && o.end >= tr.start.saturating_sub(1);
        let hit = match kind {
            ComponentKind::Todo => near && todo_instance_overlaps(&o, tr),
            _ => instance_hits(&o, tr),
        };
        if hit {
            Decision::Include
        } else {
            Decision::Skip
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::filter::tests::filter;
    use crate::query::tests::cal;
    use crate::query::{matches, span_facts};

    const EVENT_FILTER: &str = r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{S}" end="{E}"/></C:comp-filter></C:comp-filter>"#;

    fn plain(kind: &str, start: &str, end: &str) -> (Filter, PlainQuery) {
        let xml = EVENT_FILTER
            .replace("VEVENT", kind)
            .replace("{S}", start)
            .replace("{E}", end);
        let f = filter(&xml).unwrap();
        let q = PlainQuery::of(&f, None).unwrap();
        (f, q)
    }

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

    #[test]
    fn only_plain_time_ranges_with_whole_data() {
        let (f, _) = plain("VEVENT", "20240110T100000Z", "20240110T110000Z");
        let expand = CalendarDataRequest {
            expand: f.time_window().map(|(start, end)| TimeRange { start, end }),
            ..Default::default()
        };
        assert!(PlainQuery::of(&f, Some(&expand)).is_none());
        assert!(PlainQuery::of(&f, Some(&CalendarDataRequest::default())).is_some());
        for other in [
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20240110T100000Z"/><C:prop-filter name="SUMMARY"/></C:comp-filter></C:comp-filter>"#,
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter>"#,
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="X-THING"><C:time-range start="20240110T100000Z"/></C:comp-filter></C:comp-filter>"#,
            r#"<C:comp-filter name="VCALENDAR"><C:prop-filter name="VERSION"/><C:comp-filter name="VEVENT"><C:time-range start="20240110T100000Z"/></C:comp-filter></C:comp-filter>"#,
        ] {
            assert!(
                PlainQuery::of(&filter(other).unwrap(), None).is_none(),
                "{other}"
            );
        }
    }

    /// Every decision the index makes agrees with the full evaluation, on
    /// edges of the §9.9 rules (a second before, on and after each bound).
    #[test]
    fn decisions_agree_with_evaluation_on_edges() {
        let objects = [
            "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nDTEND:20240110T110000Z\nEND:VEVENT\n",
            "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nEND:VEVENT\n",
            "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nDURATION:PT0S\nEND:VEVENT\n",
            "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000Z\nDURATION:PT1H\nBEGIN:VALARM\nTRIGGER:-P1D\nACTION:DISPLAY\nEND:VALARM\nEND:VEVENT\n",
            "BEGIN:VJOURNAL\nUID:a\nDTSTART:20240110T100000Z\nEND:VJOURNAL\n",
            "BEGIN:VTODO\nUID:a\nDTSTART:20240110T100000Z\nDUE:20240110T110000Z\nEND:VTODO\n",
            "BEGIN:VTODO\nUID:a\nDTSTART:20240110T100000Z\nDURATION:PT1H\nEND:VTODO\n",
            "BEGIN:VTODO\nUID:a\nDTSTART:20240110T100000Z\nEND:VTODO\n",
            "BEGIN:VTODO\nUID:a\nDTSTART:20240110T100000Z\nDUE:20240110T100000Z\nEND:VTODO\n",
            "BEGIN:VEVENT\nUID:a\nDTSTART:20240110T100000\nDTEND:20240110T110000\nEND:VEVENT\n",
        ];
        let (s, e) = ("20240110T100000Z", "20240110T110000Z");
        let edges = [
            "20240110T095959Z",
            s,
            "20240110T100001Z",
            "20240110T105959Z",
            e,
            "20240110T110001Z",
        ];
        let mut decided = 0;
        for text in objects {
            let ics = cal(text);
            let (span, exact) = span_facts(&ics);
            let ics_kind = crate::ical::inspect(ics.as_bytes()).unwrap().component;
            for kind in ["VEVENT", "VTODO", "VJOURNAL"] {
                for (i, a) in edges.iter().enumerate() {
                    for b in &edges[i + 1..] {
                        let (f, q) = plain(kind, a, b);
                        let want = matches(&ics, &f, None);
                        match q.decide(ics_kind, span, exact, None) {
                            Decision::Parse => {}
                            d => {
                                decided += 1;
                                assert_eq!(d == Decision::Include, want, "{kind} {a}-{b}\n{text}");
                            }
                        }
                    }
                }
            }
        }
        assert!(decided > 300, "{decided}");
    }
}
