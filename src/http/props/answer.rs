//! Writes the properties a [`PropRequest`] asks for as one `<D:response>`:
//! shared by PROPFIND and every REPORT that returns properties, so each
//! answers prop, allprop and propname the same way.

use actix_web::http::StatusCode;

use crate::dav::multistatus::{PropXml, ResponseBuilder};
use crate::dav::property::PropName;
use crate::http::props;
use crate::http::resource::{Ctx, Resource};

use super::selection::PropRequest;

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
