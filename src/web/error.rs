//! Why a web-page request fails; `crate::http::error::web_status` gives
//! each its one status, and the page shows the message.

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
