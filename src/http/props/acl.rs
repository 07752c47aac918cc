//! The RFC 3744 (access control) and RFC 5397 (current principal)
//! properties: who is asking, who owns what, what they may do, which reports
//! a resource answers.

use crate::cardquery::CARDDAV;
use crate::dav::multistatus::element;
use crate::dav::property::PropName;
use crate::dav::xml::{escape, CALDAV, DAV};
use crate::http::resource::{Ctx, Kind, Resource};
use crate::store::Access;

use super::{declare, LiveProp, Write};

/// RFC 6352 §8 and RFC 6578 on address books.
const ADDRESSBOOK_REPORTS: [(&str, &str); 3] = [
    (CARDDAV, "addressbook-multiget"),
    (CARDDAV, "addressbook-query"),
    (DAV, "sync-collection"),
];
const CALENDAR_REPORTS: [(&str, &str); 4] = [
    (CALDAV, "calendar-multiget"),
    (CALDAV, "calendar-query"),
    (CALDAV, "free-busy-query"),
    (DAV, "sync-collection"),
];
/// Principal search (RFC 3744 §9.4, §9.5), on the principal collection and principals.
const PRINCIPAL_REPORTS: [(&str, &str); 2] = [
    (DAV, "principal-property-search"),
    (DAV, "principal-search-property-set"),
];
/// A home is a principal, and a calendar-query there searches its calendars.
const HOME_REPORTS: [(&str, &str); 3] = [
    PRINCIPAL_REPORTS[0],
    PRINCIPAL_REPORTS[1],
    (CALDAV, "calendar-query"),
];

declare! { ALL;
    CURRENT_USER_PRINCIPAL = LiveProp {
        ns: DAV,
        name: "current-user-principal",
        kinds: Kind::ALL,
        unlisted: &[],
        get: |_, ctx| Ok(Some(user_href(ctx, ctx.user))),
        write: Write::Protected,
    };
    CURRENT_USER_PRIVILEGE_SET = LiveProp {
        ns: DAV,
        name: "current-user-privilege-set",
        kinds: Kind::ALL,
        unlisted: &[],
        get: |res, _| {
            Ok(Some(match res {
                Resource::Root => privileges(&["read", "read-current-user-privilege-set"]),
                Resource::Collection { cal, .. } | Resource::Object { cal, .. }
                    if cal.is_derived() =>
                {
                    privileges(&["read", "read-current-user-privilege-set"])
                }
                Resource::Collection { cal, .. } | Resource::Object { cal, .. }
                    if cal.shared_view().is_some_and(|v| v.access == Access::Read) =>
                {
                    privileges(&["read", "read-current-user-privilege-set"])
                }
                // Objects, not the collection's properties: `set_props`.
                Resource::Collection { cal, .. } | Resource::Object { cal, .. }
                    if cal.shared_view().is_some() =>
                {
                    privileges(&[
                        "read",
                        "write-content",
                        "bind",
                        "unbind",
                        "read-current-user-privilege-set",
                    ])
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
        kinds: Kind::ALL,
        unlisted: &[Kind::Object, Kind::Contact],
        get: |_, ctx| Ok(Some(format!("<D:href>{}</D:href>", escape(&ctx.base.root())))),
        write: Write::Protected,
    };
    OWNER = LiveProp {
        ns: DAV,
        name: "owner",
        kinds: &[
            Kind::Home,
            Kind::Calendar,
            Kind::Object,
            Kind::AddressBook,
            Kind::Contact,
        ],
        unlisted: &[],
        get: |res, ctx| {
            Ok(match res {
                Resource::Home { user } => Some(user_href(ctx, user)),
                Resource::Collection { cal, .. } | Resource::Object { cal, .. } => {
                    let owner = cal.shared_view().map_or(cal.user.as_str(), |v| &v.owner);
                    Some(user_href(ctx, owner))
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
        kinds: Kind::ALL,
        unlisted: &[Kind::Object, Kind::Contact],
        get: |res, _| {
            Ok(Some(match res.kind() {
                Kind::Root => reports(&PRINCIPAL_REPORTS),
                Kind::Home => reports(&HOME_REPORTS),
                Kind::AddressBook | Kind::Contact => reports(&ADDRESSBOOK_REPORTS),
                Kind::Calendar | Kind::Object => reports(&CALENDAR_REPORTS),
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

/// Report names by namespace: `element` gives each its prefix, or a local
/// declaration where the namespace has none (CardDAV).
fn reports(list: &[(&str, &str)]) -> String {
    list.iter()
        .map(|(ns, r)| {
            let report = element(&PropName::new(ns, r), "");
            format!("<D:supported-report><D:report>{report}</D:report></D:supported-report>")
        })
        .collect()
}
