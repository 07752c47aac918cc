//! Implicit scheduling (RFC 6638 §3): what a client's PUT or DELETE of an
//! event sends. The organizer's writes deliver REQUESTs (and CANCELs) to
//! the attendees, each a message in his inbox and his own copy in his
//! calendar; an attendee's change of his PARTSTAT, or his DELETE, sends a
//! REPLY that updates the organizer's copy, and from it the answers shown
//! in the other local attendees' copies. Only requests of clients come
//! here, never the watcher's findings: a file written on disk (khal, git,
//! a restore from backup) is not an act of its user, may be replayed many
//! times, and must not mail or rewrite other users' calendars by itself.
//!
//! A write is planned before the store is touched (so the organizer's copy
//! is stored with its SCHEDULE-STATUS, and a spoofed ORGANIZER is refused
//! before anything happens), then delivered once the write succeeded.
//! Addresses outside the server go to one [`External`] sender (iMIP plugs
//! in there; until then [`NoExternal`] answers 5.1), and replies that come
//! back by mail are applied with [`Scheduler::deliver_reply`].

mod deliver;

use std::sync::Arc;

use super::addresses::Addresses;
use super::inbox::Inbox;
use super::itip::{self, Facts, Method};
use super::rewrite;
use crate::store::{Collection, Store, StoreError};

/// Where messages for calendar users outside this server go.
pub trait External: Send + Sync {
    /// The SCHEDULE-STATUS written on the organizer's copy for `to`,
    /// before the message is sent.
    fn status(&self, to: &str) -> String;
    /// Sends (or queues) a message; never blocks the request for long.
    fn send(&self, message: &Outgoing);
}

/// An iTIP message for an address outside this server.
pub struct Outgoing<'a> {
    pub method: Method,
    /// The sender's calendar-user address (organizer or replying attendee).
    pub from: &'a str,
    pub to: &'a str,
    /// The iCalendar text with its METHOD.
    pub ics: &'a str,
}

/// No way to reach other servers (iMIP not configured): 5.1, could not
/// complete delivery (RFC 6638 §3.2.9).
pub struct NoExternal;

impl External for NoExternal {
    fn status(&self, _: &str) -> String {
        "5.1".into()
    }
    fn send(&self, _: &Outgoing) {}
}

/// Local deliveries made at once.
const PARALLEL: usize = 8;
/// Most attendees a client's scheduling object may list (RFC 4791
/// max-attendees-per-instance): what a PUT plans, delivers and rewrites
/// stays bounded whatever the object size allows.
pub const MAX_ATTENDEES: usize = 1000;
/// Delivered to a local user (RFC 6638 §3.2.9: 1.2, delivered).
const DELIVERED: &str = "1.2";
/// An address in the server's domain that names no user: 3.7, invalid
/// calendar user.
const INVALID_USER: &str = "3.7";
/// The attendee's object of that UID is organized by someone else: 3.8, no
/// authority (the delivery would be refused).
const NO_AUTHORITY: &str = "3.8";
/// The attendee's calendar could not be read: 5.1, could not complete
/// delivery.
const NOT_DELIVERED: &str = "5.1";

/// Why a write is refused before it is made.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The ORGANIZER is another user of this server, and this is not a copy
    /// of one of that user's events the writer attends.
    #[error("ORGANIZER {0} is another user's address, and this is no copy of an event of theirs you attend")]
    NotOrganizer(String),
    /// More attendees than one scheduling object may have: each is a
    /// delivery, so one PUT must not fan out without bound.
    #[error("{0} ATTENDEEs; a scheduling object may have at most {MAX_ATTENDEES}")]
    TooManyAttendees(usize),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a write will send once it is made.
pub enum Plan {
    /// Not a scheduling object of the writer's: nothing to send.
    Nothing,
    /// The organizer's: `body` is what to store (with SCHEDULE-STATUS).
    Organizer {
        body: Option<Vec<u8>>,
        sends: Vec<Delivery>,
        from: String,
        hint: String,
    },
    /// An attendee's answer for an organizer outside the server (iMIP).
    ReplyOutside {
        to: String,
        from: String,
        reply: String,
    },
    /// An attendee's answer for the organizer.
    Reply {
        organizer: String,
        organizer_address: String,
        from: String,
        hint: String,
        reply: String,
    },
}

impl Plan {
    /// The bytes to store instead of the client's, if they differ.
    pub fn body(&self) -> Option<&[u8]> {
        match self {
            Plan::Organizer { body, .. } => body.as_deref(),
            _ => None,
        }
    }
}

/// A user's object of some UID: its calendar, name, text and ETag.
pub type Found = (Collection, String, String, String);

/// One message of the organizer's for one attendee.
pub struct Delivery {
    to: String,
    /// The local user, or None for an address outside.
    user: Option<String>,
    method: Method,
    /// The organizer's event the message is made from.
    text: Arc<String>,
}

/// The scheduling side of the server.
pub struct Scheduler {
    store: Arc<Store>,
    addresses: Arc<Addresses>,
    external: Box<dyn External>,
}

impl Scheduler {
    pub fn new(store: Arc<Store>, addresses: Arc<Addresses>, external: Box<dyn External>) -> Self {
        Scheduler {
            store,
            addresses,
            external,
        }
    }

    fn user_of(&self, address: &str) -> Option<String> {
        self.addresses.user_of(address, |u| self.store.is_user(u))
    }

    fn mine(&self, user: &str, address: &str) -> bool {
        self.addresses
            .of(user)
            .iter()
            .any(|a| itip::same_address(a, address))
    }

    /// Plans `user`'s PUT of `new` over `name` in `cal` (which may hold the
    /// old version). `keep_answers`: the client based its version on one
    /// with the current Schedule-Tag (If-Schedule-Tag-Match), so the
    /// attendees' answers stored since are kept in an organizer's update.
    pub fn plan_put(
        &self,
        user: &str,
        cal: &Collection,
        name: &str,
        new: &[u8],
        keep_answers: bool,
    ) -> Result<Plan, Refusal> {
        let Ok(text) = std::str::from_utf8(new) else {
            return Ok(Plan::Nothing);
        };
        if !itip::may_be_scheduled(text) {
            return Ok(Plan::Nothing);
        }
        let f = itip::facts(text);
        let Some(org) = f.organizer.clone() else {
            return Ok(Plan::Nothing);
        };
        let old = self.old_text(cal, name);
        if self.mine(user, &org) {
            // Only the organizer's write fans out; an attendee may keep a
            // copy of a large event organized elsewhere.
            if f.attendees.len() > MAX_ATTENDEES {
                return Err(Refusal::TooManyAttendees(f.attendees.len()));
            }
            let merged = match (&old, keep_answers) {
                (Some(stored), true) => itip::keep_answers(text, stored, |a| !self.mine(user, a)),
                _ => text.to_string(),
            };
            return Ok(self.plan_organizer(user, &merged, new, &f, old.as_deref(), name));
        }
        let Some(organizer) = self.user_of(&org).filter(|o| o != user) else {
            return Ok(self.plan_outside_reply(user, &f, old.as_deref(), text, None));
        };
        let refuse = || Refusal::NotOrganizer(org.clone());
        let me = f
            .attendees
            .iter()
            .find(|a| self.mine(user, &a.address))
            .ok_or_else(refuse)?;
        let (_, _, org_text, _) = self
            .find_copy(&organizer, &f.uid, name)?
            .filter(|(_, _, t, _)| organized_by(t, &org))
            .ok_or_else(refuse)?;
        let listed = itip::facts(&org_text);
        let before = old
            .as_deref()
            .map(itip::facts)
            .and_then(|o| o.attendee(&me.address).map(|a| a.partstat.clone()))
            .or_else(|| listed.attendee(&me.address).map(|a| a.partstat.clone()))
            .ok_or_else(refuse)?;
        if !me.by_server || !f.organizer_by_server || before == me.partstat {
            return Ok(Plan::Nothing);
        }
        Ok(Plan::Reply {
            organizer,
            organizer_address: org,
            from: me.address.clone(),
            hint: name.to_string(),
            reply: itip::reply(text, &me.address, None),
        })
    }

    /// Plans `user`'s DELETE of `name` in `cal`: the organizer cancels, an
    /// attendee declines.
    pub fn plan_delete(&self, user: &str, cal: &Collection, name: &str) -> Plan {
        let Some(text) = self.old_text(cal, name) else {
            return Plan::Nothing;
        };
        let f = itip::facts(&text);
        let Some(org) = f.organizer.clone() else {
            return Plan::Nothing;
        };
        if self.mine(user, &org) {
            if !f.organizer_by_server {
                return Plan::Nothing;
            }
            let text = Arc::new(text);
            let mut sends: Vec<Delivery> = Vec::new();
            for a in f.attendees.iter().filter(|a| a.by_server) {
                let local = self.user_of(&a.address);
                // Once per user, whichever of his addresses names him.
                if self.mine(user, &a.address)
                    || local.is_some() && sends.iter().any(|s| s.user == local)
                {
                    continue;
                }
                sends.push(Delivery {
                    to: a.address.clone(),
                    user: local,
                    method: Method::Cancel,
                    text: text.clone(),
                });
            }
            return Plan::Organizer {
                body: None,
                sends,
                from: org,
                hint: name.to_string(),
            };
        }
        let Some(organizer) = self.user_of(&org).filter(|o| o != user) else {
            return self.plan_outside_reply(user, &f, Some(&text), &text, Some("DECLINED"));
        };
        match f.attendees.iter().find(|a| self.mine(user, &a.address)) {
            Some(me) if me.by_server && f.organizer_by_server => Plan::Reply {
                organizer,
                organizer_address: org,
                from: me.address.clone(),
                hint: name.to_string(),
                reply: itip::reply(&text, &me.address, Some("DECLINED")),
            },
            _ => Plan::Nothing,
        }
    }

    /// An attendee's answer to an organizer outside the server, by mail:
    /// when his PARTSTAT differs from the one in his stored copy (`old`),
    /// or `partstat` (DECLINED: he deleted it) differs from it. A first PUT
    /// of an event answers nothing: a client uploading existing events (a
    /// new account, a restored backup) would otherwise mail every organizer.
    fn plan_outside_reply(
        &self,
        user: &str,
        f: &Facts,
        old: Option<&str>,
        text: &str,
        partstat: Option<&str>,
    ) -> Plan {
        let Some(org) = f.organizer.as_deref() else {
            return Plan::Nothing;
        };
        // An address of this server's domain that is no user: nobody to tell.
        if self.user_of(org).is_some() || self.addresses.in_domain(org) || !f.organizer_by_server {
            return Plan::Nothing;
        }
        let Some(me) = f.attendees.iter().find(|a| self.mine(user, &a.address)) else {
            return Plan::Nothing;
        };
        let before = old
            .map(itip::facts)
            .and_then(|o| o.attendee(&me.address).map(|a| a.partstat.clone()));
        let now = partstat.map_or(me.partstat.as_str(), |p| p);
        match before {
            Some(b) if me.by_server && b != now => Plan::ReplyOutside {
                to: org.to_string(),
                from: me.address.clone(),
                reply: itip::reply(text, &me.address, partstat),
            },
            _ => Plan::Nothing,
        }
    }

    fn old_text(&self, cal: &Collection, name: &str) -> Option<String> {
        let (bytes, _) = cal.read(name).ok()?;
        String::from_utf8(bytes).ok()
    }

    /// `text` is what to store before statuses (the client's `sent`, or
    /// that with the stored answers kept).
    fn plan_organizer(
        &self,
        user: &str,
        text: &str,
        sent: &[u8],
        f: &Facts,
        old: Option<&str>,
        name: &str,
    ) -> Plan {
        let org = f.organizer.clone().unwrap_or_default();
        if !f.organizer_by_server {
            return Plan::Nothing;
        }
        let old_facts = old.map(itip::facts).unwrap_or_default();
        let changed = old.is_none_or(|o| itip::significant(o) != itip::significant(text));
        let mut statuses = Vec::new();
        let mut sends = Vec::new();
        let new_text = Arc::new(text.to_string());
        for a in &f.attendees {
            if !a.by_server || self.mine(user, &a.address) {
                continue;
            }
            if !changed && old_facts.attendee(&a.address).is_some() {
                continue;
            }
            let local = self.user_of(&a.address);
            // One user named by two of his addresses gets one message.
            if local.is_some() && sends.iter().any(|s: &Delivery| s.user == local) {
                statuses.push((a.address.clone(), DELIVERED.to_string()));
                continue;
            }
            let status = match &local {
                Some(u) => self.local_status(u, &f.uid, name, &org),
                None if self.addresses.in_domain(&a.address) => INVALID_USER.to_string(),
                None => self.external.status(&a.address),
            };
            let refused = local.is_some() && status != DELIVERED;
            if !refused && (local.is_some() || !self.addresses.in_domain(&a.address)) {
                sends.push(Delivery {
                    to: a.address.clone(),
                    user: local,
                    method: Method::Request,
                    text: new_text.clone(),
                });
            }
            statuses.push((a.address.clone(), status));
        }
        // Attendees taken off the event are told it is cancelled for them.
        if let Some(old) = old {
            let old_text = Arc::new(old.to_string());
            let staying: Vec<String> = f
                .attendees
                .iter()
                .filter_map(|a| self.user_of(&a.address))
                .collect();
            for a in &old_facts.attendees {
                if !a.by_server || f.attendee(&a.address).is_some() || self.mine(user, &a.address) {
                    continue;
                }
                let local = self.user_of(&a.address);
                // Still invited under another of his addresses: no cancel.
                if local.as_ref().is_some_and(|u| staying.contains(u)) {
                    continue;
                }
                sends.push(Delivery {
                    to: a.address.clone(),
                    user: local,
                    method: Method::Cancel,
                    text: old_text.clone(),
                });
            }
        }
        let body = if statuses.is_empty() {
            text.as_bytes().to_vec()
        } else {
            itip::set_schedule_status(text, &statuses).into_bytes()
        };
        let body = (body.as_slice() != sent).then_some(body);
        Plan::Organizer {
            body,
            sends,
            from: org,
            hint: name.to_string(),
        }
    }

    /// The SCHEDULE-STATUS of a request to the local `user`: 3.8 when his
    /// object of that UID is another organizer's (`deliver_local` refuses
    /// it), else 1.2. A full inbox does not stop the delivery: his calendar
    /// copy is the invitation, and clients that never empty the inbox
    /// (DAVx5) would otherwise stop being invited at all.
    fn local_status(&self, user: &str, uid: &str, hint: &str, org: &str) -> String {
        match self.find_copy(user, uid, hint) {
            Ok(Some((_, _, mine, _))) if !organized_by(&mine, org) => NO_AUTHORITY.to_string(),
            Ok(_) => DELIVERED.to_string(),
            Err(_) => NOT_DELIVERED.to_string(),
        }
    }
}

/// Whether an event's ORGANIZER is `address`: only the organizer's
/// messages change a copy, and only replies to him change his.
fn organized_by(text: &str, address: &str) -> bool {
    itip::facts(text)
        .organizer
        .is_some_and(|o| itip::same_address(&o, address))
}
