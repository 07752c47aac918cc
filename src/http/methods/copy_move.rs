//! COPY and MOVE (RFC 4918 §9.8, §9.9) of objects between a user's calendars,
//! and of whole calendars within a home (MOVE renames the directory).

use actix_web::http::{header, StatusCode};

use crate::dav::href::{self, DavPath};
use crate::http::error::{DavError, DavResult};
use crate::http::request::{Reply, Request};

pub fn handle(rq: Request, keep_source: bool) -> DavResult<Reply> {
    let dest = rq
        .header("destination")
        .ok_or_else(|| DavError::BadRequest("missing Destination".into()))?;
    let dest = DavPath::parse(href::path_of(dest))
        .ok_or_else(|| DavError::BadRequest("bad Destination".into()))?;
    if dest.user() != Some(rq.user.as_str()) {
        return Err(DavError::Forbidden(
            "the destination is outside your home".into(),
        ));
    }
    let overwrite = match rq.header("overwrite").map(str::trim) {
        None | Some("T") | Some("t") => true,
        Some("F") | Some("f") => false,
        Some(o) => return Err(DavError::BadRequest(format!("bad Overwrite {o:?}"))),
    };
    let created = match (&rq.path, &dest) {
        (
            DavPath::Object {
                user,
                calendar,
                name,
            },
            DavPath::Object {
                calendar: to_cal,
                name: to_name,
                ..
            },
        ) => {
            let src = rq.store().calendar(user, calendar)?;
            let dst = rq
                .store()
                .calendar(user, to_cal)
                .map_err(|_| DavError::Conflict("destination calendar does not exist".into()))?;
            rq.store()
                .transfer_object(&src, name, &dst, to_name, overwrite, keep_source)?
        }
        (DavPath::Calendar { user, calendar }, DavPath::Calendar { calendar: to, .. })
            if !keep_source =>
        {
            if calendar == to {
                return Err(DavError::Forbidden(
                    "source and destination are the same".into(),
                ));
            }
            !rq.store().move_calendar(user, calendar, to, overwrite)?
        }
        (DavPath::Calendar { user, calendar }, DavPath::Calendar { calendar: to, .. }) => {
            if calendar == to {
                return Err(DavError::Forbidden(
                    "source and destination are the same".into(),
                ));
            }
            // RFC 4918 §9.8.3: infinity (the default) copies the members
            // too, 0 only the collection and its properties.
            let members = match rq.header("depth").map(str::trim) {
                None | Some("infinity") | Some("Infinity") => true,
                Some("0") => false,
                Some(d) => {
                    return Err(DavError::BadRequest(format!(
                        "COPY of a collection takes Depth 0 or infinity, not {d:?}"
                    )))
                }
            };
            !rq.store()
                .copy_calendar(user, calendar, to, overwrite, members)?
        }
        _ => {
            return Err(DavError::Forbidden(
                "source and destination kinds differ".into(),
            ))
        }
    };
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    };
    let mut reply = Reply::empty(status);
    if created {
        reply = reply.header(header::LOCATION, dest.href());
    }
    Ok(reply)
}
