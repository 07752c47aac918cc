//! The methods each kind of resource takes, declared once, for the Allow
//! header every 405 carries (RFC 9110 §15.5.6). OPTIONS answers before
//! login and alike on every path, so it lists every method instead.

use std::sync::Arc;

use actix_web::http::header::HeaderValue;

use crate::dav::href::DavPath;
use crate::http::method::DavMethod;
use crate::http::request::AppState;
use crate::store::Store;

use DavMethod::*;

/// What a request path names, as far as the methods it takes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Root,
    Home,
    /// A calendar or address book that exists.
    Collection,
    /// A collection path with nothing there yet: only made, or probed.
    NoCollection,
    /// An object path, whether or not the object exists (PUT makes it).
    Object,
    /// A WebDAV-Push registration URL.
    PushRegistration,
}

impl Target {
    /// The kind of `path`; the store tells whether a collection exists.
    pub fn of(path: &DavPath, store: &Arc<Store>, push: bool) -> Target {
        match path {
            DavPath::Root => Target::Root,
            DavPath::Home { .. } => Target::Home,
            DavPath::Collection { user, collection } => match store.collection(user, collection) {
                Ok(_) => Target::Collection,
                Err(_) => Target::NoCollection,
            },
            DavPath::Object { collection, .. } if push && collection == crate::push::SEGMENT => {
                Target::PushRegistration
            }
            DavPath::Object { .. } => Target::Object,
        }
    }

    /// The methods served here. PROPPATCH is listed on the root and homes:
    /// it is answered (each property refused in the 207), not refused.
    fn methods(self) -> Vec<DavMethod> {
        match self {
            Target::Root | Target::Home => {
                vec![Options, Get, Head, Propfind, Proppatch, Report]
            }
            // POST: a `CS:share` (and a WebDAV-Push registration).
            Target::Collection => vec![
                Options, Get, Head, Delete, Propfind, Proppatch, Copy, Move, Report, Post,
            ],
            Target::NoCollection => vec![Options, Mkcol, Mkcalendar],
            Target::Object => vec![
                Options, Get, Head, Put, Delete, Propfind, Proppatch, Copy, Move, Report,
            ],
            Target::PushRegistration => vec![Options, Delete],
        }
    }

    /// The Allow header's value.
    pub fn allow(self) -> String {
        let names: Vec<&str> = self.methods().into_iter().map(DavMethod::as_str).collect();
        names.join(", ")
    }
}

/// The Allow header of a 405 for request path `path`; None where the path
/// names nothing (a 405 is answered only after it was mapped). Whether a
/// collection exists is asked on a blocking thread, as it may read a
/// directory; a 405 is rare enough for the trip.
pub async fn header_for(app: &Arc<AppState>, path: &str) -> Option<HeaderValue> {
    let path = app.base.parse(path)?;
    let push = app.push.is_some();
    let store = app.store.clone();
    let target = actix_web::web::block(move || Target::of(&path, &store, push))
        .await
        .ok()?;
    HeaderValue::from_str(&target.allow()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_lists_what_it_serves_and_not_what_it_refuses() {
        assert_eq!(
            Target::Object.allow(),
            "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, COPY, MOVE, REPORT"
        );
        assert!(Target::Collection.allow().ends_with(", POST"));
        assert!(!Target::Collection.allow().contains("MKCOL"));
        assert_eq!(Target::NoCollection.allow(), "OPTIONS, MKCOL, MKCALENDAR");
        assert!(!Target::Home.allow().contains("PUT"));
        assert!(!Target::Home.allow().contains("MKCOL"));
    }
}
