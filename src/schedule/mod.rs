//! RFC 6638 scheduling between the server's users: who has which
//! calendar-user address (`addresses`), the inbox on disk (`inbox`), iTIP
//! messages made from and applied to events (`itip`), and the implicit
//! scheduling of a client's PUT and DELETE (`implicit`). It sits beside
//! `accounts` and `push`: it uses the store and the iCalendar model, and
//! the HTTP layer calls it.

pub mod addresses;
pub mod implicit;
pub mod inbox;
pub mod itip;
mod rewrite;

pub use addresses::Addresses;

use std::sync::Arc;

use crate::ical::ComponentKind;
use crate::store::{CollectionKind, Store, StoreError};

/// The name of the calendar made for a user who has none when an
/// invitation comes.
pub const MADE_CALENDAR: &str = "calendar";

/// The user's default calendar for invitations (RFC 6638 §9.2,
/// schedule-default-calendar-URL): his first own calendar that takes
/// events. None when he has none, unless `create`, which makes one.
pub fn default_calendar(
    store: &Arc<Store>,
    user: &str,
    create: bool,
) -> Result<Option<String>, StoreError> {
    for (name, kind) in store.collection_names(user)? {
        if kind != CollectionKind::Calendar || store.is_derived_name(&name) {
            continue;
        }
        let Ok(cal) = store.collection(user, &name) else {
            continue;
        };
        if cal.props().is_ok_and(|p| p.accepts(ComponentKind::Event)) {
            return Ok(Some(name));
        }
    }
    if !create {
        return Ok(None);
    }
    store.ensure_home(user)?;
    match store.create_calendar(user, MADE_CALENDAR, &[]) {
        Ok(_) | Err(StoreError::AlreadyExists) => Ok(Some(MADE_CALENDAR.to_string())),
        Err(e) => Err(e),
    }
}
