//! The CALDAV:calendar-data element of a REPORT (RFC 4791 §9.6): which
//! components and properties to return, and expand / limit options.

use crate::dav::xml::{Element, CALDAV};

use super::filter::{time_range_of, FilterError, TimeRange};

/// Either everything or an explicit list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection<T> {
    All,
    Only(Vec<T>),
}

/// CALDAV:prop inside CALDAV:comp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropSelect {
    pub name: String,
    /// `novalue="yes"`: return the property with an empty value.
    pub novalue: bool,
}

/// CALDAV:comp: a component to return and what of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompSelect {
    pub name: String,
    pub props: Selection<PropSelect>,
    pub comps: Selection<CompSelect>,
}

/// A parsed CALDAV:calendar-data request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarDataRequest {
    /// Partial retrieval; `None` returns every component and property.
    pub comp: Option<CompSelect>,
    pub expand: Option<TimeRange>,
    pub limit_recurrence_set: Option<TimeRange>,
    pub limit_freebusy_set: Option<TimeRange>,
}

impl CalendarDataRequest {
    /// True when the stored object can be returned byte for byte.
    pub fn is_identity(&self) -> bool {
        self.comp.is_none()
            && self.expand.is_none()
            && self.limit_recurrence_set.is_none()
            && self.limit_freebusy_set.is_none()
    }
}

impl CompSelect {
    pub(crate) fn wants_prop(&self, name: &str) -> Option<bool> {
        match &self.props {
            Selection::All => Some(false),
            Selection::Only(list) => list
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(name))
                .map(|p| p.novalue),
        }
    }

    pub(crate) fn sub(&self, name: &str) -> Option<Option<&CompSelect>> {
        match &self.comps {
            Selection::All => Some(None),
            Selection::Only(list) => list
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
                .map(Some),
        }
    }
}

fn invalid(msg: impl Into<String>) -> FilterError {
    FilterError::InvalidFilter(msg.into())
}

/// Parses a CALDAV:calendar-data element from a REPORT's DAV:prop.
pub fn parse_calendar_data(el: &Element) -> Result<CalendarDataRequest, FilterError> {
    let unsupported = FilterError::UnsupportedCalendarData;
    if let Some(ct) = el.attr("content-type") {
        if !ct.trim().eq_ignore_ascii_case("text/calendar") {
            return Err(unsupported(format!("content-type {ct:?}")));
        }
    }
    if let Some(v) = el.attr("version") {
        if v.trim() != "2.0" {
            return Err(unsupported(format!("version {v:?}")));
        }
    }
    let mut req = CalendarDataRequest::default();
    for c in el.children.iter().filter(|c| c.ns == CALDAV) {
        match c.name.as_str() {
            "comp" => req.comp = Some(comp_select(c)?),
            "expand" => req.expand = Some(time_range_of(c)?),
            "limit-recurrence-set" => req.limit_recurrence_set = Some(time_range_of(c)?),
            "limit-freebusy-set" => req.limit_freebusy_set = Some(time_range_of(c)?),
            other => return Err(invalid(format!("unexpected {other} in calendar-data"))),
        }
    }
    if req.expand.is_some() && req.limit_recurrence_set.is_some() {
        return Err(invalid(
            "expand and limit-recurrence-set exclude each other",
        ));
    }
    Ok(req)
}

fn name_of(el: &Element) -> Result<String, FilterError> {
    match el.attr("name").map(str::trim) {
        Some(n) if !n.is_empty() => Ok(n.to_ascii_uppercase()),
        _ => Err(invalid(format!("{} needs a name", el.name))),
    }
}

fn comp_select(el: &Element) -> Result<CompSelect, FilterError> {
    let name = name_of(el)?;
    let kids: Vec<&Element> = el.children.iter().filter(|c| c.ns == CALDAV).collect();
    // An empty CALDAV:comp returns the whole component (RFC 4791 §7.8 example).
    let mut props = Selection::Only(Vec::new());
    let mut comps = Selection::Only(Vec::new());
    if kids.is_empty() {
        props = Selection::All;
        comps = Selection::All;
    }
    for k in kids {
        match (k.name.as_str(), &mut props, &mut comps) {
            ("allprop", p, _) => *p = Selection::All,
            ("allcomp", _, c) => *c = Selection::All,
            ("prop", Selection::Only(list), _) => list.push(PropSelect {
                name: name_of(k)?,
                novalue: k.attr("novalue").is_some_and(|v| v.trim() == "yes"),
            }),
            ("comp", _, Selection::Only(list)) => list.push(comp_select(k)?),
            ("prop", Selection::All, _) | ("comp", _, Selection::All) => {}
            (other, _, _) => return Err(invalid(format!("unexpected {other} in comp"))),
        }
    }
    Ok(CompSelect { name, props, comps })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Parses calendar-data from inner XML (shared with render tests).
    pub(crate) fn request(inner: &str) -> CalendarDataRequest {
        let doc = format!(
            r#"<C:calendar-data xmlns:C="urn:ietf:params:xml:ns:caldav">{inner}</C:calendar-data>"#
        );
        parse_calendar_data(&crate::dav::xml::parse(doc.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn parses_partial_retrieval_and_options() {
        let r = request(
            r#"<C:comp name="VCALENDAR"><C:allprop/><C:comp name="VEVENT"><C:prop name="SUMMARY" novalue="yes"/></C:comp><C:comp name="VTIMEZONE"/></C:comp>
               <C:expand start="20240101T000000Z" end="20240201T000000Z"/>"#,
        );
        let root = r.comp.as_ref().unwrap();
        assert_eq!(root.props, Selection::All);
        let ev = root.sub("VEVENT").unwrap().unwrap();
        assert_eq!(ev.wants_prop("summary"), Some(true));
        assert_eq!(ev.wants_prop("DTSTART"), None);
        assert_eq!(
            root.sub("VTIMEZONE").unwrap().unwrap().comps,
            Selection::All
        );
        assert!(root.sub("VTODO").is_none());
        assert!(r.expand.is_some() && !r.is_identity());
        assert!(request("").is_identity());
    }
}
