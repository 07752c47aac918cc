//! The RFC 3744 (access control) and RFC 5397 (current principal)
//! properties: who is asking, who owns what, what they may do, which reports
//! a resource answers.

use crate::dav::xml::{escape, DAV};
use crate::http::resource::{Ctx, Kind, Resource};

use super::{declare, LiveProp, Write};

const CALENDAR_REPORTS: [(&str, &str); 4] = [
    ("C", "calendar-multiget"),
    ("C", "calendar-query"),
    ("C", "free-busy-query"),
    ("D", "sync-collection"),
];
/// Principal search (RFC 3744 §9.4, §9.5), on the principal collection and principals.
const PRINCIPAL_REPORTS: [(&str, &str); 2] = [
    ("D", "principal-property-search"),
    ("D", "principal-search-property-set"),
];

declare! { ALL;
    CURRENT_USER_PRINCIPAL = LiveProp {
        ns: DAV,
        name: "current-user-principal",
        kinds: &[Kind::Root, Kind::Home, Kind::Calendar, Kind::Object],
        unlisted: &[],
        get: |_, ctx| Ok(Some(user_href(ctx, ctx.user))),
        write: Write::Protected,
    };
    CURRENT_USER_PRIVILEGE_SET = LiveProp {
        ns: DAV,
        name: "current-user-privilege-set",
        kinds: &[Kind::Root, Kind::Home, Kind::Calendar, Kind::Object],
        unlisted: &[],
        get: |res, _| {
            Ok(Some(match res {
                Resource::Root => privileges(&["read", "read-current-user-privilege-set"]),
                Resource::Collection { cal, .. } | Resource::Object { cal, .. }
                    if cal.is_derived() =>
                {
                    privileges(&["read", "read-current-user-privilege-set"])
                }
                _ => privileges(&[
                    "read",
                    "write",
                    "write-properties",
                    "write-content",
                    "bind",
                    "unbind",
                    "read-current-user-privilege-set",
                    "all",
                ]),
            }))
        },
        write: Write::Protected,
    };
    PRINCIPAL_URL = LiveProp {
        ns: DAV,
        name: "principal-URL",
        kinds: &[Kind::Home],
        unlisted: &[],
        get: |res, ctx| Ok(home_user(res).map(|u| user_href(ctx, u))),
        write: Write::Protected,
    };
    PRINCIPAL_COLLECTION_SET = LiveProp {
        ns: DAV,
        name: "principal-collection-set",
        kinds: &[Kind::Root, Kind::Home, Kind::Calendar, Kind::Object],
        unlisted: &[Kind::Object],
        get: |_, ctx| Ok(Some(format!("<D:href>{}</D:href>", escape(&ctx.base.root())))),
        write: Write::Protected,
    };
    OWNER = LiveProp {
        ns: DAV,
        name: "owner",
        kinds: &[Kind::Home, Kind::Calendar, Kind::Object],
        unlisted: &[],
        get: |res, ctx| {
            Ok(match res {
                Resource::Home { user } => Some(user_href(ctx, user)),
                Resource::Collection { cal, .. } | Resource::Object { cal, .. } => {
                    Some(user_href(ctx, &cal.user))
                }
                Resource::Root => None,
            })
        },
        write: Write::Protected,
    };
    /// RFC 3253 §3.1.5.
    SUPPORTED_REPORT_SET = LiveProp {
        ns: DAV,
        name: "supported-report-set",
        kinds: &[Kind::Root, Kind::Home, Kind::Calendar, Kind::Object],
        unlisted: &[Kind::Object],
        get: |res, _| {
            Ok(Some(match res {
                Resource::Root | Resource::Home { .. } => reports(&PRINCIPAL_REPORTS),
                _ => reports(&CALENDAR_REPORTS),
            }))
        },
        write: Write::Protected,
    };
}

/// The user of a principal (home) resource.
pub(super) fn home_user(res: &Resource) -> Option<&str> {
    match res {
        Resource::Home { user } => Some(user),
        _ => None,
    }
}

/// A user's principal URL as a DAV:href.
pub(super) fn user_href(ctx: &Ctx, user: &str) -> String {
    format!("<D:href>{}</D:href>", escape(&ctx.base.home(user)))
}

fn privileges(names: &[&str]) -> String {
    names
        .iter()
        .map(|p| format!("<D:privilege><D:{p}/></D:privilege>"))
        .collect()
}

fn reports(list: &[(&str, &str)]) -> String {
    list.iter()
        .map(|(p, r)| {
            format!("<D:supported-report><D:report><{p}:{r}/></D:report></D:supported-report>")
        })
        .collect()
}
