//! Whether a parsed calendar-query filter can ever describe iCalendar data
//! (RFC 4791 §7.7, §9.7): a comp-filter for a component where iCalendar
//! never puts it, or a time-range on a component that has no time span, is
//! CALDAV:valid-filter's failure, not a filter that matches nothing.

use super::filter::{CompFilter, CompTest, FilterError};

/// The known components a known component may contain (RFC 5545 §3.6,
/// RFC 7953 for VAVAILABILITY). Names not listed here (X- and other IANA
/// components) are left to match or not; only known misplacements are
/// refused, as CalendarServer does.
const CHILDREN: &[(&str, &[&str])] = &[
    (
        "VCALENDAR",
        &[
            "VEVENT",
            "VTODO",
            "VJOURNAL",
            "VFREEBUSY",
            "VTIMEZONE",
            "VAVAILABILITY",
        ],
    ),
    ("VEVENT", &["VALARM"]),
    ("VTODO", &["VALARM"]),
    ("VJOURNAL", &[]),
    ("VFREEBUSY", &[]),
    ("VTIMEZONE", &["STANDARD", "DAYLIGHT"]),
    ("STANDARD", &[]),
    ("DAYLIGHT", &[]),
    ("VALARM", &[]),
    ("VAVAILABILITY", &["AVAILABLE"]),
    ("AVAILABLE", &[]),
];

/// Known components a time-range cannot apply to: RFC 4791 §9.9 defines
/// it for VEVENT, VTODO, VJOURNAL, VFREEBUSY and VALARM only. A time zone
/// and its observances have onsets, not a span of their own; CalendarServer
/// and sabre/dav refuse these too.
const NO_TIME_RANGE: &[&str] = &["VTIMEZONE", "STANDARD", "DAYLIGHT"];

/// Checks `parent`'s time-range, and every comp-filter below it against
/// its own parent.
pub fn check(parent: &CompFilter) -> Result<(), FilterError> {
    let CompTest::Match {
        time_range, comps, ..
    } = &parent.test
    else {
        return Ok(());
    };
    if time_range.is_some() && NO_TIME_RANGE.contains(&parent.name.as_str()) {
        return Err(FilterError::InvalidFilter(format!(
            "time-range cannot apply to {}",
            parent.name
        )));
    }
    let allowed = CHILDREN
        .iter()
        .find(|(name, _)| *name == parent.name)
        .map(|(_, kids)| *kids);
    for child in comps {
        let known = CHILDREN.iter().any(|(name, _)| *name == child.name);
        if let Some(kids) = allowed.filter(|_| known) {
            if !kids.contains(&child.name.as_str()) {
                return Err(FilterError::InvalidFilter(format!(
                    "{} never occurs inside {}",
                    child.name, parent.name
                )));
            }
        }
        check(child)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::query::tests::filter;
    use crate::query::FilterError;

    fn comps(inner: &str) -> String {
        format!(r#"<C:comp-filter name="VCALENDAR">{inner}</C:comp-filter>"#)
    }

    #[test]
    fn misplaced_components_and_time_ranges_are_invalid() {
        let tr = r#"<C:time-range start="20240101T000000Z" end="20240108T000000Z"/>"#;
        let bad = [
            comps(r#"<C:comp-filter name="VALARM"/>"#),
            comps(r#"<C:comp-filter name="STANDARD"/>"#),
            comps(r#"<C:comp-filter name="VCALENDAR"/>"#),
            comps(r#"<C:comp-filter name="VEVENT"><C:comp-filter name="VTODO"/></C:comp-filter>"#),
            comps(&format!(
                r#"<C:comp-filter name="VTIMEZONE">{tr}</C:comp-filter>"#
            )),
            comps(&format!(
                r#"<C:comp-filter name="VTIMEZONE"><C:comp-filter name="STANDARD">{tr}</C:comp-filter></C:comp-filter>"#
            )),
        ];
        for b in &bad {
            assert!(
                matches!(filter(b), Err(FilterError::InvalidFilter(_))),
                "{b}"
            );
        }
        let good = [
            comps(
                r#"<C:comp-filter name="VTIMEZONE"><C:comp-filter name="DAYLIGHT"/></C:comp-filter>"#,
            ),
            comps(&format!(
                r#"<C:comp-filter name="VTODO"><C:comp-filter name="VALARM">{tr}</C:comp-filter></C:comp-filter>"#
            )),
            comps(
                r#"<C:comp-filter name="X-THING"><C:comp-filter name="VALARM"/></C:comp-filter>"#,
            ),
            comps(r#"<C:comp-filter name="VEVENT"><C:comp-filter name="X-PART"/></C:comp-filter>"#),
            comps(r#"<C:comp-filter name="VTIMEZONE"><C:is-not-defined/></C:comp-filter>"#),
        ];
        for g in &good {
            assert!(filter(g).is_ok(), "{g}");
        }
    }
}
