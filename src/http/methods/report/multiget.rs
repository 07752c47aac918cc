//! calendar-multiget (RFC 4791 §7.9): named objects, each with its properties
//! or a 404.

use std::collections::HashSet;
use std::sync::Arc;

use crate::dav::href::{self, Base, DavPath};
use crate::dav::multistatus;
use crate::dav::xml::{Element, DAV};
use crate::http::error::{DavError, DavResult};
use crate::http::props::PropRequest;
use crate::http::request::{Reply, Request};
use crate::http::resource::Resource;
use crate::store::{names, CollectionKind, Reader, Store};
use actix_web::http::StatusCode;

use super::query::{calendar_data_request, query_timezone};
use super::write_object;

/// `target` is what the request URI names, which must exist (a calendar,
/// or an object for a single get).
pub fn handle(rq: Request, mut body: Element, target: Resource) -> DavResult<Reply> {
    let props = PropRequest::from_children(&body)?.unwrap_or(PropRequest::All(Vec::new()));
    let data_req = calendar_data_request(&body)?;
    let tz = query_timezone(&body, &target);
    let hrefs = distinct_hrefs(&mut body, rq.base())?;
    if hrefs.is_empty() {
        return Err(DavError::IncompleteBody("calendar-multiget without href"));
    }
    let mut objects = NamedReader::new(&rq, CollectionKind::Calendar);
    Ok(rq.multistatus(None, move |ctx, out| {
        for Named { href, path } in hrefs {
            match objects.read(path) {
                Some((res, bytes)) => {
                    let text = data_req.as_ref().map(|r| {
                        crate::query::render_calendar_data(
                            &String::from_utf8_lossy(bytes),
                            r,
                            tz.as_ref(),
                        )
                    });
                    write_object(&res, &props, text.as_deref(), ctx, out.buffer());
                }
                None => multistatus::status_response(&href, StatusCode::NOT_FOUND, out.buffer()),
            }
        }
    }))
}

/// Reads the objects a multiget names, each when it is one of the
/// requesting user's and lies in a collection of `kind`. It keeps a reader
/// of the last collection resolved (clients name one per multiget, so it is
/// resolved and its directory opened once for all the hrefs) and one buffer
/// for the bytes of each object in turn.
pub struct NamedReader {
    store: Arc<Store>,
    user: String,
    kind: CollectionKind,
    last: Option<Reader>,
    bytes: Vec<u8>,
}

impl NamedReader {
    pub fn new(rq: &Request, kind: CollectionKind) -> NamedReader {
        NamedReader {
            store: rq.store().clone(),
            user: rq.user.clone(),
            kind,
            last: None,
            bytes: Vec::new(),
        }
    }

    /// The object at `path` (a [`Named`]'s, taken so its name moves into
    /// the answer) with its bytes, which the next read replaces; None is
    /// answered with a 404 for that href.
    pub fn read(&mut self, path: Option<DavPath>) -> Option<(Resource, &[u8])> {
        let Some(DavPath::Object {
            user: owner,
            collection,
            name,
        }) = path
        else {
            return None;
        };
        if owner != self.user {
            return None;
        }
        let reader = match &mut self.last {
            Some(r) if r.collection().name == collection => r,
            last => last.insert(self.store.collection(&owner, &collection).ok()?.reader()),
        };
        if reader.collection().kind() != self.kind {
            return None;
        }
        // The href's own buffer becomes the file name: nothing allocated
        // for a name that already ends in the kind's extension.
        let name = names::into_object_file_name(self.kind, name).ok()?;
        let meta = reader.read_named(&name, &mut self.bytes).ok()?;
        let cal = reader.collection().clone();
        Some((Resource::Object { cal, name, meta }, &self.bytes))
    }
}

/// One href of a multiget as the client wrote it, with the path it names
/// (None when it names nothing this server serves): parsed once, for the
/// duplicate check and the read.
pub struct Named {
    pub href: String,
    pub path: Option<DavPath>,
}

/// Most hrefs one multiget may name; clients fetch in batches of a few hundred.
pub const MAX_HREFS: usize = 10_000;

/// Most hrefs of a multiget served on the async worker (`route`), which
/// serves other connections between requests: a larger one, a batch of a
/// first sync, goes to the blocking pool.
const WORKER_HREFS: usize = 200;

/// The hrefs (taken out of `body`), each resource once (spellings that
/// name the same path count once), so an answer never holds an object's
/// data twice. The set of seen paths borrows them from the list rather
/// than holding copies.
pub fn distinct_hrefs(body: &mut Element, base: &Base) -> DavResult<Vec<Named>> {
    // As many as the parsed body holds (it is bounded where it is read).
    let mut named = Vec::new();
    for h in body.children.iter_mut().filter(|c| c.is(DAV, "href")) {
        // The text moves out of the body, which is read no further.
        let mut href = std::mem::take(&mut h.text);
        let trimmed = href.trim();
        if trimmed.len() != href.len() {
            href = trimmed.to_string();
        }
        let path = base.parse(href::path_of(&href));
        named.push(Named { href, path });
    }
    let keep = {
        let mut paths = HashSet::with_capacity(named.len());
        let mut unparsed = HashSet::new();
        // Two paths are equal exactly when their canonical hrefs are.
        named
            .iter()
            .map(|n| match &n.path {
                Some(p) => paths.insert(p),
                None => unparsed.insert(n.href.as_str()),
            })
            .collect::<Vec<bool>>()
    };
    let mut keep = keep.into_iter();
    named.retain(|_| keep.next().unwrap_or(false));
    if named.len() > MAX_HREFS {
        return Err(DavError::TooManyHrefs(MAX_HREFS));
    }
    if named.len() > WORKER_HREFS {
        crate::store::refuse_where_no_wait()?;
    }
    Ok(named)
}
