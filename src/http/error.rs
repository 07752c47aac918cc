//! Every error a request can end in, and its one mapping to an HTTP response.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use crate::dav::multistatus::error_body;
use crate::dav::property::PropName;
use crate::dav::xml::{escape, CALDAV, DAV};
use crate::store::StoreError;

use super::auth::AuthError;

/// RFC 4918 / 4791 / 6578 / 5689 precondition elements sent in a DAV:error
/// body. Each has one status, decided here by [`Condition::status`], so a
/// handler names the precondition and never the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    ValidCalendarData,
    ValidCalendarObjectResource,
    SupportedCalendarComponent,
    SupportedCalendarData,
    /// Carries the href of the resource that already has the UID.
    NoUidConflict(String),
    MaxResourceSize,
    PropfindFiniteDepth,
    ValidSyncToken,
    ValidFilter,
    SupportedCollation,
    SupportedReport,
    ResourceMustBeNull,
    CalendarCollectionLocationOk,
    CannotModifyProtectedProperty,
    NeedPrivileges,
    NumberOfMatchesWithinLimits,
}

impl Condition {
    /// The status every failure of this precondition is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            // RFC 4791 §5.3.2.1 names no status for a body that is not
            // text/calendar; 415 says so in plain HTTP, and clients retry
            // with the right media type rather than give up.
            Condition::SupportedCalendarData => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            // RFC 4791 §5.3.1.1: MKCALENDAR on an existing resource is 405.
            Condition::ResourceMustBeNull => StatusCode::METHOD_NOT_ALLOWED,
            // RFC 4918 §16 / RFC 5397: a result cut short is a server limit.
            Condition::NumberOfMatchesWithinLimits => StatusCode::INSUFFICIENT_STORAGE,
            // Every other precondition is 403 (RFC 4791 §1.3, RFC 4918 §16,
            // RFC 6578 §3.2 for valid-sync-token, RFC 3744 need-privileges).
            Condition::ValidCalendarData
            | Condition::ValidCalendarObjectResource
            | Condition::SupportedCalendarComponent
            | Condition::NoUidConflict(_)
            | Condition::MaxResourceSize
            | Condition::PropfindFiniteDepth
            | Condition::ValidSyncToken
            | Condition::ValidFilter
            | Condition::SupportedCollation
            | Condition::SupportedReport
            | Condition::CalendarCollectionLocationOk
            | Condition::CannotModifyProtectedProperty
            | Condition::NeedPrivileges => StatusCode::FORBIDDEN,
        }
    }

    fn name(&self) -> PropName {
        let (ns, name) = match self {
            Condition::ValidCalendarData => (CALDAV, "valid-calendar-data"),
            Condition::ValidCalendarObjectResource => (CALDAV, "valid-calendar-object-resource"),
            Condition::SupportedCalendarComponent => (CALDAV, "supported-calendar-component"),
            Condition::SupportedCalendarData => (CALDAV, "supported-calendar-data"),
            Condition::NoUidConflict(_) => (CALDAV, "no-uid-conflict"),
            Condition::MaxResourceSize => (CALDAV, "max-resource-size"),
            Condition::PropfindFiniteDepth => (DAV, "propfind-finite-depth"),
            Condition::ValidSyncToken => (DAV, "valid-sync-token"),
            Condition::ValidFilter => (CALDAV, "valid-filter"),
            Condition::SupportedCollation => (CALDAV, "supported-collation"),
            Condition::SupportedReport => (DAV, "supported-report"),
            Condition::ResourceMustBeNull => (DAV, "resource-must-be-null"),
            Condition::CalendarCollectionLocationOk => (CALDAV, "calendar-collection-location-ok"),
            Condition::CannotModifyProtectedProperty => (DAV, "cannot-modify-protected-property"),
            Condition::NeedPrivileges => (DAV, "need-privileges"),
            Condition::NumberOfMatchesWithinLimits => (DAV, "number-of-matches-within-limits"),
        };
        PropName::new(ns, name)
    }

    fn inner(&self) -> String {
        match self {
            Condition::NoUidConflict(href) => format!("<D:href>{}</D:href>", escape(href)),
            _ => String::new(),
        }
    }
}

/// Why one property of a PROPPATCH, MKCALENDAR or MKCOL body is refused;
/// its status goes into that property's propstat, not the response line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropRefusal {
    /// Not settable on this resource (RFC 4918 §9.2.1: 403).
    Protected,
    /// A value the property cannot hold (RFC 4918 §9.2.1: 409).
    BadValue,
}

impl PropRefusal {
    pub fn status(self) -> StatusCode {
        match self {
            PropRefusal::Protected => StatusCode::FORBIDDEN,
            PropRefusal::BadValue => StatusCode::CONFLICT,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DavError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthorized,
    #[error("{0}")]
    Auth(#[from] AuthError),
    #[error("not found")]
    NotFound,
    #[error("method not allowed here")]
    MethodNotAllowed,
    /// COPY/MOVE to a Destination in another user's home.
    #[error("forbidden: the destination is outside your home")]
    DestinationOutsideHome,
    /// COPY/MOVE of a resource onto itself (RFC 4918 §9.8.5).
    #[error("forbidden: source and destination are the same")]
    SameSourceAndDestination,
    /// COPY/MOVE between an object and a collection.
    #[error("forbidden: source and destination kinds differ")]
    KindMismatch,
    /// A collection made anywhere but directly in a user's home.
    #[error("forbidden: collections can only be made in a user's home")]
    CollectionOutsideHome,
    /// An extended MKCOL (RFC 5689) whose resourcetype is not a calendar.
    #[error("forbidden: only calendar collections can be created here")]
    NotACalendarCollection,
    /// DELETE of the root or of a user's home.
    #[error("forbidden: cannot delete this collection")]
    ProtectedCollection,
    /// A request body (not a PUT) above the server's bound.
    #[error("request body too large")]
    BodyTooLarge,
    #[error("precondition {condition:?} failed: {detail}")]
    Condition {
        condition: Condition,
        detail: String,
    },
    #[error("internal error: {0}")]
    Internal(String),
    /// The request body did not arrive within `request_timeout`.
    #[error("request body not received in time")]
    RequestTimeout,
    /// A COPY/MOVE Destination on another server (RFC 4918 §9.8.5).
    #[error("destination on another server: {0}")]
    BadGateway(String),
}

impl DavError {
    /// A failed precondition; its status is [`Condition::status`].
    pub fn condition(condition: Condition, detail: impl Into<String>) -> Self {
        DavError::Condition {
            condition,
            detail: detail.into(),
        }
    }

    /// The precondition this error reports in a DAV:error body, if any;
    /// store errors that are RFC preconditions get theirs here.
    fn precondition(&self) -> Option<Condition> {
        match self {
            DavError::Condition { condition, .. } => Some(condition.clone()),
            DavError::Store(StoreError::UidConflict {
                user,
                calendar,
                name,
            }) => Some(Condition::NoUidConflict(crate::dav::href::object_href(
                user, calendar, name,
            ))),
            DavError::Store(StoreError::UnsupportedComponent(_)) => {
                Some(Condition::SupportedCalendarComponent)
            }
            DavError::Store(StoreError::InvalidSyncToken) => Some(Condition::ValidSyncToken),
            DavError::Store(StoreError::AlreadyExists) => Some(Condition::ResourceMustBeNull),
            _ => None,
        }
    }
}

impl ResponseError for DavError {
    fn status_code(&self) -> StatusCode {
        if let Some(condition) = self.precondition() {
            return condition.status();
        }
        match self {
            DavError::Store(e) => match e {
                StoreError::NotFound => StatusCode::NOT_FOUND,
                StoreError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
                StoreError::InvalidName(_) => StatusCode::FORBIDDEN,
                // Never reached: their precondition decides, above.
                StoreError::UidConflict { .. }
                | StoreError::UnsupportedComponent(_)
                | StoreError::WrongKind { .. }
                | StoreError::InvalidSyncToken
                | StoreError::AlreadyExists => StatusCode::FORBIDDEN,
                StoreError::MissingParent => StatusCode::CONFLICT,
                // Temporary from the client's side: it keeps its change and
                // retries once the administrator remounts the data directory.
                StoreError::ReadOnly => StatusCode::SERVICE_UNAVAILABLE,
                StoreError::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
                StoreError::NameTooLong => StatusCode::FORBIDDEN,
                StoreError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            DavError::BadRequest(_) => StatusCode::BAD_REQUEST,
            DavError::Unauthorized => StatusCode::UNAUTHORIZED,
            DavError::Auth(e) => match e {
                AuthError::Missing | AuthError::Rejected | AuthError::InvalidUser(_) => {
                    StatusCode::UNAUTHORIZED
                }
                AuthError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
                AuthError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            },
            DavError::DestinationOutsideHome
            | DavError::SameSourceAndDestination
            | DavError::KindMismatch
            | DavError::CollectionOutsideHome
            | DavError::NotACalendarCollection
            | DavError::ProtectedCollection => StatusCode::FORBIDDEN,
            DavError::NotFound => StatusCode::NOT_FOUND,
            DavError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            DavError::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            DavError::Condition { condition, .. } => condition.status(),
            DavError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            DavError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            DavError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let disk_trouble = matches!(self, DavError::Store(e) if crate::store::disk::report(e));
        if disk_trouble {
            // Logged (throttled) by `disk::report`.
        } else if status.is_server_error() {
            tracing::error!("{self}");
        } else {
            tracing::debug!("{status}: {self}");
        }
        let condition = self.precondition();
        let mut resp = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            resp.insert_header((
                header::WWW_AUTHENTICATE,
                "Basic realm=\"davdir\", charset=\"UTF-8\"",
            ));
        }
        if let Some(secs) = match self {
            DavError::Auth(e) => e.retry_after(),
            // A read-only data directory is an admin's fix, not a retry loop.
            DavError::Store(StoreError::ReadOnly) => Some(300),
            _ => None,
        } {
            resp.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        match condition {
            Some(c) => resp
                .content_type("application/xml; charset=utf-8")
                .body(error_body(&c.name(), &c.inner())),
            None => {
                let text = match self {
                    DavError::Store(StoreError::Io(_)) | DavError::Internal(_) => {
                        "internal server error\n".to_string()
                    }
                    other => format!("{other}\n"),
                };
                resp.content_type("text/plain; charset=utf-8").body(text)
            }
        }
    }
}

pub type DavResult<T> = Result<T, DavError>;

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;
    use std::io::{Error, ErrorKind};

    fn status_of(kind: ErrorKind) -> StatusCode {
        DavError::from(StoreError::from(Error::from(kind))).status_code()
    }

    /// Every precondition, its one status and its element (namespace, name).
    #[test]
    fn each_condition_has_one_status_and_element() {
        let table = [
            (
                Condition::ValidCalendarData,
                403,
                CALDAV,
                "valid-calendar-data",
            ),
            (
                Condition::ValidCalendarObjectResource,
                403,
                CALDAV,
                "valid-calendar-object-resource",
            ),
            (
                Condition::SupportedCalendarComponent,
                403,
                CALDAV,
                "supported-calendar-component",
            ),
            (
                Condition::SupportedCalendarData,
                415,
                CALDAV,
                "supported-calendar-data",
            ),
            (
                Condition::NoUidConflict("/u/c/x.ics".into()),
                403,
                CALDAV,
                "no-uid-conflict",
            ),
            (Condition::MaxResourceSize, 403, CALDAV, "max-resource-size"),
            (
                Condition::PropfindFiniteDepth,
                403,
                DAV,
                "propfind-finite-depth",
            ),
            (Condition::ValidSyncToken, 403, DAV, "valid-sync-token"),
            (Condition::ValidFilter, 403, CALDAV, "valid-filter"),
            (
                Condition::SupportedCollation,
                403,
                CALDAV,
                "supported-collation",
            ),
            (Condition::SupportedReport, 403, DAV, "supported-report"),
            (
                Condition::ResourceMustBeNull,
                405,
                DAV,
                "resource-must-be-null",
            ),
            (
                Condition::CalendarCollectionLocationOk,
                403,
                CALDAV,
                "calendar-collection-location-ok",
            ),
            (
                Condition::CannotModifyProtectedProperty,
                403,
                DAV,
                "cannot-modify-protected-property",
            ),
            (Condition::NeedPrivileges, 403, DAV, "need-privileges"),
            (
                Condition::NumberOfMatchesWithinLimits,
                507,
                DAV,
                "number-of-matches-within-limits",
            ),
        ];
        for (condition, status, ns, name) in table {
            assert_eq!(condition.status().as_u16(), status, "{condition:?}");
            assert_eq!(condition.name(), PropName::new(ns, name), "{condition:?}");
            let err = DavError::condition(condition.clone(), "detail");
            assert_eq!(err.status_code().as_u16(), status, "{condition:?}");
            let body = err.error_response().into_body().try_into_bytes();
            let text = String::from_utf8(body.expect("a full body").to_vec()).unwrap();
            assert!(text.contains(&format!(":{name}")), "{condition:?}: {text}");
        }
    }

    /// Store errors that are RFC preconditions answer with that
    /// precondition's status; the rest have their own.
    #[test]
    fn store_errors_have_one_status_each() {
        let uid = StoreError::UidConflict {
            user: "u".into(),
            calendar: "c".into(),
            name: "x.ics".into(),
        };
        for (e, status) in [
            (StoreError::NotFound, 404),
            (StoreError::AlreadyExists, 405),
            (StoreError::PreconditionFailed, 412),
            (StoreError::InvalidName("..".into()), 403),
            (uid, 403),
            (
                StoreError::UnsupportedComponent(crate::ical::ComponentKind::Todo),
                403,
            ),
            (StoreError::MissingParent, 409),
            (StoreError::InvalidSyncToken, 403),
            (StoreError::NotFound.missing_parent(), 409),
            (
                StoreError::Io(Error::from(ErrorKind::Other)).missing_parent(),
                500,
            ),
        ] {
            let text = e.to_string();
            assert_eq!(DavError::from(e).status_code().as_u16(), status, "{text}");
        }
    }

    #[test]
    fn property_refusals_have_rfc_4918_statuses() {
        assert_eq!(PropRefusal::Protected.status(), StatusCode::FORBIDDEN);
        assert_eq!(PropRefusal::BadValue.status(), StatusCode::CONFLICT);
    }

    #[test]
    fn disk_trouble_has_its_own_statuses() {
        assert_eq!(
            status_of(ErrorKind::StorageFull),
            StatusCode::INSUFFICIENT_STORAGE
        );
        assert_eq!(
            status_of(ErrorKind::QuotaExceeded),
            StatusCode::INSUFFICIENT_STORAGE
        );
        assert_eq!(
            status_of(ErrorKind::ReadOnlyFilesystem),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(status_of(ErrorKind::InvalidFilename), StatusCode::FORBIDDEN);
        assert_eq!(status_of(ErrorKind::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(
            status_of(ErrorKind::Other),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        for (errno, status) in [
            (libc::ENOSPC, StatusCode::INSUFFICIENT_STORAGE),
            (libc::EDQUOT, StatusCode::INSUFFICIENT_STORAGE),
            (libc::EROFS, StatusCode::SERVICE_UNAVAILABLE),
            (libc::ENAMETOOLONG, StatusCode::FORBIDDEN),
        ] {
            let e = DavError::from(StoreError::from(Error::from_raw_os_error(errno)));
            assert_eq!(e.status_code(), status, "errno {errno}");
        }
        let resp = DavError::from(StoreError::ReadOnly).error_response();
        assert!(resp.headers().contains_key(header::RETRY_AFTER));
    }
}
