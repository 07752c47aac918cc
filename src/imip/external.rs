//! The bridge from scheduling to mail: scheduling asks, before it stores
//! the organizer's copy, what SCHEDULE-STATUS an outside attendee gets,
//! and hands over the message once the write is made. Here that is: 1.1
//! when the mail can be queued, 5.3 for an address mail cannot go to, 5.1
//! when the queue is full; sending is queueing, never waiting for the relay.

use crate::schedule::implicit::{External, Outgoing};

use super::{Imip, Method, STATUS_SENT};

impl External for std::sync::Arc<Imip> {
    fn status(&self, to: &str) -> String {
        match self.check(to) {
            Ok(()) => STATUS_SENT.to_string(),
            Err(e) => {
                tracing::warn!("invitation to {to} not mailed: {e}");
                e.schedule_status().to_string()
            }
        }
    }

    fn send(&self, message: &Outgoing) {
        // The sender's CN: the organizer's for REQUEST and CANCEL, the
        // replying attendee's for REPLY.
        let property = match message.method {
            Method::Reply => "ATTENDEE",
            Method::Request | Method::Cancel => "ORGANIZER",
        };
        let out = super::Outgoing {
            method: message.method,
            sender: message.from.to_string(),
            sender_name: super::message::display_name(message.ics, property, message.from),
            recipient: message.to.to_string(),
            itip: message.ics.to_string(),
        };
        if let Err(e) = self.submit(&out) {
            tracing::warn!(
                "{} to {} not mailed: {e}",
                message.method.as_str(),
                message.to
            );
        }
    }
}
