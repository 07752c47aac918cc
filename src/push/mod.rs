//! WebDAV-Push (draft-bitfire-webdav-push): phones learn of a change to a
//! calendar or address book within seconds instead of polling. The store
//! tells this service every new sync token, whatever made it (a request,
//! the file watcher, the startup scan), and registered subscriptions get an
//! encrypted `push-message` with it.
//!
//! `keys` (VAPID pair, topic secret), `registrations` (kept in the state
//! directory), `xml` (push-register, push-message), `target` (which push
//! services may be reached), `delivery` (queue, coalescing, retries), `fair`
//! (which delivery goes next). Its HTTP side (POST of a registration, the
//! registration URLs) is one of the methods, `http::methods::push`.

pub mod delivery;
pub mod fair;
pub mod keys;
pub mod registrations;
pub mod target;
pub mod xml;

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::state_dir::StateDir;
use crate::store::Store;

/// The XML namespace of the draft.
pub const NS: &str = "https://bitfire.at/webdav-push";
/// The hidden home segment under which registration URLs live: hidden names
/// are never collections, so these URLs cannot collide with user data.
pub const SEGMENT: &str = ".push";
/// Longest registration a client gets; it re-registers before then.
pub const MAX_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(1000);

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("invalid subscription: {0}")]
    InvalidSubscription(String),
    /// A push-register body not labelled XML: a cross-site form can send
    /// `text/plain` with the user's Basic credentials, never `application/xml`.
    #[error(
        "push-register needs an XML body (Content-Type application/xml or text/xml), not {0:?}"
    )]
    NotXml(String),
    #[error("push-resource refused: {0}")]
    TargetRefused(String),
    #[error("no supported trigger: only content-update is sent")]
    NoSupportedTrigger,
    #[error("push is not available for this resource: {0}")]
    NotAvailable(&'static str),
    #[error("no such push registration")]
    UnknownRegistration,
    #[error("a push registration URL only accepts DELETE")]
    RegistrationMethod,
    #[error("push registrations cannot be saved: {0}")]
    Io(#[from] std::io::Error),
}

/// The push settings of the server's config.
#[derive(Debug, Clone)]
pub struct Settings {
    pub policy: target::TargetPolicy,
    /// At most one message per collection per interval.
    pub interval: Duration,
}

/// The running push service.
pub struct Push {
    pub keys: keys::Keys,
    pub registrations: registrations::Registrations,
    pub policy: Arc<target::TargetPolicy>,
    pub interval: Duration,
    events: mpsc::Sender<delivery::Event>,
}

impl Push {
    /// Loads (or makes) keys and registrations, starts delivery and tells
    /// `store` to report every new sync token here.
    pub fn start(
        store: &Arc<Store>,
        state: &std::path::Path,
        settings: Settings,
    ) -> std::io::Result<Arc<Push>> {
        let state = StateDir::open(state)?;
        let (tx, rx) = mpsc::channel(delivery::QUEUE);
        let push = Arc::new(Push {
            keys: keys::Keys::load_or_create(&state)?,
            registrations: registrations::Registrations::load(state)?,
            policy: Arc::new(settings.policy),
            interval: settings.interval.max(Duration::from_millis(10)),
            events: tx,
        });
        delivery::spawn(push.clone(), rx)?;
        let weak = Arc::downgrade(&push);
        let shares = Arc::downgrade(store);
        store.on_change(Arc::new(
            move |user: &str, collection: &str, token: &str| {
                if let Some(push) = weak.upgrade() {
                    push.changed(user, collection, token);
                    // A view's token is its collection's: its registrations hear too.
                    let sharees = shares.upgrade().map(|s| s.sharees_of(user, collection));
                    for sharee in sharees.unwrap_or_default() {
                        let view = crate::store::view_name(user, collection);
                        push.changed(&sharee, &view, token);
                    }
                }
            },
        ));
        Ok(push)
    }

    /// Hands a new sync token to delivery; never waits (a full queue drops it).
    pub fn changed(&self, user: &str, collection: &str, token: &str) {
        let exclude = DONT_NOTIFY.with(|d| d.borrow().clone()).unwrap_or_default();
        if matches!(exclude, Exclude::Everyone) {
            return;
        }
        let event = delivery::Event {
            user: user.to_string(),
            collection: collection.to_string(),
            token: token.to_string(),
            exclude,
        };
        if self.events.try_send(event).is_err() {
            tracing::warn!("push queue full: a change of {user}/{collection} is not pushed");
        }
    }

    pub fn topic(&self, user: &str, collection: &str) -> String {
        self.keys.topic(user, collection)
    }
}

/// Registrations a request's change must not be pushed to (`Push-Dont-Notify`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Exclude {
    #[default]
    Nobody,
    Everyone,
    /// Registration ids, taken from the URLs the header names.
    Ids(Vec<String>),
}

impl Exclude {
    /// Reads `Push-Dont-Notify: "url", "url"` or `*`.
    pub fn from_header(value: Option<&str>) -> Exclude {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Exclude::Nobody;
        };
        if value == "*" {
            return Exclude::Everyone;
        }
        let ids: Vec<String> = value
            .split(',')
            .take(64)
            .filter_map(|url| {
                let url = url.trim().trim_matches('"').trim_end_matches('/');
                let (rest, id) = url.rsplit_once('/')?;
                rest.ends_with(&format!("/{SEGMENT}"))
                    .then(|| id.to_string())
            })
            .collect();
        if ids.is_empty() {
            Exclude::Nobody
        } else {
            Exclude::Ids(ids)
        }
    }

    pub fn excludes(&self, id: &str) -> bool {
        match self {
            Exclude::Nobody => false,
            Exclude::Everyone => true,
            Exclude::Ids(ids) => ids.iter().any(|i| i == id),
        }
    }
}

thread_local! {
    /// The exclusions of the request this thread is handling: the store
    /// announces a change on the thread that makes it, under its lock.
    static DONT_NOTIFY: RefCell<Option<Exclude>> = const { RefCell::new(None) };
}

/// Runs `f` (a request's handler) with its `Push-Dont-Notify` in force.
pub fn excluding<R>(exclude: Exclude, f: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            DONT_NOTIFY.with(|d| *d.borrow_mut() = None);
        }
    }
    DONT_NOTIFY.with(|d| *d.borrow_mut() = Some(exclude));
    let _reset = Reset;
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dont_notify_header() {
        assert_eq!(Exclude::from_header(None), Exclude::Nobody);
        assert_eq!(Exclude::from_header(Some(" * ")), Exclude::Everyone);
        let two = Exclude::from_header(Some(
            "\"https://h/demo/.push/abc\", \"https://h/base/demo/.push/def\", \"https://h/x/y\"",
        ));
        assert_eq!(two, Exclude::Ids(vec!["abc".into(), "def".into()]));
        assert!(two.excludes("def") && !two.excludes("xyz"));
    }
}
