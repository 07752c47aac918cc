//! The RFC 4791 (CalDAV) properties of principals, calendars and objects.

use crate::http::error::PropRefusal;

use crate::dav::xml::{escape, escape_ical, Element, CALDAV};
use crate::http::resource::{Kind, Resource};
use crate::store::{CollectionProps, PropChange};

use super::acl::{home_user, user_href};
use super::{declare, description, text, write_description, LiveProp, Write};

/// The components a calendar may be limited to at creation.
const COMPONENTS: [&str; 4] = ["VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY"];

declare! { ALL;
    CALENDAR_HOME_SET = LiveProp {
        ns: CALDAV,
        name: "calendar-home-set",
        kinds: &[Kind::Home],
        unlisted: &[],
        get: |res, ctx| Ok(home_user(res).map(|u| user_href(ctx, u))),
        write: Write::Protected,
    };
    /// RFC 6638 §2.4.1.
    CALENDAR_USER_ADDRESS_SET = LiveProp {
        ns: CALDAV,
        name: "calendar-user-address-set",
        kinds: &[Kind::Home],
        unlisted: &[],
        get: |res, ctx| Ok(home_user(res).map(|u| super::schedule::address_set(ctx, u))),
        write: Write::Protected,
    };
    CALENDAR_DESCRIPTION = LiveProp {
        ns: CALDAV,
        name: "calendar-description",
        kinds: &[Kind::Calendar],
        unlisted: &[],
        get: description,
        write: Write::Always(write_description),
    };
    CALENDAR_TIMEZONE = LiveProp {
        ns: CALDAV,
        name: "calendar-timezone",
        kinds: &[Kind::Calendar],
        unlisted: &[],
        get: |res, _| {
            Ok(match res {
                Resource::Collection { props, .. } => {
                    calendar_timezone(props).map(|t| escape_ical(&t))
                }
                _ => None,
            })
        },
        write: Write::Always(set_timezone),
    };
    SUPPORTED_CALENDAR_COMPONENT_SET = LiveProp {
        ns: CALDAV,
        name: "supported-calendar-component-set",
        kinds: &[Kind::Calendar],
        unlisted: &[],
        get: |res, _| {
            Ok(match res {
                Resource::Collection { props, .. } => Some(
                    props
                        .components()
                        .iter()
                        .map(|c| format!("<C:comp name=\"{}\"/>", escape(c)))
                        .collect(),
                ),
                _ => None,
            })
        },
        write: Write::OnCreate(set_components),
    };
    SUPPORTED_CALENDAR_DATA = LiveProp {
        ns: CALDAV,
        name: "supported-calendar-data",
        kinds: &[Kind::Calendar],
        unlisted: &[],
        get: |_, _| {
            Ok(Some(
                "<C:calendar-data content-type=\"text/calendar\" version=\"2.0\"/>".into(),
            ))
        },
        write: Write::Protected,
    };
    SUPPORTED_COLLATION_SET = LiveProp {
        ns: CALDAV,
        name: "supported-collation-set",
        kinds: &[Kind::Calendar],
        unlisted: &[],
        get: |_, _| {
            Ok(Some(
                "<C:supported-collation>i;ascii-casemap</C:supported-collation><C:supported-collation>i;octet</C:supported-collation>"
                    .into(),
            ))
        },
        write: Write::Protected,
    };
    MAX_RESOURCE_SIZE = LiveProp {
        ns: CALDAV,
        name: "max-resource-size",
        kinds: &[Kind::Calendar],
        unlisted: &[],
        get: |_, ctx| Ok(Some(ctx.max_resource_size.to_string())),
        write: Write::Protected,
    };
    /// RFC 4791 §5.2.9: the bound an organizer's PUT is held to, so that
    /// clients can tell before it is refused.
    MAX_ATTENDEES_PER_INSTANCE = LiveProp {
        ns: CALDAV,
        name: "max-attendees-per-instance",
        kinds: &[Kind::Calendar],
        unlisted: &[],
        get: |_, _| Ok(Some(crate::schedule::implicit::MAX_ATTENDEES.to_string())),
        write: Write::Protected,
    };
    /// The object itself (RFC 4791 §9.6): asked for by name, never by allprop.
    CALENDAR_DATA = LiveProp {
        ns: CALDAV,
        name: "calendar-data",
        kinds: &[Kind::Object],
        unlisted: &[Kind::Object],
        get: |res, _| {
            Ok(match res {
                Resource::Object { cal, name, .. } => {
                    let (bytes, _) = cal.read(name)?;
                    Some(escape_ical(&String::from_utf8_lossy(&bytes)))
                }
                _ => None,
            })
        },
        write: Write::Protected,
    };
}

/// An IANA zone is stored by name; a zone we cannot name is kept verbatim
/// for clients to read back.
fn set_timezone(el: &Element, remove: bool) -> Result<Vec<PropChange>, PropRefusal> {
    let Some(t) = text(el, remove) else {
        return Ok(vec![
            PropChange::Timezone(None),
            PropChange::Dead(text_key(), None),
        ]);
    };
    let zone = crate::ical::read_timezone_value(&t).filter(|v| v.tzid.is_some());
    match zone.map(|v| v.iana) {
        Some(Some(tz)) => Ok(vec![
            PropChange::Timezone(Some(tz.name().to_string())),
            PropChange::Dead(text_key(), None),
        ]),
        Some(None) => Ok(vec![
            PropChange::Timezone(None),
            PropChange::Dead(text_key(), Some(el.to_xml())),
        ]),
        None => Err(PropRefusal::BadValue),
    }
}

/// A calendar may be limited to known components when it is made.
fn set_components(el: &Element, remove: bool) -> Result<Vec<PropChange>, PropRefusal> {
    let comps: Vec<String> = el
        .children_named(CALDAV, "comp")
        .filter_map(|c| c.attr("name"))
        .map(|n| n.to_ascii_uppercase())
        .collect();
    if remove || comps.is_empty() || comps.iter().any(|c| !COMPONENTS.contains(&c.as_str())) {
        Err(PropRefusal::Protected)
    } else {
        Ok(vec![PropChange::Components(Some(comps))])
    }
}

// CALDAV:calendar-timezone is stored as an IANA name in `.calendar.toml`
// (`timezone`); a client's zone without an IANA name is kept verbatim.

/// The dead-property key under which a client's full VTIMEZONE text is kept.
fn text_key() -> String {
    CALENDAR_TIMEZONE.prop_name().key()
}

/// The property value: a VCALENDAR with the VTIMEZONE of the configured
/// IANA zone, else the text of a zone a client set that has no IANA name.
fn calendar_timezone(props: &CollectionProps) -> Option<String> {
    if let Some(tz) = props
        .timezone()
        .and_then(|t| t.parse::<chrono_tz::Tz>().ok())
    {
        return Some(crate::ical::vcalendar_for(tz));
    }
    let stored = props.dead_value(&text_key())?;
    crate::dav::xml::parse(stored.as_bytes())
        .ok()
        .map(|el| el.text)
}
