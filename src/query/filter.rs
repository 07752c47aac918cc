//! The CALDAV:filter element (RFC 4791 §9.7) parsed into a typed tree, so
//! malformed filters are rejected once, before any object is looked at.

use crate::dav::xml::{Element, CALDAV};

use crate::dav::text_match::{Dialect, TextMatch};
use crate::ical::value::parse_date_or_datetime;
pub use crate::ical::TimeRange;

pub use super::error::FilterError;

fn invalid(msg: impl Into<String>) -> FilterError {
    FilterError::InvalidFilter(msg.into())
}

/// A parsed calendar-query filter; its root tests the VCALENDAR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub root: CompFilter,
}

/// CALDAV:comp-filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompFilter {
    pub name: String,
    pub test: CompTest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompTest {
    IsNotDefined,
    Match {
        time_range: Option<TimeRange>,
        props: Vec<PropFilter>,
        comps: Vec<CompFilter>,
    },
}

/// CALDAV:prop-filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropFilter {
    pub name: String,
    pub test: PropTest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropTest {
    IsNotDefined,
    Match {
        cond: Option<PropCond>,
        params: Vec<ParamFilter>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropCond {
    TimeRange(TimeRange),
    Text(TextMatch),
}

/// CALDAV:param-filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamFilter {
    pub name: String,
    /// `None` means is-not-defined; `Some(None)` only requires presence.
    pub test: Option<Option<TextMatch>>,
}

impl Filter {
    /// UTC window of a time-range on a component directly below VCALENDAR
    /// (VEVENT, VTODO, VJOURNAL, VFREEBUSY). All sibling comp-filters must
    /// match, so any one of them bounds the result; `None` when none has one.
    /// A missing start or end is reported as `i64::MIN` / `i64::MAX`.
    pub fn time_window(&self) -> Option<(i64, i64)> {
        let CompTest::Match { comps, .. } = &self.root.test else {
            return None;
        };
        comps.iter().find_map(|c| match &c.test {
            CompTest::Match {
                time_range: Some(tr),
                ..
            } => Some((tr.start, tr.end)),
            _ => None,
        })
    }
}

/// Parses a CALDAV:filter element's syntax; `query::parse_filter` then
/// checks its shape (`filter_shape`).
pub(super) fn parse(el: &Element) -> Result<Filter, FilterError> {
    if !el.is(CALDAV, "filter") {
        return Err(invalid("expected CALDAV:filter"));
    }
    let mut comps = el.children.iter().filter(|c| c.ns == CALDAV);
    let root = comps
        .next()
        .ok_or_else(|| invalid("filter needs one comp-filter"))?;
    if comps.next().is_some() {
        return Err(invalid("filter must have exactly one comp-filter"));
    }
    let root = comp_filter(root)?;
    if !root.name.eq_ignore_ascii_case("VCALENDAR") {
        return Err(invalid("the top comp-filter must name VCALENDAR"));
    }
    if let CompTest::Match {
        time_range: Some(_),
        ..
    } = root.test
    {
        return Err(invalid("time-range cannot apply to VCALENDAR"));
    }
    Ok(Filter { root })
}

fn name_attr(el: &Element) -> Result<String, FilterError> {
    match el.attr("name").map(str::trim) {
        Some(n) if !n.is_empty() => Ok(n.to_ascii_uppercase()),
        _ => Err(invalid(format!("{} needs a name attribute", el.name))),
    }
}

fn comp_filter(el: &Element) -> Result<CompFilter, FilterError> {
    if !el.is(CALDAV, "comp-filter") {
        return Err(invalid(format!("unexpected element {}", el.name)));
    }
    let name = name_attr(el)?;
    let mut time_range = None;
    let mut props = Vec::new();
    let mut comps = Vec::new();
    let mut not_defined = false;
    for c in el.children.iter().filter(|c| c.ns == CALDAV) {
        match c.name.as_str() {
            "is-not-defined" => not_defined = true,
            "time-range" if time_range.is_none() => time_range = Some(time_range_of(c)?),
            "prop-filter" => props.push(prop_filter(c)?),
            "comp-filter" => comps.push(comp_filter(c)?),
            other => return Err(invalid(format!("unexpected {other} in comp-filter"))),
        }
    }
    let test = if not_defined {
        if time_range.is_some() || !props.is_empty() || !comps.is_empty() {
            return Err(invalid("is-not-defined must be alone"));
        }
        CompTest::IsNotDefined
    } else {
        CompTest::Match {
            time_range,
            props,
            comps,
        }
    };
    Ok(CompFilter { name, test })
}

fn prop_filter(el: &Element) -> Result<PropFilter, FilterError> {
    let name = name_attr(el)?;
    let mut cond = None;
    let mut params = Vec::new();
    let mut not_defined = false;
    for c in el.children.iter().filter(|c| c.ns == CALDAV) {
        match c.name.as_str() {
            "is-not-defined" => not_defined = true,
            "time-range" if cond.is_none() => cond = Some(PropCond::TimeRange(time_range_of(c)?)),
            "text-match" if cond.is_none() => cond = Some(PropCond::Text(text_match(c)?)),
            "param-filter" => params.push(param_filter(c)?),
            other => return Err(invalid(format!("unexpected {other} in prop-filter"))),
        }
    }
    let test = if not_defined {
        if cond.is_some() || !params.is_empty() {
            return Err(invalid("is-not-defined must be alone"));
        }
        PropTest::IsNotDefined
    } else {
        PropTest::Match { cond, params }
    };
    Ok(PropFilter { name, test })
}

fn param_filter(el: &Element) -> Result<ParamFilter, FilterError> {
    let name = name_attr(el)?;
    let mut test = Some(None);
    for c in el.children.iter().filter(|c| c.ns == CALDAV) {
        match c.name.as_str() {
            "is-not-defined" => test = None,
            "text-match" => test = Some(Some(text_match(c)?)),
            other => return Err(invalid(format!("unexpected {other} in param-filter"))),
        }
    }
    Ok(ParamFilter { name, test })
}

fn text_match(el: &Element) -> Result<TextMatch, FilterError> {
    let (collation, negate) = (el.attr("collation"), el.attr("negate-condition"));
    Ok(TextMatch::new(
        Dialect::CalDav,
        &el.text,
        collation,
        negate,
        None,
    )?)
}

/// Parses the start/end attributes of a CALDAV:time-range (UTC date-times).
pub fn time_range_of(el: &Element) -> Result<TimeRange, FilterError> {
    let bound = |name: &str| -> Result<Option<i64>, FilterError> {
        match el.attr(name) {
            None => Ok(None),
            Some(v) => match parse_date_or_datetime(v) {
                Some(d) if !d.is_date && d.utc => Ok(Some(d.local.and_utc().timestamp())),
                _ => Err(invalid(format!("bad time-range {name} {v:?}"))),
            },
        }
    };
    let (start, end) = (bound("start")?, bound("end")?);
    if start.is_none() && end.is_none() {
        return Err(invalid("time-range needs start or end"));
    }
    let tr = TimeRange {
        start: start.unwrap_or(i64::MIN),
        end: end.unwrap_or(i64::MAX),
    };
    if tr.start >= tr.end {
        return Err(invalid("time-range start must be before end"));
    }
    Ok(tr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::tests::filter;

    #[test]
    fn parses_nested_filter() {
        let f = filter(
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
               <C:time-range start="20240101T000000Z" end="20240108T000000Z"/>
               <C:prop-filter name="SUMMARY"><C:text-match collation="i;octet">x</C:text-match></C:prop-filter>
               <C:prop-filter name="ATTENDEE"><C:param-filter name="PARTSTAT"><C:is-not-defined/></C:param-filter></C:prop-filter>
               </C:comp-filter></C:comp-filter>"#,
        )
        .unwrap();
        assert_eq!(f.time_window(), Some((1_704_067_200, 1_704_672_000)));
    }

    #[test]
    fn rejects_bad_filters() {
        let bad = [
            r#"<C:comp-filter name="VEVENT"/>"#,
            r#"<C:comp-filter name="VCALENDAR"><C:time-range start="20240101T000000Z"/></C:comp-filter>"#,
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20240102T000000Z" end="20240101T000000Z"/></C:comp-filter></C:comp-filter>"#,
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="yesterday"/></C:comp-filter></C:comp-filter>"#,
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range/></C:comp-filter></C:comp-filter>"#,
            r#"<C:comp-filter><C:comp-filter name="VEVENT"/></C:comp-filter>"#,
            "",
        ];
        for b in bad {
            assert!(
                matches!(filter(b), Err(FilterError::InvalidFilter(_))),
                "{b}"
            );
        }
        assert!(matches!(
            filter(
                r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match collation="x;y">a</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter>"#
            ),
            Err(FilterError::UnsupportedCollation(_))
        ));
    }
}
