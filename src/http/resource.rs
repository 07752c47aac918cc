//! One model for every resource kind, so PROPFIND, PROPPATCH, REPORT and the
//! other methods are written once: a resource knows its href and its kind
//! (which decides its live properties). The property declarations build on
//! this model (`props`), never the other way round.

use std::sync::Arc;

use crate::dav::href::{Base, DavPath};
use crate::store::names::object_url_name;
use crate::store::{Collection, CollectionKind, CollectionProps, ObjectMeta, Store, StoreError};

use super::error::{DavError, DavResult};

/// What a path names. A calendar and an address book are both a
/// `Collection` (the store handle knows which); their members are `Object`s.
pub enum Resource {
    Root,
    Home {
        user: String,
    },
    Collection {
        cal: Collection,
        props: Box<CollectionProps>,
    },
    Object {
        cal: Collection,
        /// The file name (`store::names`), which `href` turns into the URL name.
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
    /// The push service, for the push properties; None when push is off.
    pub push: Option<&'a crate::push::Push>,
    /// Calendar-user addresses, for the scheduling properties.
    pub addresses: &'a crate::schedule::Addresses,
}

/// What sort of resource a path names; live properties declare the kinds
/// that have them (`props`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Root,
    Home,
    Calendar,
    /// A calendar object resource (`.ics`).
    Object,
    AddressBook,
    /// An address object resource (`.vcf`).
    Contact,
}

impl Kind {
    /// Every kind: for the properties that every resource has.
    pub const ALL: &'static [Kind] = &[
        Kind::Root,
        Kind::Home,
        Kind::Calendar,
        Kind::Object,
        Kind::AddressBook,
        Kind::Contact,
    ];
}

impl Resource {
    /// Looks up what a path names; the caller has checked access.
    pub fn load(store: &Arc<Store>, path: &DavPath) -> DavResult<Resource> {
        Ok(match path {
            DavPath::Root => Resource::Root,
            DavPath::Home { user } => {
                if !store.home_exists(user) {
                    return Err(DavError::MissingHome);
                }
                Resource::Home { user: user.clone() }
            }
            DavPath::Calendar { user, calendar } => {
                Resource::calendar(store.collection(user, calendar)?)?
            }
            DavPath::Object {
                user,
                calendar,
                name,
            } => {
                let cal = store.collection(user, calendar).map_err(not_found)?;
                let file = cal.file_name(name).map_err(not_found)?;
                let meta = cal.meta(&file)?.ok_or(DavError::MissingObject)?;
                Resource::Object {
                    cal,
                    name: file.into_owned(),
                    meta,
                }
            }
        })
    }

    pub fn calendar(cal: Collection) -> DavResult<Resource> {
        let props = Box::new(cal.props()?);
        Ok(Resource::Collection { cal, props })
    }

    pub fn href(&self, base: &Base) -> String {
        match self {
            Resource::Root => base.root(),
            Resource::Home { user } => base.home(user),
            Resource::Collection { cal, .. } => base.calendar(&cal.user, &cal.name),
            Resource::Object { cal, name, .. } => {
                base.object(&cal.user, &cal.name, object_url_name(name))
            }
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Resource::Root => Kind::Root,
            Resource::Home { .. } => Kind::Home,
            Resource::Collection { cal, .. } => match cal.kind() {
                CollectionKind::Calendar => Kind::Calendar,
                CollectionKind::AddressBook => Kind::AddressBook,
            },
            Resource::Object { cal, .. } => match cal.kind() {
                CollectionKind::Calendar => Kind::Object,
                CollectionKind::AddressBook => Kind::Contact,
            },
        }
    }
}

/// A collection that cannot hold the object asked for: the object is missing.
pub(crate) fn not_found(e: StoreError) -> DavError {
    match e {
        StoreError::InvalidName(_) | StoreError::ReservedName { .. } => DavError::MissingObject,
        e => e.into(),
    }
}
