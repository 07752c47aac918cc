//! Every error a request can end in, and its one mapping to an HTTP response.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use crate::dav::multistatus::error_body;
use crate::dav::property::PropName;
use crate::dav::xml::{escape, CALDAV, DAV};
use crate::store::StoreError;

use super::auth::AuthError;

/// RFC 4918 / 4791 / 6578 precondition elements sent in a DAV:error body.
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
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("method not allowed here")]
    MethodNotAllowed,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("precondition {condition:?} failed: {detail}")]
    Condition {
        status: StatusCode,
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
    pub fn condition(status: u16, condition: Condition, detail: impl Into<String>) -> Self {
        DavError::Condition {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN),
            condition,
            detail: detail.into(),
        }
    }
}

impl ResponseError for DavError {
    fn status_code(&self) -> StatusCode {
        match self {
            DavError::Store(e) => match e {
                StoreError::NotFound => StatusCode::NOT_FOUND,
                StoreError::AlreadyExists => StatusCode::METHOD_NOT_ALLOWED,
                StoreError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
                StoreError::InvalidName(_) => StatusCode::FORBIDDEN,
                StoreError::UidConflict { .. }
                | StoreError::UnsupportedComponent(_)
                | StoreError::InvalidSyncToken => StatusCode::FORBIDDEN,
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
            DavError::Forbidden(_) => StatusCode::FORBIDDEN,
            DavError::NotFound => StatusCode::NOT_FOUND,
            DavError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            DavError::Conflict(_) => StatusCode::CONFLICT,
            DavError::Condition { status, .. } => *status,
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
        let condition = match self {
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
        };
        let mut resp = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            resp.insert_header((
                header::WWW_AUTHENTICATE,
                "Basic realm=\"caldir\", charset=\"UTF-8\"",
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
    use std::io::{Error, ErrorKind};

    fn status_of(kind: ErrorKind) -> StatusCode {
        DavError::from(StoreError::from(Error::from(kind))).status_code()
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
