//! The RFC 4918 properties (and RFC 6578's sync-token) that davdir computes.

use crate::http::error::PropRefusal;

use crate::cardquery::CARDDAV;
use crate::dav::xml::{escape, Element, CALDAV, DAV};
use crate::http::request::VCARD;
use crate::http::resource::{Kind, Resource};
use crate::store::PropChange;

use super::{declare, text, LiveProp, Write};
use std::fmt::Write as _;

declare! { ALL;
    RESOURCETYPE = LiveProp {
        ns: DAV,
        name: "resourcetype",
        kinds: Kind::ALL,
        unlisted: &[],
        get: |res, _| {
            let shared = super::sharing::resourcetype_mark(res)?;
            Ok(Some(match res.kind() {
                Kind::Root => "<D:collection/>".into(),
                Kind::Home => "<D:collection/><D:principal/>".into(),
                Kind::Calendar => format!("<D:collection/><C:calendar/>{shared}"),
                Kind::AddressBook => {
                    format!("<D:collection/><CARD:addressbook/>{shared}")
                }
                Kind::Object | Kind::Contact => String::new(),
            }))
        },
        write: Write::OnCreate(set_resourcetype),
    };
    DISPLAYNAME = LiveProp {
        ns: DAV,
        name: "displayname",
        kinds: &[Kind::Home, Kind::Calendar, Kind::AddressBook],
        unlisted: &[],
        get: |res, _| {
            Ok(match res {
                Resource::Home { user } => Some(escape(user).into_owned()),
                // Absent when the vdir has no displayname file: inventing one from the
                // directory name would make vdirsyncer's metasync see a conflict.
                Resource::Collection { props, .. } => {
                    props.displayname.as_deref().map(|d| escape(d).into_owned())
                }
                _ => None,
            })
        },
        write: Write::Always(|el, remove| Ok(vec![PropChange::DisplayName(text(el, remove))])),
    };
    GETETAG = LiveProp {
        ns: DAV,
        name: "getetag",
        kinds: &[Kind::Calendar, Kind::Object, Kind::AddressBook, Kind::Contact],
        unlisted: &[],
        get: |res, _| {
            // Built in one string: every member of a listing has one.
            let mut v = String::with_capacity(80);
            v.push_str("&quot;");
            match res {
                // Hex digits: nothing to escape.
                Resource::Object { meta, .. } => {
                    let _ = write!(v, "{}", meta.etag);
                }
                Resource::Collection { cal, .. } => v.push_str(&escape(&cal.ctag()?)),
                _ => return Ok(None),
            }
            v.push_str("&quot;");
            Ok(Some(v))
        },
        write: Write::Protected,
    };
    GETCONTENTTYPE = LiveProp {
        ns: DAV,
        name: "getcontenttype",
        kinds: &[Kind::Object, Kind::Contact],
        unlisted: &[],
        get: |res, _| {
            if res.kind() == Kind::Contact {
                return Ok(Some(VCARD.into()));
            }
            Ok(match res {
                Resource::Object { meta, .. } => meta.info.component().map(|c| {
                    format!(
                        "text/calendar; charset=utf-8; component={}",
                        c.as_str().to_ascii_lowercase()
                    )
                }),
                _ => None,
            })
        },
        write: Write::Protected,
    };
    GETCONTENTLENGTH = LiveProp {
        ns: DAV,
        name: "getcontentlength",
        kinds: &[Kind::Object, Kind::Contact],
        unlisted: &[],
        get: |res, _| {
            Ok(match res {
                Resource::Object { meta, .. } => Some(meta.stamp.size.to_string()),
                _ => None,
            })
        },
        write: Write::Protected,
    };
    GETLASTMODIFIED = LiveProp {
        ns: DAV,
        name: "getlastmodified",
        kinds: &[Kind::Object, Kind::Contact],
        unlisted: &[],
        get: |res, _| {
            Ok(match res {
                Resource::Object { meta, .. } => Some(httpdate::fmt_http_date(meta.stamp.mtime())),
                _ => None,
            })
        },
        write: Write::Protected,
    };
    /// RFC 6578 §4.
    SYNC_TOKEN = LiveProp {
        ns: DAV,
        name: "sync-token",
        kinds: &[Kind::Calendar, Kind::AddressBook],
        unlisted: &[],
        get: |res, _| {
            Ok(match res {
                Resource::Collection { cal, .. } => Some(escape(&cal.sync_token()?).into_owned()),
                _ => None,
            })
        },
        write: Write::Protected,
    };
}

/// MKCALENDAR and extended MKCOL may only ask for a calendar or an address
/// book collection; `methods::mkcol` decides which one is made.
fn set_resourcetype(el: &Element, _remove: bool) -> Result<Vec<PropChange>, PropRefusal> {
    let typed =
        el.child(CALDAV, "calendar").is_some() || el.child(CARDDAV, "addressbook").is_some();
    if typed && el.child(DAV, "collection").is_some() {
        Ok(Vec::new())
    } else {
        Err(PropRefusal::Protected)
    }
}
