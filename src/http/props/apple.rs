//! Properties of Apple's iCal and CalendarServer namespaces that clients
//! use for a calendar's colour, order and change tag.

use crate::http::error::PropRefusal;

use crate::dav::color::{report_color, store_color};
use crate::dav::xml::{escape, CS, ICAL};
use crate::http::resource::{Kind, Resource};
use crate::store::PropChange;

use super::{declare, text, LiveProp, Write};

declare! { ALL;
    CALENDAR_COLOR = LiveProp {
        ns: ICAL,
        name: "calendar-color",
        // The vdir `color` of an address book too, which clients read here.
        kinds: &[Kind::Calendar, Kind::AddressBook],
        unlisted: &[],
        get: |res, _| {
            Ok(match res {
                Resource::Collection { props, .. } => {
                    props.color.as_deref().map(|c| escape(&report_color(c)).into_owned())
                }
                _ => None,
            })
        },
        write: Write::Always(|el, remove| match text(el, remove) {
            None => Ok(vec![PropChange::Color(None)]),
            Some(t) => store_color(&t)
                .map(|c| vec![PropChange::Color(Some(c))])
                .ok_or(PropRefusal::BadValue),
        }),
    };
    CALENDAR_ORDER = LiveProp {
        ns: ICAL,
        name: "calendar-order",
        kinds: &[Kind::Calendar],
        unlisted: &[],
        get: |res, _| {
            Ok(match res {
                Resource::Collection { props, .. } => props.order().map(|o| o.to_string()),
                _ => None,
            })
        },
        write: Write::Always(|el, remove| match text(el, remove) {
            None => Ok(vec![PropChange::Order(None)]),
            Some(t) => t
                .parse::<i64>()
                .map(|o| vec![PropChange::Order(Some(o))])
                .map_err(|_| PropRefusal::BadValue),
        }),
    };
    GETCTAG = LiveProp {
        ns: CS,
        name: "getctag",
        kinds: &[Kind::Calendar, Kind::AddressBook],
        unlisted: &[],
        get: |res, _| {
            Ok(match res {
                Resource::Collection { cal, .. } => Some(escape(&cal.ctag()?).into_owned()),
                _ => None,
            })
        },
        write: Write::Protected,
    };
}
