//! DELETE of an object (conditional) or of a whole calendar or address book.

use actix_web::http::StatusCode;

use crate::dav::href::DavPath;
use crate::http::conditional::Conditions;
use crate::http::error::{DavError, DavResult};
use crate::http::request::{Reply, Request};
use crate::http::resource::not_found;

pub fn handle(rq: Request) -> DavResult<Reply> {
    let cond = Conditions::from_headers(&rq.headers);
    match &rq.path {
        DavPath::Object {
            user,
            calendar,
            name,
        } => {
            let cal = rq.store().collection(user, calendar)?;
            // A reserved URL name names nothing here: 404.
            let file = cal.file_name(name).map_err(not_found)?;
            // An organizer's DELETE cancels, an attendee's declines.
            let plan = match cal.kind() {
                crate::store::CollectionKind::Calendar => {
                    rq.app.scheduler.plan_delete(cal.owner(), &cal, &file)
                }
                _ => crate::schedule::implicit::Plan::Nothing,
            };
            cal.delete(&file, |current| cond.allows_write(current))?;
            rq.app.scheduler.deliver(plan);
        }
        DavPath::Calendar { user, calendar } => {
            let cal = rq.store().collection(user, calendar)?;
            if !cond.allows_write(Some(&cal.ctag()?)) {
                return Err(crate::store::StoreError::PreconditionFailed.into());
            }
            rq.store().delete_calendar(user, calendar)?;
        }
        DavPath::Root | DavPath::Home { .. } => return Err(DavError::ProtectedCollection),
    }
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
