//! One model for every resource kind, so PROPFIND, PROPPATCH, REPORT and the
//! other methods are written once: a resource knows its href, which live
//! properties it has and their values.

use std::sync::Arc;

use crate::dav::href::{self, DavPath};
use crate::dav::multistatus::PropXml;
use crate::dav::property::{Live, PropName};
use crate::dav::xml::{escape, escape_ical};
use crate::store::{Calendar, CalendarProps, ObjectMeta, Store, StoreError};

use super::error::{DavError, DavResult};

pub enum Resource {
    Root,
    Home {
        user: String,
    },
    Calendar {
        cal: Calendar,
        props: Box<CalendarProps>,
    },
    Object {
        cal: Calendar,
        name: String,
        meta: ObjectMeta,
    },
}

/// Per-request facts that property values depend on.
pub struct Ctx<'a> {
    pub user: &'a str,
    pub max_resource_size: u64,
}

const ROOT_PROPS: &[Live] = &[
    Live::ResourceType,
    Live::CurrentUserPrincipal,
    Live::CurrentUserPrivilegeSet,
    Live::PrincipalCollectionSet,
    Live::SupportedReportSet,
];
const HOME_PROPS: &[Live] = &[
    Live::ResourceType,
    Live::DisplayName,
    Live::CurrentUserPrincipal,
    Live::CurrentUserPrivilegeSet,
    Live::PrincipalUrl,
    Live::PrincipalCollectionSet,
    Live::Owner,
    Live::CalendarHomeSet,
    Live::CalendarUserAddressSet,
    Live::SupportedReportSet,
];
const CALENDAR_PROPS: &[Live] = &[
    Live::ResourceType,
    Live::DisplayName,
    Live::GetEtag,
    Live::CurrentUserPrincipal,
    Live::CurrentUserPrivilegeSet,
    Live::PrincipalCollectionSet,
    Live::Owner,
    Live::SupportedReportSet,
    Live::SyncToken,
    Live::CalendarDescription,
    Live::CalendarTimezone,
    Live::SupportedCalendarComponentSet,
    Live::SupportedCalendarData,
    Live::SupportedCollationSet,
    Live::MaxResourceSize,
    Live::CalendarColor,
    Live::CalendarOrder,
    Live::GetCtag,
];
const OBJECT_PROPS: &[Live] = &[
    Live::ResourceType,
    Live::GetEtag,
    Live::GetContentType,
    Live::GetContentLength,
    Live::GetLastModified,
    Live::CurrentUserPrincipal,
    Live::CurrentUserPrivilegeSet,
    Live::Owner,
];

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

impl Resource {
    /// Looks up what a path names; the caller has checked access.
    pub fn load(store: &Arc<Store>, path: &DavPath) -> DavResult<Resource> {
        Ok(match path {
            DavPath::Root => Resource::Root,
            DavPath::Home { user } => {
                if !store.home_exists(user) {
                    return Err(DavError::NotFound);
                }
                Resource::Home { user: user.clone() }
            }
            DavPath::Calendar { user, calendar } => {
                Resource::calendar(store.calendar(user, calendar)?)?
            }
            DavPath::Object {
                user,
                calendar,
                name,
            } => {
                let cal = store.calendar(user, calendar).map_err(not_found)?;
                let meta = cal.meta(name)?.ok_or(DavError::NotFound)?;
                Resource::Object {
                    cal,
                    name: name.clone(),
                    meta,
                }
            }
        })
    }

    pub fn calendar(cal: Calendar) -> DavResult<Resource> {
        let props = Box::new(cal.props()?);
        Ok(Resource::Calendar { cal, props })
    }

    pub fn href(&self) -> String {
        match self {
            Resource::Root => href::root_href(),
            Resource::Home { user } => href::home_href(user),
            Resource::Calendar { cal, .. } => href::calendar_href(&cal.user, &cal.name),
            Resource::Object { cal, name, .. } => href::object_href(&cal.user, &cal.name, name),
        }
    }

    /// Live properties reported for allprop and propname.
    pub fn live_props(&self) -> &'static [Live] {
        match self {
            Resource::Root => ROOT_PROPS,
            Resource::Home { .. } => HOME_PROPS,
            Resource::Calendar { .. } => CALENDAR_PROPS,
            Resource::Object { .. } => OBJECT_PROPS,
        }
    }

    /// Dead properties as (`{ns}name`, element XML).
    pub fn dead_props(&self) -> Vec<(String, String)> {
        match self {
            // Keys that name live properties (the stored calendar-timezone
            // text) are reported through the live property.
            Resource::Calendar { props, .. } => props
                .dead()
                .into_iter()
                .filter(|(key, _)| {
                    let name = key.strip_prefix('{').and_then(|k| k.split_once('}'));
                    name.is_none_or(|(ns, n)| PropName::new(ns, n).live().is_none())
                })
                .filter_map(|(key, xml)| {
                    let xml = self.readable_dead(&key, &xml)?;
                    Some((key, xml))
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A property by name: live value, stored dead value, or None (404).
    pub fn prop(&self, name: &PropName, ctx: &Ctx) -> DavResult<Option<PropXml>> {
        if let Some(live) = name.live() {
            return Ok(self
                .live(live, ctx)?
                .map(|v| PropXml::Value(name.clone(), v)));
        }
        if let Resource::Calendar { props, .. } = self {
            let key = name.key();
            return Ok(props
                .dead_value(&key)
                .and_then(|xml| self.readable_dead(&key, &xml))
                .map(PropXml::Raw));
        }
        Ok(None)
    }

    /// `.calendar.toml` may be hand-edited: a stored dead property goes out
    /// only if it reads back as one element, within the XML bounds, named as
    /// its key; it goes out as re-serialised, so what is sent is well-formed.
    fn readable_dead(&self, key: &str, xml: &str) -> Option<String> {
        let skipped = |why: &dyn std::fmt::Display| {
            tracing::warn!("{}: dead property {key} skipped: {why}", self.href());
            None
        };
        match crate::dav::xml::parse(xml.as_bytes()) {
            Ok(el) if PropName::new(&el.ns, &el.name).key() == key => Some(el.to_xml()),
            Ok(el) => skipped(&format_args!("its element is {{{}}}{}", el.ns, el.name)),
            Err(e) => skipped(&e),
        }
    }

    /// The inner XML of a live property, or None where it is not defined.
    pub fn live(&self, prop: Live, ctx: &Ctx) -> DavResult<Option<String>> {
        let principal = || format!("<D:href>{}</D:href>", escape(&href::home_href(ctx.user)));
        let owner = |user: &str| format!("<D:href>{}</D:href>", escape(&href::home_href(user)));
        Ok(match (prop, self) {
            (Live::ResourceType, Resource::Root) => Some("<D:collection/>".into()),
            (Live::ResourceType, Resource::Home { .. }) => Some("<D:collection/><D:principal/>".into()),
            (Live::ResourceType, Resource::Calendar { .. }) => Some("<D:collection/><C:calendar/>".into()),
            (Live::ResourceType, Resource::Object { .. }) => Some(String::new()),
            (Live::CurrentUserPrincipal, _) => Some(principal()),
            (Live::PrincipalCollectionSet, _) => {
                Some(format!("<D:href>{}</D:href>", escape(&href::root_href())))
            }
            (Live::CurrentUserPrivilegeSet, Resource::Root) => Some(privileges(&["read", "read-current-user-privilege-set"])),
            (Live::CurrentUserPrivilegeSet, _) => Some(privileges(&[
                "read",
                "write",
                "write-properties",
                "write-content",
                "bind",
                "unbind",
                "read-current-user-privilege-set",
                "all",
            ])),
            (Live::DisplayName, Resource::Home { user }) => Some(escape(user).into_owned()),
            // Absent when the vdir has no displayname file: inventing one from the
            // directory name would make vdirsyncer's metasync see a conflict.
            (Live::DisplayName, Resource::Calendar { props, .. }) => {
                props.displayname.as_deref().map(|d| escape(d).into_owned())
            }
            (Live::PrincipalUrl | Live::CalendarHomeSet | Live::CalendarUserAddressSet, Resource::Home { user }) => {
                Some(owner(user))
            }
            (Live::Owner, Resource::Home { user }) => Some(owner(user)),
            (Live::Owner, Resource::Calendar { cal, .. } | Resource::Object { cal, .. }) => Some(owner(&cal.user)),
            (Live::SupportedReportSet, Resource::Root | Resource::Home { .. }) => Some(reports(&PRINCIPAL_REPORTS)),
            (Live::SupportedReportSet, _) => Some(reports(&CALENDAR_REPORTS)),
            (Live::GetEtag, Resource::Object { meta, .. }) => Some(escape(&format!("\"{}\"", meta.etag)).into_owned()),
            (Live::GetEtag, Resource::Calendar { cal, .. }) => Some(escape(&format!("\"{}\"", cal.ctag()?)).into_owned()),
            (Live::GetContentType, Resource::Object { meta, .. }) => Some(format!(
                "text/calendar; charset=utf-8; component={}",
                meta.info.component.as_str().to_ascii_lowercase()
            )),
            (Live::GetContentLength, Resource::Object { meta, .. }) => Some(meta.stamp.size.to_string()),
            (Live::GetLastModified, Resource::Object { meta, .. }) => Some(httpdate::fmt_http_date(meta.stamp.mtime())),
            (Live::SyncToken, Resource::Calendar { cal, .. }) => Some(escape(&cal.sync_token()?).into_owned()),
            (Live::GetCtag, Resource::Calendar { cal, .. }) => Some(escape(&cal.ctag()?).into_owned()),
            (Live::CalendarDescription, Resource::Calendar { props, .. }) => {
                props.description.as_deref().map(|d| escape(d).into_owned())
            }
            (Live::CalendarColor, Resource::Calendar { props, .. }) => {
                props.color.as_deref().map(|c| escape(&report_color(c)).into_owned())
            }
            (Live::CalendarOrder, Resource::Calendar { props, .. }) => props.order().map(|o| o.to_string()),
            (Live::CalendarTimezone, Resource::Calendar { props, .. }) => {
                super::timezone::calendar_timezone(props).map(|t| escape_ical(&t))
            }
            (Live::SupportedCalendarComponentSet, Resource::Calendar { props, .. }) => Some(
                props
                    .components()
                    .iter()
                    .map(|c| format!("<C:comp name=\"{}\"/>", escape(c)))
                    .collect(),
            ),
            (Live::SupportedCalendarData, Resource::Calendar { .. }) => {
                Some("<C:calendar-data content-type=\"text/calendar\" version=\"2.0\"/>".into())
            }
            (Live::SupportedCollationSet, Resource::Calendar { .. }) => Some(
                "<C:supported-collation>i;ascii-casemap</C:supported-collation><C:supported-collation>i;octet</C:supported-collation>"
                    .into(),
            ),
            (Live::MaxResourceSize, Resource::Calendar { .. }) => Some(ctx.max_resource_size.to_string()),
            (Live::CalendarData, Resource::Object { cal, name, .. }) => {
                let (bytes, _) = cal.read(name)?;
                Some(escape_ical(&String::from_utf8_lossy(&bytes)))
            }
            _ => None,
        })
    }
}

fn not_found(e: StoreError) -> DavError {
    match e {
        StoreError::InvalidName(_) => DavError::NotFound,
        e => e.into(),
    }
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

use crate::dav::color::report_color;
