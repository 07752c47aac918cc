//! iMIP (RFC 6047): invitations to and from calendar users outside this
//! server go by mail. Scheduling hands over one iTIP object per outside
//! address ([`Imip::submit`]); it is built into a mail at once, queued
//! durably in the state directory, and sent by a background thread, so a
//! PUT never waits for, or fails because of, the relay. Replies come back
//! through an MTA that pipes them into `davdir imip-receive`.
//!
//! `settings` (the config keys), `message` (the mail and its sender
//! rule), `queue` (the files in the state directory), `sender` (SMTP,
//! retries), `external` (scheduling's `External` sender), `incoming`
//! (reading a reply mail). Beside the store and `schedule` (whose iTIP
//! messages it mails), below `http`: it knows nothing of requests.

pub mod external;
pub mod incoming;
pub mod message;
pub mod queue;
pub mod sender;
pub mod settings;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;

use tokio::sync::Notify;

pub use message::{Method, Outgoing};
pub use settings::Settings;

/// SCHEDULE-STATUS (RFC 6638 §3.2.9) of an attendee whose mail is queued:
/// "1.1: the request was sent".
pub const STATUS_SENT: &str = "1.1";

/// Why an invitation cannot be mailed; each has its SCHEDULE-STATUS.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Build(#[from] message::BuildError),
    #[error(transparent)]
    Queue(#[from] queue::QueueError),
}

impl SubmitError {
    /// 5.3 ("delivery refused") for an address no mail can go to; 5.1
    /// ("could not be delivered") when the queue is full or unwritable.
    pub fn schedule_status(&self) -> &'static str {
        match self {
            SubmitError::Build(message::BuildError::BadAddress(_)) => "5.3",
            SubmitError::Build(_) | SubmitError::Queue(_) => "5.1",
        }
    }
}

/// The running mail service.
pub struct Imip {
    settings: Settings,
    queue: Arc<queue::Queue>,
    wake: Arc<Notify>,
}

impl Imip {
    /// Opens the queue in `state` and starts the sender, which first sends
    /// whatever an earlier run left queued.
    pub fn start(
        settings: Settings,
        state: &Path,
        limits: queue::Limits,
    ) -> std::io::Result<Arc<Imip>> {
        let queue = Arc::new(queue::Queue::open(state, limits)?);
        if !queue.is_empty() {
            tracing::info!(
                "mail queue: {} messages waiting in {}",
                queue.len(),
                queue.path().display()
            );
        }
        let wake = Arc::new(Notify::new());
        sender::spawn(queue.clone(), settings.clone(), wake.clone())?;
        Ok(Arc::new(Imip {
            settings,
            queue,
            wake,
        }))
    }

    /// Whether a mail to the calendar address `to` can be queued now: an
    /// address mail can go to, and room in the queue.
    pub fn check(&self, to: &str) -> Result<(), SubmitError> {
        message::mail_address(to)?;
        self.queue.room()?;
        Ok(())
    }

    /// Builds the mail for `out` and queues it durably; returns at once.
    /// The caller writes [`STATUS_SENT`] on success, else the error's
    /// [`SubmitError::schedule_status`].
    pub fn submit(&self, out: &Outgoing) -> Result<(), SubmitError> {
        let mail = message::build(out, self.settings.from.as_ref())?;
        let envelope = mail.envelope();
        let now = queue::unix_now();
        let meta = queue::Meta {
            from: envelope.from().map(|a| a.to_string()).unwrap_or_default(),
            to: envelope.to().iter().map(|a| a.to_string()).collect(),
            label: format!("{} from {}", out.method.as_str(), out.sender),
            queued: now,
            tries: 0,
            next: now,
        };
        let name = self.queue.add(meta, &mail.formatted())?;
        tracing::debug!("mail queue: {name} queued");
        self.wake.notify_one();
        Ok(())
    }

    /// Messages waiting to be sent (or retried).
    pub fn queued(&self) -> usize {
        self.queue.len()
    }
}
