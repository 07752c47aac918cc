//! The CalendarServer sharing properties (`methods::share`): who a
//! collection is shared with (`CS:invite`), whether it may be shared, and on
//! a sharee's view the owner's URL. Why computed, never stored: the
//! `[share]` table of the owner's settings file is the one record of a
//! share, and every share is accepted at once.

use crate::dav::xml::{escape, CS};
use crate::http::error::DavResult;
use crate::http::resource::{Ctx, Kind, Resource};
use crate::store::{Access, Collection};

use super::acl::user_href;
use super::{declare, LiveProp, Write};

declare! { ALL;
    INVITE = LiveProp {
        ns: CS,
        name: "invite",
        kinds: &[Kind::Calendar, Kind::AddressBook],
        unlisted: &[],
        get: |res, ctx| match res {
            Resource::Collection { cal, .. } => invite(cal, ctx),
            _ => Ok(None),
        },
        write: Write::Protected,
    };
    /// A view offers no mode: only the owner shares.
    ALLOWED_SHARING_MODES = LiveProp {
        ns: CS,
        name: "allowed-sharing-modes",
        kinds: &[Kind::Calendar, Kind::AddressBook],
        unlisted: &[],
        get: |res, _| {
            Ok(match res {
                Resource::Collection { cal, .. } => Some(
                    if cal.shared_view().is_none() && !cal.is_derived() {
                        "<CS:can-be-shared/>".to_string()
                    } else {
                        String::new()
                    },
                ),
                _ => None,
            })
        },
        write: Write::Protected,
    };
    /// On a view: the owner's collection.
    SHARED_URL = LiveProp {
        ns: CS,
        name: "shared-url",
        kinds: &[Kind::Calendar, Kind::AddressBook],
        unlisted: &[],
        get: |res, ctx| {
            Ok(match res {
                Resource::Collection { cal, .. } => cal.shared_view().map(|v| {
                    let url = ctx.base.collection(&v.owner, &v.collection);
                    format!("<D:href>{}</D:href>", escape(&url))
                }),
                _ => None,
            })
        },
        write: Write::Protected,
    };
}

/// What `DAV:resourcetype` adds for sharing: `CS:shared` on a view,
/// `CS:shared-owner` on the owner's collection while it is shared.
pub(super) fn resourcetype_mark(res: &Resource) -> DavResult<&'static str> {
    Ok(match res {
        Resource::Collection { cal, .. } if cal.shared_view().is_some() => "<CS:shared/>",
        Resource::Collection { cal, .. } if !cal.is_derived() && !cal.sharees()?.is_empty() => {
            "<CS:shared-owner/>"
        }
        _ => "",
    })
}

/// Each sharee with his access, accepted (a share is accepted at once);
/// on a view, the owner first as organizer. None for a collection shared
/// with nobody.
fn invite(cal: &Collection, ctx: &Ctx) -> DavResult<Option<String>> {
    let sharees = cal.sharees()?;
    if sharees.is_empty() {
        return Ok(None);
    }
    let mut out = String::new();
    if let Some(view) = cal.shared_view() {
        out.push_str(&format!(
            "<CS:organizer>{}<CS:common-name>{}</CS:common-name></CS:organizer>",
            user_href(ctx, &view.owner),
            escape(&view.owner)
        ));
    }
    for (sharee, access) in sharees {
        let access = match access {
            Access::Read => "<CS:read/>",
            Access::ReadWrite => "<CS:read-write/>",
        };
        out.push_str(&format!(
            "<CS:user>{}<CS:common-name>{}</CS:common-name><CS:invite-accepted/>\
             <CS:access>{access}</CS:access></CS:user>",
            user_href(ctx, &sharee),
            escape(&sharee)
        ));
    }
    Ok(Some(out))
}
