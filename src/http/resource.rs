//! One model for every resource kind, so PROPFIND, PROPPATCH, REPORT and the
//! other methods are written once: a resource knows its href, its kind
//! (which decides its live properties, see `props`) and its dead properties.

use std::sync::Arc;

use crate::dav::href::{Base, DavPath};
use crate::dav::multistatus::PropXml;
use crate::dav::property::PropName;
use crate::store::{Collection, CollectionProps, ObjectMeta, Store, StoreError};

use super::error::{DavError, DavResult};
use super::props;

pub enum Resource {
    Root,
    Home {
        user: String,
    },
    Calendar {
        cal: Collection,
        props: Box<CollectionProps>,
    },
    Object {
        cal: Collection,
        name: String,
        meta: ObjectMeta,
    },
}

/// Per-request facts that property values depend on.
pub struct Ctx<'a> {
    pub user: &'a str,
    pub max_resource_size: u64,
    /// Prefix of the hrefs property values carry.
    pub base: &'a Base,
}

/// What sort of resource a path names; live properties declare the kinds
/// that have them (`props`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Root,
    Home,
    Calendar,
    Object,
}

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

    pub fn calendar(cal: Collection) -> DavResult<Resource> {
        let props = Box::new(cal.props()?);
        Ok(Resource::Calendar { cal, props })
    }

    pub fn href(&self, base: &Base) -> String {
        match self {
            Resource::Root => base.root(),
            Resource::Home { user } => base.home(user),
            Resource::Calendar { cal, .. } => base.calendar(&cal.user, &cal.name),
            Resource::Object { cal, name, .. } => base.object(&cal.user, &cal.name, name),
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Resource::Root => Kind::Root,
            Resource::Home { .. } => Kind::Home,
            Resource::Calendar { .. } => Kind::Calendar,
            Resource::Object { .. } => Kind::Object,
        }
    }

    /// Dead properties as (`{ns}name`, element XML); the store has left out
    /// any a hand edit broke.
    pub fn dead_props(&self) -> Vec<(String, String)> {
        match self {
            // Keys that name live properties (the stored calendar-timezone
            // text) are reported through the live property.
            Resource::Calendar { props, .. } => props
                .dead()
                .iter()
                .filter(|(key, _)| {
                    let name = key.strip_prefix('{').and_then(|k| k.split_once('}'));
                    name.is_none_or(|(ns, n)| props::find(&PropName::new(ns, n)).is_none())
                })
                .cloned()
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A property by name: live value, stored dead value, or None (404).
    pub fn prop(&self, name: &PropName, ctx: &Ctx) -> DavResult<Option<PropXml>> {
        if let Some(live) = props::find(name) {
            return Ok(live
                .value(self, ctx)?
                .map(|v| PropXml::Value(name.clone(), v)));
        }
        if let Resource::Calendar { props, .. } = self {
            return Ok(props
                .dead_value(&name.key())
                .map(|xml| PropXml::Raw(xml.to_string())));
        }
        Ok(None)
    }
}

fn not_found(e: StoreError) -> DavError {
    match e {
        StoreError::InvalidName(_) => DavError::NotFound,
        e => e.into(),
    }
}
