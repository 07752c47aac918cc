//! Why a web-page request fails; `WebError::status` gives
//! each its one status, and the page shows the message.

use actix_web::http::StatusCode;

use crate::import::ImportError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No such page, or a collection, trash entry or app password that is
    /// not the logged-in user's (never told apart).
    #[error("not found")]
    NotFound,
    /// A POST whose CSRF token is missing or wrong.
    #[error("this form is out of date or not from this site; reload the page and try again")]
    Csrf,
    /// A login form from another site.
    #[error("login from another site refused")]
    ForeignOrigin,
    #[error("wrong user name or password")]
    BadLogin,
    #[error("too many failed logins; retry in {0} s")]
    Throttled(u64),
    #[error("the server is busy checking passwords; retry in a moment")]
    Busy,
    /// A form field missing or not acceptable; says which and why.
    #[error("{0}")]
    BadForm(String),
    #[error("the upload is larger than {0} MiB")]
    TooLarge(u64),
    /// Uploads in flight hold the server's whole `upload_memory`.
    #[error("the server is busy receiving other uploads; try again in a few seconds")]
    UploadsBusy,
    #[error("the form did not arrive in time")]
    Timeout,
    #[error("method not allowed")]
    Method,
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Account(#[from] crate::accounts::AccountError),
    #[error("{0}")]
    Import(#[from] crate::import::ImportError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<actix_web::error::BlockingError> for WebError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        WebError::Internal(e.to_string())
    }
}

impl WebError {
    /// The one status a web-page error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Csrf | WebError::ForeignOrigin => StatusCode::FORBIDDEN,
            WebError::BadLogin => StatusCode::UNAUTHORIZED,
            WebError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::Busy | WebError::UploadsBusy => StatusCode::SERVICE_UNAVAILABLE,
            WebError::BadForm(_) => StatusCode::BAD_REQUEST,
            WebError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Timeout => StatusCode::REQUEST_TIMEOUT,
            WebError::Method => StatusCode::METHOD_NOT_ALLOWED,
            WebError::Store(e) | WebError::Import(ImportError::Store(e)) => store_status(e),
            WebError::Import(ImportError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Import(ImportError::UnknownFormat) => StatusCode::BAD_REQUEST,
            WebError::Import(ImportError::WrongKind { .. }) => StatusCode::CONFLICT,
            WebError::Account(e) => {
                use crate::accounts::AccountError as A;
                match e {
                    A::WrongPassword => StatusCode::FORBIDDEN,
                    A::InvalidUser(_) | A::BadPassword(_) | A::BadLabel(_) | A::BadAddress(_) => {
                        StatusCode::BAD_REQUEST
                    }
                    A::UserExists(_) | A::DuplicateLabel { .. } | A::TooMany(_) | A::NoHtpasswd => {
                        StatusCode::CONFLICT
                    }
                    A::NoSuchUser(_) | A::NoSuchLabel { .. } => StatusCode::NOT_FOUND,
                    A::Io { .. } | A::Corrupt { .. } | A::Hash(_) => {
                        StatusCode::INTERNAL_SERVER_ERROR
                    }
                }
            }
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A store error met by the web page (no DAV precondition to report).
fn store_status(e: &StoreError) -> StatusCode {
    match e {
        StoreError::NotFound => StatusCode::NOT_FOUND,
        StoreError::AlreadyExists => StatusCode::CONFLICT,
        StoreError::InvalidName(_) | StoreError::ReservedName { .. } | StoreError::NameTooLong => {
            StatusCode::BAD_REQUEST
        }
        StoreError::Derived(_) | StoreError::Shared(_) => StatusCode::FORBIDDEN,
        StoreError::ReadOnly => StatusCode::SERVICE_UNAVAILABLE,
        StoreError::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
