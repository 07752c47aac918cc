//! The RFC 6638 (scheduling) properties of principals: the user's
//! calendar-user addresses and type. The address set itself is declared
//! with the CalDAV principal properties (`caldav`); its value is made here.

use crate::dav::xml::{escape, CALDAV};
use crate::http::error::PropRefusal;
use crate::http::resource::{Ctx, Kind, Resource};
use crate::store::PropChange;

use super::acl::{home_user, user_href};
use super::{declare, LiveProp, Write};

declare! { ALL;
    /// RFC 6638 §9.1: whether a calendar's events count in free-busy
    /// answers (`methods::outbox_freebusy`); kept in `.calendar.toml`.
    SCHEDULE_CALENDAR_TRANSP = LiveProp {
        ns: CALDAV,
        name: "schedule-calendar-transp",
        kinds: &[Kind::Calendar],
        unlisted: &[],
        get: |res, _| {
            Ok(match res {
                Resource::Collection { props, .. } if props.schedule_transparent() => {
                    Some("<C:transparent/>".into())
                }
                Resource::Collection { .. } => Some("<C:opaque/>".into()),
                _ => None,
            })
        },
        write: Write::Always(set_transp),
    };
    /// RFC 6638 §2.4.2: every user of this server is a person.
    CALENDAR_USER_TYPE = LiveProp {
        ns: CALDAV,
        name: "calendar-user-type",
        kinds: &[Kind::Home],
        unlisted: &[],
        get: |res, _| Ok(home_user(res).map(|_| "INDIVIDUAL".to_string())),
        write: Write::Protected,
    };
    /// RFC 6638 §3.2.10: derived from the object's text, asked for by name.
    SCHEDULE_TAG = LiveProp {
        ns: CALDAV,
        name: "schedule-tag",
        kinds: &[Kind::Object],
        unlisted: &[Kind::Object],
        get: |res, _| {
            Ok(match res {
                Resource::Object { cal, name, .. } => {
                    let (bytes, _) = cal.read(name)?;
                    std::str::from_utf8(&bytes)
                        .ok()
                        .and_then(crate::schedule::itip::schedule_tag)
                        .map(|t| escape(&t).into_owned())
                }
                _ => None,
            })
        },
        write: Write::Protected,
    };
    /// RFC 6638 §2.2.1: `/<user>/.inbox/` (`methods::schedule_box`).
    SCHEDULE_INBOX_URL = LiveProp {
        ns: CALDAV,
        name: "schedule-inbox-URL",
        kinds: &[Kind::Home],
        unlisted: &[],
        get: |res, ctx| Ok(home_user(res).map(|u| box_href(ctx, u, crate::schedule::inbox::INBOX_DIR))),
        write: Write::Protected,
    };
    /// RFC 6638 §2.1.1: `/<user>/.outbox/`.
    SCHEDULE_OUTBOX_URL = LiveProp {
        ns: CALDAV,
        name: "schedule-outbox-URL",
        kinds: &[Kind::Home],
        unlisted: &[],
        get: |res, ctx| Ok(home_user(res).map(|u| box_href(ctx, u, crate::schedule::inbox::OUTBOX))),
        write: Write::Protected,
    };
}

/// RFC 6638 §2.4.1: the user's `mailto:` addresses (the domain's first,
/// which clients take as the user's own), then the principal URL.
pub(super) fn address_set(ctx: &Ctx, user: &str) -> String {
    let mut out: String = ctx
        .addresses
        .of(user)
        .iter()
        .map(|a| format!("<D:href>{}</D:href>", escape(a)))
        .collect();
    out.push_str(&user_href(ctx, user));
    out
}

/// `<C:opaque/>` or `<C:transparent/>`; a remove makes it opaque again.
fn set_transp(el: &crate::dav::xml::Element, remove: bool) -> Result<Vec<PropChange>, PropRefusal> {
    let is = |name| el.children_named(CALDAV, name).next().is_some();
    match (remove, is("transparent"), is("opaque")) {
        (true, ..) | (false, false, true) => Ok(vec![PropChange::ScheduleTransparent(false)]),
        (false, true, false) => Ok(vec![PropChange::ScheduleTransparent(true)]),
        _ => Err(PropRefusal::BadValue),
    }
}

fn box_href(ctx: &Ctx, user: &str, name: &str) -> String {
    format!(
        "<D:href>{}</D:href>",
        escape(&ctx.base.collection(user, name))
    )
}
