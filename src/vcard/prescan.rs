//! A linear pass over the content lines of a vCard before `calcard` parses
//! it: the same bounds as the iCalendar prescan (`crate::ical::prescan`,
//! whose line reader and splitter it shares), the BEGIN/END envelope of
//! exactly one VCARD without nesting, and the raw values the store needs.

use crate::ical::{split_content_line, LogicalLines, MAX_PROPERTIES};

use super::VcardError;

/// Raw values of the properties `inspect` reports, first occurrence each.
#[derive(Debug, Default)]
pub(super) struct RawFacts {
    pub version: Option<String>,
    pub uid: Option<String>,
    pub bday: Option<String>,
    pub anniversary: Option<String>,
}

/// Checks bounds, controls and the single, unnested VCARD envelope in one
/// pass with memory bounded by one line.
pub(super) fn prescan(text: &str) -> Result<RawFacts, VcardError> {
    let mut facts = RawFacts::default();
    let (mut open, mut cards, mut properties, mut last_line) = (false, 0usize, 0usize, 0usize);
    for (line, l) in LogicalLines::new(text) {
        let l = l.map_err(|e| match e {
            crate::ical::PrescanError::Syntax { line, reason } => {
                VcardError::Syntax { line, reason }
            }
            other => VcardError::Syntax {
                line,
                reason: other.to_string(),
            },
        })?;
        last_line = line;
        let err = |reason: String| VcardError::Syntax { line, reason };
        let prop = split_content_line(&l).map_err(err)?;
        // `item1.EMAIL`: the group prefix does not change what a property is.
        let name = prop.name.rsplit('.').next().unwrap_or_default();
        match name {
            "BEGIN" => {
                let what = prop.value.trim().to_ascii_uppercase();
                if what != "VCARD" {
                    return Err(err(format!("unexpected BEGIN:{what}")));
                }
                if open {
                    return Err(err("a VCARD nested inside a VCARD".into()));
                }
                cards += 1;
                if cards > 1 {
                    return Err(VcardError::NotObjectResource("more than one VCARD".into()));
                }
                open = true;
            }
            "END" => {
                let what = prop.value.trim().to_ascii_uppercase();
                if !open || what != "VCARD" {
                    return Err(err(format!("END:{what} without BEGIN:VCARD")));
                }
                open = false;
            }
            _ if !open => return Err(err("content outside BEGIN:VCARD".into())),
            _ => {
                properties += 1;
                if properties > MAX_PROPERTIES {
                    return Err(err(format!("more than {MAX_PROPERTIES} properties")));
                }
                let slot = match name {
                    "VERSION" => &mut facts.version,
                    "UID" => &mut facts.uid,
                    "BDAY" => &mut facts.bday,
                    "ANNIVERSARY" => &mut facts.anniversary,
                    _ => continue,
                };
                if slot.is_some() && name != "BDAY" && name != "ANNIVERSARY" {
                    return Err(VcardError::NotObjectResource(format!(
                        "{name} occurs twice"
                    )));
                }
                slot.get_or_insert_with(|| prop.value.trim().to_string());
            }
        }
    }
    if last_line == 0 {
        return Err(VcardError::Syntax {
            line: 1,
            reason: "empty body".into(),
        });
    }
    if open {
        return Err(VcardError::Syntax {
            line: last_line,
            reason: "BEGIN:VCARD is never closed".into(),
        });
    }
    Ok(facts)
}
