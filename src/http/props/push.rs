//! The WebDAV-Push discovery properties (draft-bitfire-webdav-push §3) on
//! calendars and address books: DAVx5 reads them with PROPFIND when it
//! refreshes its collections. Absent when push is off.

use crate::dav::xml::{escape, DAV};
use crate::http::resource::{Kind, Resource};
use crate::push::NS;

use super::{declare, LiveProp, Write};

declare! { ALL;
    TRANSPORTS = LiveProp {
        ns: NS,
        name: "transports",
        kinds: &[Kind::Calendar, Kind::AddressBook],
        unlisted: &[],
        get: |res, ctx| {
            Ok(match (res, ctx.push) {
                (Resource::Collection { .. }, Some(push)) => Some(format!(
                    "<web-push xmlns=\"{NS}\"><vapid-public-key type=\"p256ecdsa\">{}</vapid-public-key></web-push>",
                    escape(push.keys.public_key())
                )),
                _ => None,
            })
        },
        write: Write::Protected,
    };
    TOPIC = LiveProp {
        ns: NS,
        name: "topic",
        kinds: &[Kind::Calendar, Kind::AddressBook],
        unlisted: &[],
        get: |res, ctx| {
            Ok(match (res, ctx.push) {
                (Resource::Collection { cal, .. }, Some(push)) if !cal.is_derived() => {
                    Some(escape(&push.topic(&cal.user, &cal.name)).into_owned())
                }
                _ => None,
            })
        },
        write: Write::Protected,
    };
    SUPPORTED_TRIGGERS = LiveProp {
        ns: NS,
        name: "supported-triggers",
        kinds: &[Kind::Calendar, Kind::AddressBook],
        unlisted: &[],
        get: |res, ctx| {
            Ok(match (res, ctx.push) {
                (Resource::Collection { cal, .. }, Some(_)) if !cal.is_derived() => Some(format!(
                    "<content-update xmlns=\"{NS}\"><depth xmlns=\"{DAV}\">1</depth></content-update>"
                )),
                _ => None,
            })
        },
        write: Write::Protected,
    };
}
