//! PROPPATCH (RFC 4918 §9.2): all or nothing on the properties of a calendar
//! or an address book.

use crate::dav::xml::DAV;
use crate::http::error::{DavError, DavResult, PropRefusal};
use crate::http::prop_update::{all_changes, for_kind, outcomes, report};
use crate::http::request::{Reply, Request};
use crate::http::resource::Resource;

pub fn handle(rq: Request) -> DavResult<Reply> {
    let body = rq.xml()?.ok_or(DavError::MissingBody("PROPPATCH"))?;
    if !body.is(DAV, "propertyupdate") {
        return Err(DavError::UnexpectedRoot("DAV:propertyupdate".into()));
    }
    let target = Resource::load(rq.store(), &rq.path)?;
    match &target {
        // A sharee's own settings of his view, whatever the share grants:
        // `set_props` decides.
        Resource::Collection { cal, .. } if cal.shared_view().is_some() => {}
        Resource::Collection { cal, .. } | Resource::Object { cal, .. } => {
            cal.refuse_if_derived()?
        }
        _ => {}
    }
    let mut results = for_kind(outcomes(&body, false)?, target.kind());
    let succeeded = match &target {
        Resource::Collection { cal, .. } => match all_changes(&results) {
            Some(changes) => {
                cal.set_props(&changes)?;
                true
            }
            None => false,
        },
        // Only collections hold writable properties.
        _ => {
            for o in &mut results {
                o.result = Err(PropRefusal::Protected);
            }
            false
        }
    };
    let href = target.href(rq.base());
    let builder = report(&results, succeeded);
    Ok(rq.multistatus(None, move |_, out| builder.write(&href, out.buffer())))
}
