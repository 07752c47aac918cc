//! The kinds of calendar object a resource can hold, as a type: the store
//! indexes it, a calendar's component set accepts or refuses it, and nothing
//! downstream compares component names as strings.

use std::fmt;

/// The one component kind of a calendar object resource (RFC 4791 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComponentKind {
    Event,
    Todo,
    Journal,
    FreeBusy,
}

impl ComponentKind {
    const ALL: [ComponentKind; 4] = [
        ComponentKind::Event,
        ComponentKind::Todo,
        ComponentKind::Journal,
        ComponentKind::FreeBusy,
    ];

    /// The iCalendar component name, upper case as written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::Event => "VEVENT",
            ComponentKind::Todo => "VTODO",
            ComponentKind::Journal => "VJOURNAL",
            ComponentKind::FreeBusy => "VFREEBUSY",
        }
    }

    /// The kind a component name stands for (case-insensitive); `None` for
    /// VTIMEZONE, X- components and anything else that is no object.
    pub fn parse(name: &str) -> Option<ComponentKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for ComponentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ComponentKind;

    #[test]
    fn names_round_trip_and_others_are_refused() {
        for kind in ComponentKind::ALL {
            assert_eq!(ComponentKind::parse(kind.as_str()), Some(kind));
            let lower = kind.as_str().to_ascii_lowercase();
            assert_eq!(ComponentKind::parse(&lower), Some(kind));
        }
        assert_eq!(ComponentKind::parse("VTIMEZONE"), None);
        assert_eq!(ComponentKind::parse("X-THING"), None);
        assert_eq!(ComponentKind::parse(""), None);
    }
}
