//! One calendar object resource, parsed once, with its time zones resolved.
//!
//! The `icalendar` parser borrows from its input, so callers keep the
//! normalised text alive (`let text = normalize(ics)`) and parse from it.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use icalendar::parser::{read_components, Component, Property};

use super::tz::{iana_for, zones_of, FloatingTz, Zone};
use super::value::{parse_date_or_datetime, DateValue};

/// Unfolds continuation lines and ends every line with CRLF. The parser is
/// confused by mixed CRLF/LF input (hand-edited files mix them), and it is
/// only linear on CRLF: on LF-only text each value scans ahead for a CRLF.
/// A leading byte-order mark goes too: every query, span and rendering
/// parses from here, and would otherwise not see the VCALENDAR.
pub(crate) fn normalize(ics: &str) -> String {
    let ics = crate::bom::strip(ics);
    let mut out = String::with_capacity(ics.len() + ics.len() / 16);
    let mut rest = ics;
    while let Some(i) = rest.find(['\r', '\n']) {
        out.push_str(&rest[..i]);
        let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[i + skip..];
        match rest.strip_prefix([' ', '\t']) {
            Some(folded) => rest = folded,
            None => out.push_str("\r\n"),
        }
    }
    out.push_str(rest);
    out
}

/// A parsed VCALENDAR plus the zones its TZIDs refer to.
pub(crate) struct Object<'a> {
    pub props: Vec<Property<'a>>,
    pub comps: Vec<Component<'a>>,
    zones: HashMap<String, Zone>,
    floating: Zone,
    /// Set once any floating or DATE value was resolved (span widening).
    pub used_floating: std::cell::Cell<bool>,
    /// Recurrence steps this object may still take (see `budget`).
    pub steps: std::cell::Cell<u64>,
}

/// A DATE or DATE-TIME property value resolved to UTC.
#[derive(Debug, Clone)]
pub(crate) struct When {
    pub value: DateValue,
    pub zone: Zone,
    pub utc: i64,
}

impl<'a> Object<'a> {
    /// Parses normalised text. `None` when it is not iCalendar at all.
    pub(crate) fn parse(text: &'a str, default_tz: Option<&FloatingTz>) -> Option<Object<'a>> {
        // Stored objects passed this already; every public entry point that
        // parses (span, matches, render, free-busy) is bounded all the same.
        super::prescan(text).ok()?;
        Self::from_roots(read_components(text).ok()?, default_tz)
    }

    /// Builds the object from a parse already made of normalised, prescanned
    /// text, so validation and indexing share one parse of each file.
    pub(crate) fn from_roots(
        mut roots: Vec<Component<'a>>,
        default_tz: Option<&FloatingTz>,
    ) -> Option<Object<'a>> {
        if roots.is_empty() || !is(roots[0].name.as_str(), "VCALENDAR") {
            return None;
        }
        let cal = roots.swap_remove(0);
        let vtz: Vec<&Component> = cal
            .components
            .iter()
            .filter(|c| is(c.name.as_str(), "VTIMEZONE"))
            .collect();
        let zones = zones_of(&vtz);
        Some(Object {
            props: cal.properties,
            comps: cal.components,
            zones,
            floating: Zone::floating(default_tz),
            used_floating: std::cell::Cell::new(false),
            steps: std::cell::Cell::new(super::budget::OBJECT_STEPS),
        })
    }

    /// The zone named by a TZID parameter; unknown names count as floating.
    fn zone(&self, tzid: Option<&str>) -> (Zone, bool) {
        match tzid {
            None => (self.floating.clone(), true),
            Some(id) => {
                let id = id.trim_matches('"');
                if let Some(z) = self.zones.get(id) {
                    (z.clone(), false)
                } else if let Some(tz) = iana_for(id) {
                    (Zone::Iana(tz), false)
                } else {
                    (self.floating.clone(), true)
                }
            }
        }
    }

    /// Takes one recurrence step; false when the object has none left.
    pub(crate) fn step(&self) -> bool {
        let left = self.steps.get();
        self.steps.set(left.saturating_sub(1));
        left > 0
    }

    /// Resolves one DATE/DATE-TIME string written with the given TZID.
    pub(crate) fn when_str(&self, value: &str, tzid: Option<&str>) -> Option<When> {
        let value = parse_date_or_datetime(value)?;
        Some(self.resolve(value, tzid))
    }

    /// Resolves an already parsed value written with the given TZID.
    pub(crate) fn resolve(&self, value: DateValue, tzid: Option<&str>) -> When {
        let (zone, floating) = if value.utc {
            (Zone::Utc, false)
        } else if value.is_date {
            (self.floating.clone(), true)
        } else {
            self.zone(tzid)
        };
        if floating {
            self.used_floating.set(true);
        }
        let utc = zone.to_utc(value.local);
        When { value, zone, utc }
    }

    /// Resolves a single-valued date property (DTSTART, DUE, ...).
    pub(crate) fn when(&self, p: &Property<'_>) -> Option<When> {
        self.when_str(p.val.as_str(), param(p, "TZID"))
    }
}

/// Case-insensitive name comparison (iCalendar names are case-insensitive).
pub(crate) fn is(name: &str, want: &str) -> bool {
    name.eq_ignore_ascii_case(want)
}

/// First property of that name.
pub(crate) fn prop<'c, 'a>(c: &'c Component<'a>, name: &str) -> Option<&'c Property<'a>> {
    c.properties.iter().find(|p| is(p.name.as_str(), name))
}

/// All properties of that name.
pub(crate) fn props<'c, 'a: 'c>(
    c: &'c Component<'a>,
    name: &'c str,
) -> impl Iterator<Item = &'c Property<'a>> + 'c {
    c.properties
        .iter()
        .filter(move |p| is(p.name.as_str(), name))
}

/// Value of a parameter (quotes removed).
pub(crate) fn param<'p>(p: &'p Property<'_>, name: &str) -> Option<&'p str> {
    p.params
        .iter()
        .find(|x| is(x.key.as_str(), name))
        .map(|x| x.val.as_ref().map_or("", |v| v.as_str().trim_matches('"')))
}

/// Adds wall-clock days to a local time (used for nominal durations).
pub(crate) fn add_days(t: NaiveDateTime, days: i64) -> NaiveDateTime {
    t.checked_add_signed(chrono::TimeDelta::days(days))
        .unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_mixed_endings_and_folds() {
        let s = "BEGIN:VCALENDAR\r\nX-A:ab\r\n c\nX-B:d\n\te\nEND:VCALENDAR\r\n";
        assert_eq!(
            normalize(s),
            "BEGIN:VCALENDAR\r\nX-A:abc\r\nX-B:de\r\nEND:VCALENDAR\r\n"
        );
    }

    #[test]
    fn resolves_tzid_utc_and_floating() {
        let text = normalize("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;TZID=Europe/Berlin:20240701T120000\nDTEND:20240701T120000\nDUE:20240701T120000Z\nEND:VEVENT\nEND:VCALENDAR\n");
        let obj = Object::parse(
            &text,
            Some(&crate::ical::FloatingTz::Iana(
                chrono_tz::Tz::America__New_York,
            )),
        )
        .unwrap();
        let ev = &obj.comps[0];
        assert_eq!(
            obj.when(prop(ev, "DTSTART").unwrap()).unwrap().utc,
            1_719_828_000
        );
        let floating = obj.when(prop(ev, "DTEND").unwrap()).unwrap();
        assert!(obj.used_floating.get());
        assert_eq!(floating.utc, 1_719_849_600);
        assert_eq!(
            obj.when(prop(ev, "due").unwrap()).unwrap().utc,
            1_719_835_200
        );
    }
}
