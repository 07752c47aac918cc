//! Answering a plain time-range calendar-query from indexed facts alone.
//!
//! Most candidates of a week query are single events whose one instance the
//! index already knows exactly; reading and parsing them again only to apply
//! the RFC 4791 §9.9 overlap rule costs most of the query. The model keeps
//! that instance in a few bytes beside the object's [`Span`] (as [`Exact`]);
//! this module, for a filter that is nothing but a time-range on one component kind,
//! says include / skip / parse per object, using the very overlap functions
//! the full evaluation uses.

use super::caldata::CalendarDataRequest;
use super::filter::{CompTest, Filter};
use crate::ical::exact::Exact;
use crate::ical::kind::ComponentKind;
use crate::ical::periodic::{instance_hits, Periodic};
use crate::ical::span::Span;
use crate::ical::timerange::{todo_instance_overlaps, TimeRange};

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
    use crate::ical::span_facts;
    use crate::query::matches;
    use crate::query::tests::cal;
    use crate::query::tests::filter;

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
