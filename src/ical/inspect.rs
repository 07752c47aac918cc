//! Validation of one calendar object resource (RFC 4791 §4.1) and extraction
//! of the facts the store indexes.

use icalendar::parser::{read_components, Component, Property};

use super::ComponentKind;
use super::{prescan, PrescanError};

/// What the store keeps about a valid object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub uid: String,
    pub component: ComponentKind,
    /// Where its instances fall in time, for the time-range index.
    pub span: crate::ical::Span,
    /// Its one instance exactly, when queries can be answered from the index.
    pub exact: Option<crate::ical::Exact>,
    /// Its instances as a period, when queries can be answered from that.
    pub periodic: Option<Box<crate::ical::Periodic>>,
}

/// Why a body is not a valid calendar object resource. The variants map onto
/// the RFC 4791 preconditions in the HTTP layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcalError {
    /// → CALDAV:valid-calendar-data
    #[error("line {line}: {reason}")]
    Syntax { line: usize, reason: String },
    /// → CALDAV:valid-calendar-data
    #[error("not UTF-8 text")]
    NotUtf8,
    /// → CALDAV:valid-calendar-data
    #[error("not a VCALENDAR object")]
    NotCalendar,
    /// → CALDAV:valid-calendar-object-resource
    #[error("{0}")]
    NotObjectResource(String),
}

impl From<PrescanError> for IcalError {
    fn from(e: PrescanError) -> Self {
        match e {
            PrescanError::Syntax { line, reason } => IcalError::Syntax { line, reason },
            PrescanError::NotObjectResource(m) => IcalError::NotObjectResource(m),
        }
    }
}

impl IcalError {
    /// Whether the problem is iCalendar syntax (valid-calendar-data) rather
    /// than the one-object-per-resource rules (valid-calendar-object-resource).
    pub fn is_syntax(&self) -> bool {
        !matches!(self, IcalError::NotObjectResource(_))
    }
}

/// The object component kind a name stands for (case-insensitive lookup).
pub fn component_kind(name: &str) -> Option<ComponentKind> {
    ComponentKind::parse(name)
}

/// Checks a body and returns its UID and component kind.
pub fn inspect(bytes: &[u8]) -> Result<ObjectInfo, IcalError> {
    let text = std::str::from_utf8(bytes).map_err(|_| IcalError::NotUtf8)?;
    let text = crate::bom::strip(text);
    // Bounds, pairing and line rules first: the parser below recurses per
    // nested component and is only linear on CRLF-terminated lines.
    prescan(text)?;
    let unfolded = crate::ical::normalize(text);
    let roots = read_components(&unfolded).map_err(|e| syntax_error(&e))?;
    let (uid, kind) = object_identity(&roots)?;
    // The same parse gives the index its time facts.
    let f = crate::ical::facts_of_parsed(roots);
    Ok(ObjectInfo {
        uid,
        component: kind,
        span: f.span,
        exact: f.exact,
        periodic: f.periodic,
    })
}

/// The calendar's properties and components as `read_calendar` splits them:
/// a leading VCALENDAR root is unwrapped, otherwise the roots stand as they are.
fn calendar_parts<'r, 'a>(roots: &'r [Component<'a>]) -> (&'r [Property<'a>], &'r [Component<'a>]) {
    match roots.first() {
        Some(root) if root.name.as_str() == "VCALENDAR" => (&root.properties, &root.components),
        _ => (&[], roots),
    }
}

/// Checks the one-object-per-resource rules and returns the UID and kind.
fn object_identity(roots: &[Component<'_>]) -> Result<(String, ComponentKind), IcalError> {
    let (properties, components) = calendar_parts(roots);
    let roots_ok = properties.iter().any(|p| p.name.as_str() == "VERSION")
        || components.iter().any(|c| c.name.as_str() != "VCALENDAR");
    if !roots_ok {
        return Err(IcalError::NotCalendar);
    }
    if properties.iter().any(|p| p.name.as_str() == "METHOD") {
        return Err(IcalError::NotObjectResource(
            "METHOD is not allowed in a calendar object resource".into(),
        ));
    }
    let mut uid: Option<String> = None;
    let mut kind: Option<ComponentKind> = None;
    for comp in components.iter().filter(|c| c.name.as_str() != "VTIMEZONE") {
        let Some(name) = component_kind(comp.name.as_str()) else {
            let other = comp.name.as_str().to_ascii_uppercase();
            if other.starts_with("X-") {
                continue;
            }
            return Err(IcalError::NotObjectResource(format!(
                "unexpected component {other}"
            )));
        };
        match kind {
            None => kind = Some(name),
            Some(k) if k != name => {
                return Err(IcalError::NotObjectResource(format!(
                    "mixes {k} and {name} in one resource"
                )))
            }
            _ => {}
        }
        let this_uid = component_uid(comp)
            .ok_or_else(|| IcalError::NotObjectResource(format!("{name} without UID")))?;
        match &uid {
            None => uid = Some(this_uid),
            Some(u) if *u != this_uid => {
                return Err(IcalError::NotObjectResource(format!(
                    "more than one UID ({u}, {this_uid})"
                )))
            }
            _ => {}
        }
    }
    match (uid, kind) {
        (Some(uid), Some(component)) => Ok((uid, component)),
        _ => Err(IcalError::NotObjectResource(
            "no VEVENT, VTODO, VJOURNAL or VFREEBUSY component".into(),
        )),
    }
}

fn component_uid(comp: &Component<'_>) -> Option<String> {
    comp.find_prop("UID")
        .map(|p| p.val.as_str().trim().to_string())
        .filter(|u| !u.is_empty())
}

fn syntax_error(message: &str) -> IcalError {
    let line = message
        .split_once("line ")
        .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let reason = message.lines().next().unwrap_or(message).trim().to_string();
    IcalError::Syntax { line, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:a@b\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn accepts_event_and_lf_without_prodid() {
        let info = inspect(EVENT.as_bytes()).unwrap();
        assert_eq!(
            (info.uid.as_str(), info.component),
            ("a@b", ComponentKind::Event)
        );
        assert!(matches!(info.span, crate::ical::Span::Bounded(..)));
        let lf = EVENT
            .replace("\r\n", "\n")
            .replace("PRODID:-//t//t//EN\n", "");
        assert_eq!(inspect(lf.as_bytes()).unwrap().uid, "a@b");
    }

    #[test]
    fn folded_uid() {
        let folded = EVENT.replace("UID:a@b", "UID:a\r\n @b");
        assert_eq!(inspect(folded.as_bytes()).unwrap().uid, "a@b");
    }

    #[test]
    fn override_with_same_uid_is_one_object() {
        let two = EVENT.replace(
            "END:VCALENDAR",
            "BEGIN:VEVENT\r\nUID:a@b\r\nRECURRENCE-ID:20260108T100000Z\r\nDTSTART:20260108T110000Z\r\nEND:VEVENT\r\nEND:VCALENDAR",
        );
        assert!(inspect(two.as_bytes()).is_ok());
    }

    #[test]
    fn rejects_object_rule_violations() {
        let two_uids = EVENT.replace(
            "END:VCALENDAR",
            "BEGIN:VEVENT\r\nUID:other\r\nDTSTART:20260108T110000Z\r\nEND:VEVENT\r\nEND:VCALENDAR",
        );
        assert!(matches!(
            inspect(two_uids.as_bytes()),
            Err(IcalError::NotObjectResource(_))
        ));
        let method = EVENT.replace("VERSION:2.0", "VERSION:2.0\r\nMETHOD:REQUEST");
        assert!(matches!(
            inspect(method.as_bytes()),
            Err(IcalError::NotObjectResource(_))
        ));
        let no_uid = EVENT.replace("UID:a@b\r\n", "");
        assert!(matches!(
            inspect(no_uid.as_bytes()),
            Err(IcalError::NotObjectResource(_))
        ));
    }

    #[test]
    fn rejects_syntax_errors_with_line() {
        let unclosed = EVENT.replace("END:VEVENT\r\n", "");
        let err = inspect(unclosed.as_bytes()).unwrap_err();
        assert!(err.is_syntax(), "{err}");
        assert!(inspect(b"hello").unwrap_err().is_syntax());
        assert!(inspect(b"").unwrap_err().is_syntax());
        let garbage = EVENT.replace("SUMMARY:x", "garbage line");
        assert_eq!(
            inspect(garbage.as_bytes()).unwrap_err(),
            IcalError::Syntax {
                line: 8,
                reason: "content line without ':'".into()
            }
        );
        assert_eq!(inspect(&[0xff, 0xfe]).unwrap_err(), IcalError::NotUtf8);
    }
}
