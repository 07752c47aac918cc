//! The derived birthday calendar: per user, a read-only calendar named
//! [`BIRTHDAYS`] made from BDAY and ANNIVERSARY of the contacts in all the
//! user's address books (`crate::birthdays` makes each event object).
//!
//! Why a collection of the store and not a special case of the HTTP layer:
//! it is a `Collection` handle whose cell holds an ordinary index and change
//! log, only kept in memory and filled from the address books instead of a
//! directory. So PROPFIND, GET, calendar-query, calendar-multiget,
//! sync-collection and free-busy serve it through the calendar code
//! unchanged, and writes are refused here (`StoreError::Derived`), where
//! every write passes.
//!
//! Rebuilt lazily: each use compares the address books' sync tokens with
//! those it was built from. When one moved, only contacts whose ETag moved
//! are read again, and only events whose bytes changed enter the change log,
//! so an edit that leaves a contact's dates and name alone moves no token.
//! An event's bytes are not kept: a read makes them again from its contact
//! (a few hundred bytes per event, which at 10k contacts is megabytes).
//! Nothing is written to the data or the cache directory: after a restart
//! the log has a new id and clients resync (valid-sync-token), as after a
//! lost cache. A directory named like it in a home is not served while the
//! feature is on (`check` reports it); off, the name is an ordinary one.
//!
//! Locking: the derived cell's lock is taken first, then each address book's
//! in turn; address books never take a derived lock, so there is no cycle.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use parking_lot::Mutex;

use super::changelog::ChangeLog;
use super::derived_state::{Contact, Made};
use super::index::{Index, Name};
use super::registry::{Cell, Collection, CollectionRef, State};
use super::{
    confine, names, CollectionKind, CollectionProps, Etag, FileStamp, ObjectMeta, Result, Store,
    StoreError,
};

/// The reserved name of the birthday calendar in every home.
pub const BIRTHDAYS: &str = "birthdays";
const DISPLAYNAME: &str = "Birthdays";

impl Store {
    /// Turns the per-user birthday calendar on or off (`birthday_calendar`
    /// in the config); call before serving.
    pub fn set_birthday_calendar(&self, on: bool) {
        self.birthdays.store(on, Ordering::Relaxed);
    }

    /// Whether `name` in a home is taken by a derived collection.
    pub fn is_derived_name(&self, name: &str) -> bool {
        name == BIRTHDAYS && self.birthdays.load(Ordering::Relaxed)
    }

    /// Refuses a change of the collection named `name` in a home (create,
    /// delete, move or copy to or from) when that name is a derived one.
    pub fn refuse_derived(&self, name: &str) -> Result<()> {
        if self.is_derived_name(name) {
            Err(StoreError::Derived(name.to_string()))
        } else {
            Ok(())
        }
    }

    /// The derived collections of a home, given whether it holds an address
    /// book: a user without contacts gets no (empty) birthday calendar, so
    /// calendar-only users see only the calendars they made.
    pub(super) fn derived_names(&self, user: &str, has_address_book: bool) -> Vec<String> {
        let on = self.is_derived_name(BIRTHDAYS);
        match self.home_dir(user) {
            Ok(home) if on && has_address_book && confine::is_real_dir(&home) => {
                vec![BIRTHDAYS.to_string()]
            }
            _ => Vec::new(),
        }
    }

    /// A handle on a user's birthday calendar; its cell lives only in memory.
    pub(super) fn derived_collection(self: &Arc<Self>, user: &str) -> Result<Collection> {
        let listed = self.collection_names(user)?;
        if !listed.iter().any(|(name, _)| name == BIRTHDAYS) {
            return Err(StoreError::NotFound);
        }
        let cell = self
            .derived
            .lock()
            .entry(user.to_string())
            .or_insert_with(|| {
                Arc::new(Cell {
                    state: Mutex::new(State {
                        index: Index::default(),
                        log: ChangeLog::in_memory(),
                        stale: true,
                        unsaved: false,
                        derived: Some(Box::default()),
                    }),
                    props_logged: Mutex::new(Vec::new()),
                    kind: Mutex::new(None),
                })
            })
            .clone();
        Ok(Collection(Arc::new(CollectionRef {
            user: user.to_string(),
            name: BIRTHDAYS.to_string(),
            kind: CollectionKind::Calendar,
            dir: self.home_dir(user)?.join(BIRTHDAYS),
            cell,
            store: self.clone(),
            derived: true,
            view: None,
        })))
    }

    /// The user's address books, each as a handle.
    fn address_books(self: &Arc<Self>, user: &str) -> Result<Vec<Collection>> {
        Ok(self
            .collection_names(user)?
            .into_iter()
            .filter(|(_, kind)| *kind == CollectionKind::AddressBook)
            .filter_map(|(name, _)| self.collection(user, &name).ok())
            .collect())
    }
}

impl Collection {
    /// Whether this collection is derived from other data, hence read-only.
    pub fn is_derived(&self) -> bool {
        self.derived
    }

    /// Refuses a write into a derived collection, or through a view whose
    /// share grants reading only.
    pub fn refuse_if_derived(&self) -> Result<()> {
        if self.derived {
            return Err(StoreError::Derived(self.name.clone()));
        }
        match &self.view {
            Some(v) if v.access == super::Access::Read => Err(StoreError::Shared(format!(
                "{}/{} is shared with you for reading only",
                v.owner, v.collection
            ))),
            _ => Ok(()),
        }
    }

    /// The share this handle is a view through; None for the user's own.
    pub fn shared_view(&self) -> Option<&super::View> {
        self.view.as_deref()
    }

    /// The properties of a derived calendar: a name and VEVENT only.
    pub(super) fn derived_props(&self) -> CollectionProps {
        CollectionProps::derived(DISPLAYNAME, &["VEVENT"])
    }

    /// The bytes and metadata of one generated event, made again from its
    /// contact. Should the contact have changed since the index was brought
    /// in line (a write between the two locks), the event it gives now is
    /// served, with its own ETag.
    pub(super) fn read_derived(&self, name: &str) -> Result<(Vec<u8>, ObjectMeta)> {
        let state = self.locked()?;
        let meta = state.index.objects.get(name).cloned();
        let origin = state.derived.as_ref().and_then(|d| d.origin.get(name));
        let (Some(mut meta), Some((book, file))) = (meta, origin) else {
            return Err(StoreError::NotFound);
        };
        // Lock order: the derived cell (held) first, then the address book.
        let (bytes, _) = self.store.collection(&self.user, book)?.read(file)?;
        let mut events = events_of(file, &bytes);
        // The event the index knows, or else the contact's event of the
        // same kind (bday/anniversary) as it is now.
        let i = events
            .iter()
            .position(|(m, _)| m.etag == meta.etag)
            .or_else(|| (events.iter()).position(|(m, _)| name.ends_with(m.file_name.as_str())))
            .ok_or(StoreError::NotFound)?;
        let (made, ics) = events.swap_remove(i);
        meta.etag = made.etag;
        meta.stamp.size = made.size;
        Ok((ics, meta))
    }

    /// Brings a derived index in line with the address books when one of
    /// their sync tokens moved; changed events enter the change log.
    pub(super) fn refresh_derived(&self, state: &mut State) -> Result<()> {
        let books = self.store.address_books(&self.user)?;
        let mut sources = Vec::with_capacity(books.len());
        for book in &books {
            sources.push((book.name.clone(), book.sync_token()?));
        }
        let State {
            index,
            log,
            stale,
            derived,
            ..
        } = state;
        let derived = derived.get_or_insert_with(Box::default);
        if !*stale && derived.sources == sources {
            return Ok(());
        }
        // Taken after the tokens: a change in between shows as a token
        // that differs at the next use, and that rebuild costs only it.
        let mut contacts = BTreeMap::new();
        for book in &books {
            for (name, meta) in book.objects()? {
                let key = (Name::from(book.name.as_str()), Name::from(name));
                let contact = match derived.contacts.remove(&key) {
                    Some(c) if c.etag == meta.etag => c,
                    _ => match book.read(&key.1) {
                        Ok((bytes, meta)) => Contact {
                            etag: meta.etag,
                            mtime_ns: meta.stamp.mtime_ns,
                            events: events_of(&key.1, &bytes)
                                .into_iter()
                                .map(|(made, _)| made)
                                .collect(),
                        },
                        // Gone or grown past the bound since it was listed.
                        Err(_) => continue,
                    },
                };
                contacts.insert(key, contact);
            }
        }
        let next = assemble(&contacts);
        let mut changed: Vec<String> = index
            .objects
            .keys()
            .filter(|n| !next.contains_key(n.as_str()))
            .map(|n| n.to_string())
            .collect();
        for name in &changed {
            index.take_object(name);
        }
        for (name, (made, mtime_ns, _)) in &next {
            if index
                .objects
                .get(name.as_str())
                .is_some_and(|o| o.etag == made.etag)
            {
                continue;
            }
            let stamp = FileStamp {
                size: made.size,
                mtime_ns: *mtime_ns,
                ctime_ns: *mtime_ns,
                ino: 0,
            };
            let meta = ObjectMeta {
                etag: made.etag,
                stamp,
                info: made.info.clone(),
                seq: 0,
            };
            index.put_object(name.clone(), meta);
            changed.push(name.clone());
        }
        log.record(&changed, index);
        derived.origin = next
            .into_iter()
            .map(|(name, (_, _, origin))| (Name::from(name), origin))
            .collect();
        derived.contacts = contacts;
        derived.sources = sources;
        *stale = false;
        Ok(())
    }
}

/// The events of one contact file, with their bytes; a contact that yields
/// none (no date, or not a vCard after all) simply has none.
fn events_of(file: &str, bytes: &[u8]) -> Vec<(Made, Vec<u8>)> {
    let stem = file.strip_suffix(".vcf").unwrap_or(file);
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Vec::new();
    };
    let Ok(events) = crate::birthdays::events(stem, text) else {
        return Vec::new();
    };
    events
        .into_iter()
        .filter_map(|e| {
            let bytes = e.ics.into_bytes();
            match crate::ical::inspect(&bytes) {
                Ok(info) => Some((
                    Made {
                        file_name: Name::from(e.file_name),
                        size: bytes.len() as u64,
                        etag: Etag::of_bytes(&bytes),
                        info: (&info).into(),
                    },
                    bytes,
                )),
                Err(err) => {
                    tracing::warn!("birthday event of {file}: {err}");
                    None
                }
            }
        })
        .collect()
}

/// A served event: what is kept of it, its contact's mtime, and that
/// contact (address book, file name).
type Served<'a> = (&'a Made, i64, (Name, Name));

/// Object names for the events of all contacts, in (address book, file)
/// order: a name an earlier address book took gets the book's name as a
/// prefix, and a UID already served (one contact kept in two address books)
/// is served once, so every object has its own name and UID.
fn assemble(contacts: &BTreeMap<(Name, Name), Contact>) -> BTreeMap<String, Served<'_>> {
    let mut next = BTreeMap::new();
    let mut uids = HashSet::new();
    for ((book, file), contact) in contacts {
        for made in contact.events.iter() {
            if !uids.insert(made.info.uid_hash()) {
                continue;
            }
            let mut name = made.file_name.to_string();
            if next.contains_key(&name) {
                name = format!("{book}-{name}");
            }
            if names::check_segment(&name).is_err() || next.contains_key(&name) {
                continue;
            }
            next.insert(name, (made, contact.mtime_ns, (book.clone(), file.clone())));
        }
    }
    next
}
