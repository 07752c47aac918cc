//! PUT of a calendar object resource (RFC 4791 §5.3.2): validated, stored as
//! sent, durable before the 201/204.

use actix_web::http::{header, StatusCode};

use crate::dav::href::DavPath;
use crate::http::conditional::Conditions;
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::request::{Reply, Request};
use crate::ical;
use crate::store::StoreError;

pub fn handle(rq: Request) -> DavResult<Reply> {
    let DavPath::Object {
        user,
        calendar,
        name,
    } = &rq.path
    else {
        return Err(DavError::PutOutsideCalendar);
    };
    if let Some(ct) = rq.header("content-type") {
        let mime = ct.split(';').next().unwrap_or("").trim();
        if !mime.eq_ignore_ascii_case("text/calendar") {
            return Err(DavError::condition(
                Condition::SupportedCalendarData,
                format!("content type {mime} is not text/calendar"),
            ));
        }
    }
    if rq.body.len() as u64 > rq.app.max_resource_size {
        return Err(DavError::condition(
            Condition::MaxResourceSize,
            "object too large",
        ));
    }
    let cal = rq
        .store()
        .calendar(user, calendar)
        .map_err(StoreError::missing_parent)?;
    // Before validating: no body is welcome in a derived calendar.
    cal.refuse_if_derived()?;
    let info = ical::inspect(&rq.body).map_err(|e| {
        let cond = if e.is_syntax() {
            Condition::ValidCalendarData
        } else {
            Condition::ValidCalendarObjectResource
        };
        DavError::condition(cond, e.to_string())
    })?;
    if !cal.props()?.accepts(info.component) {
        return Err(DavError::condition(
            Condition::SupportedCalendarComponent,
            format!("{} not accepted here", info.component),
        ));
    }
    let cond = Conditions::from_headers(&rq.headers);
    let outcome = cal.put(name, &rq.body, info, |current| cond.allows_write(current))?;
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    };
    Ok(Reply::empty(status).header(header::ETAG, format!("\"{}\"", outcome.etag)))
}
