//! PROPFIND (RFC 4918 §9.1) with Depth 0 and 1, written once for every resource kind.

use crate::http::error::{Condition, DavError, DavResult};
use crate::http::props::{write_response, PropRequest};
use crate::http::request::{Reply, Request};
use crate::http::resource::Resource;

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
