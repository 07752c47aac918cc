//! PROPFIND (RFC 4918 §9.1) with Depth 0 and 1, written once for every resource kind.

use crate::dav::href::DavPath;
use crate::dav::multistatus::{PropXml, ResponseBuilder};
use crate::dav::property::PropName;
use crate::dav::xml::{Element, DAV};
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::props;
use crate::http::request::{Reply, Request};
use crate::http::resource::{Ctx, Resource};
use actix_web::http::StatusCode;

/// What a PROPFIND (or REPORT) asks for.
#[derive(Debug, Clone)]
pub enum PropRequest {
    /// allprop, plus any names in DAV:include.
    All(Vec<PropName>),
    Names,
    Props(Vec<PropName>),
}

impl PropRequest {
    /// Reads a DAV:propfind body (or the prop part of a REPORT).
    pub fn from_propfind(root: Option<&Element>) -> DavResult<PropRequest> {
        let Some(root) = root else {
            return Ok(PropRequest::All(Vec::new()));
        };
        if !root.is(DAV, "propfind") {
            return Err(DavError::UnexpectedRoot("DAV:propfind".into()));
        }
        Self::from_children(root)?.ok_or(DavError::IncompleteBody(
            "propfind without prop, allprop or propname",
        ))
    }

    /// Finds prop / allprop / propname among an element's children. The
    /// grammar takes one of the three (RFC 4918 §14.20, RFC 4791 §9.5,
    /// RFC 6352 §10.3), so a body with two is malformed: which one the
    /// client meant cannot be guessed, and guessing answers a question it
    /// did not ask.
    pub fn from_children(parent: &Element) -> DavResult<Option<PropRequest>> {
        let asked = ["prop", "propname", "allprop"]
            .into_iter()
            .filter(|n| parent.child(DAV, n).is_some())
            .count();
        if asked > 1 {
            return Err(DavError::ExclusiveElements(
                "only one of DAV:prop, DAV:propname and DAV:allprop",
            ));
        }
        if let Some(prop) = parent.child(DAV, "prop") {
            return Ok(Some(PropRequest::Props(prop_names(prop)?)));
        }
        if parent.child(DAV, "propname").is_some() {
            return Ok(Some(PropRequest::Names));
        }
        if parent.child(DAV, "allprop").is_some() {
            let include = match parent.child(DAV, "include") {
                Some(el) => prop_names(el)?,
                None => Vec::new(),
            };
            return Ok(Some(PropRequest::All(include)));
        }
        Ok(None)
    }
}

/// Most distinct property names one request may ask for; no client asks for
/// more than a few dozen.
pub const MAX_PROP_NAMES: usize = 256;

/// The names in a DAV:prop (or DAV:include), each once in first-seen order:
/// the answer's size follows what is asked, not how often it is repeated.
pub fn prop_names(prop: &Element) -> DavResult<Vec<PropName>> {
    let mut seen = std::collections::HashSet::new();
    let mut names = Vec::new();
    for c in &prop.children {
        let name = PropName::new(&c.ns, &c.name);
        if seen.insert(name.clone()) {
            if names.len() == MAX_PROP_NAMES {
                return Err(DavError::OverLimit {
                    what: "distinct properties requested",
                    limit: MAX_PROP_NAMES,
                });
            }
            names.push(name);
        }
    }
    Ok(names)
}

/// Writes one resource's `<D:response>` for the request.
pub fn write_response(res: &Resource, req: &PropRequest, ctx: &Ctx, out: &mut String) {
    let mut b = ResponseBuilder::default();
    match req {
        PropRequest::Props(names) => names.iter().for_each(|n| add_prop(&mut b, res, n, ctx)),
        PropRequest::All(include) => {
            for live in props::listed_on(res.kind()) {
                let name = live.prop_name();
                if let Ok(Some(x)) = props::value(res, &name, ctx) {
                    b.add(StatusCode::OK, x);
                }
            }
            for (_, xml) in props::dead(res) {
                b.add(StatusCode::OK, PropXml::Raw(xml));
            }
            include
                .iter()
                .filter(|n| {
                    props::find(n).is_some_and(|l| !props::listed_on(res.kind()).any(|m| m == l))
                })
                .for_each(|n| add_prop(&mut b, res, n, ctx));
        }
        PropRequest::Names => {
            // Only what the resource has: propname lists what a prop request would find.
            for live in props::listed_on(res.kind()) {
                let name = live.prop_name();
                if matches!(props::value(res, &name, ctx), Ok(Some(_))) {
                    b.add_name(StatusCode::OK, &name);
                }
            }
            for (key, _) in props::dead(res) {
                if let Some((ns, name)) = key.strip_prefix('{').and_then(|k| k.split_once('}')) {
                    b.add_name(StatusCode::OK, &PropName::new(ns, name));
                }
            }
        }
    }
    b.write(&res.href(ctx.base), out);
}

/// Adds one named property with its value (200), or 404 where undefined.
pub fn add_prop(b: &mut ResponseBuilder, res: &Resource, name: &PropName, ctx: &Ctx) {
    match props::value(res, name, ctx) {
        Ok(Some(x)) => b.add(StatusCode::OK, x),
        Ok(None) => b.add_name(StatusCode::NOT_FOUND, name),
        Err(e) => {
            tracing::warn!("{}: property {}: {e}", res.href(ctx.base), name.key());
            b.add_name(StatusCode::INTERNAL_SERVER_ERROR, name)
        }
    }
}

pub fn handle(rq: Request) -> DavResult<Reply> {
    let body = rq.xml()?;
    let props = PropRequest::from_propfind(body.as_ref())?;
    let depth = match rq.depth()? {
        Some(d) => d,
        None => {
            return Err(DavError::condition(
                Condition::PropfindFiniteDepth,
                "Depth: infinity is not supported",
            ))
        }
    };
    let target = Resource::load(rq.store(), &rq.path)?;
    let mut members = Vec::new();
    if depth == 1 {
        match &target {
            Resource::Root => {
                if rq.store().home_exists(&rq.user) {
                    members.push(Resource::Home {
                        user: rq.user.clone(),
                    });
                }
            }
            Resource::Home { user } => {
                for (name, _) in rq.store().listed_collections(user)? {
                    match rq
                        .store()
                        .collection(user, &name)
                        .map_err(DavError::from)
                        .and_then(Resource::collection)
                    {
                        Ok(r) => members.push(r),
                        Err(e) => tracing::warn!("skipping collection {user}/{name}: {e}"),
                    }
                }
            }
            // Objects are paged in the producer below, not collected here.
            Resource::Collection { .. } => {}
            Resource::Object { .. } => {}
        }
    }
    Ok(rq.multistatus(None, move |ctx, out| {
        for res in std::iter::once(&target).chain(members.iter()) {
            write_response(res, &props, ctx, out.buffer());
        }
        if let (1, Resource::Collection { cal, .. }) = (depth, &target) {
            let listed = cal.each_object(
                |_| true,
                |name, meta| {
                    let res = Resource::Object {
                        cal: cal.clone(),
                        name,
                        meta,
                    };
                    write_response(&res, &props, ctx, out.buffer());
                },
            );
            if let Err(e) = listed {
                tracing::warn!("listing {}: {e}", cal.dir().display());
            }
        }
    }))
}

/// Whether a path is one the user may see (their own home or the root).
pub fn visible_to(path: &DavPath, user: &str) -> bool {
    path.user().is_none_or(|u| u == user)
}
