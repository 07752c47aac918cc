//! What every page handler gets (`Ctx`: the request, the server state and
//! the session) and how it answers (pages, redirects, error pages), apart
//! from `routes`, which imports the handlers that use it.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use askama::Template;

use super::client::{self, Origin};
use super::error::WebError;
use super::pages::{self, Layout};
use super::session::Session;
use super::WebState;
use crate::http::hook::Change;
use crate::http::method::DavMethod;
use crate::http::request::{AppState, Reply};

const HTML: &str = "text/html; charset=utf-8";

/// One page request: the request, the server state and the session, if live.
pub struct Ctx<'a> {
    pub req: &'a HttpRequest,
    pub app: &'a Arc<AppState>,
    /// The page's own state (sessions, settings, import jobs).
    pub page: &'a WebState,
    /// `<base>/.web`.
    pub prefix: String,
    /// The session id (cookie value) and its session.
    pub session: Option<(String, Session)>,
}

impl Ctx<'_> {
    pub fn web(&self) -> &WebState {
        self.page
    }

    /// The logged-in session; routes only call handlers that need one
    /// when there is one.
    pub fn session(&self) -> Result<&Session, WebError> {
        self.session
            .as_ref()
            .map(|(_, s)| s)
            .ok_or(WebError::NotFound)
    }

    pub fn user(&self) -> Result<&str, WebError> {
        Ok(&self.session()?.user)
    }

    /// Tells the `hook` command of a change made from the page, as the DAV
    /// method that would have made it, so a git-commit hook misses none.
    pub fn changed(&self, method: DavMethod, collection: &str) {
        if let Ok(user) = self.user() {
            changed(self.app, user, method, collection);
        }
    }

    /// The frame of a page titled `title`.
    pub fn layout(&self, title: &str) -> Layout {
        let session = self.session.as_ref().map(|(_, s)| s);
        Layout {
            prefix: self.prefix.clone(),
            title: title.to_string(),
            user: session.map(|s| s.user.clone()),
            csrf: session.map(|s| s.csrf.clone()).unwrap_or_default(),
            notice: None,
            error: None,
        }
    }

    /// The session cookie's path: the base path, or `/` at the root.
    pub fn cookie_path(&self) -> String {
        match self.app.base.as_str() {
            "" => "/".to_string(),
            base => base.to_string(),
        }
    }

    pub fn is_tls(&self) -> bool {
        client::is_tls(self.req, &self.web().proxies)
    }

    /// Where the user reaches the server (config `public_url`, else the request).
    pub fn origin(&self) -> Origin {
        client::origin(
            self.req,
            self.web().public_url.as_ref(),
            &self.web().proxies,
        )
    }

    /// 303 to a page below the prefix (`to` starts with `/`).
    pub fn redirect(&self, to: &str) -> Reply {
        Reply::empty(StatusCode::SEE_OTHER).header(header::LOCATION, format!("{}{to}", self.prefix))
    }

    /// A rendered page.
    pub fn page(&self, status: StatusCode, page: &impl Template) -> Result<Reply, WebError> {
        let html = page
            .render()
            .map_err(|e| WebError::Internal(e.to_string()))?;
        Ok(Reply::full(status, HTML, html))
    }

    /// The page for an error, with the status `WebError::status` gives it.
    pub(super) fn error_page(&self, e: &WebError) -> Reply {
        let status = e.status();
        // The access log says only "-> 500"; the cause goes beside it.
        if status.is_server_error() {
            tracing::error!("{} {}: {e}", self.req.method(), self.req.path());
        }
        let mut l = self.layout(status.canonical_reason().unwrap_or("Error"));
        l.error = Some(e.to_string());
        let page = pages::Message {
            l,
            message: String::new(),
        };
        let reply = self
            .page(status, &page)
            .unwrap_or_else(|_| Reply::empty(status));
        match e {
            WebError::Throttled(secs) => reply.header(header::RETRY_AFTER, secs.to_string()),
            WebError::UploadsBusy => reply.header(
                header::RETRY_AFTER,
                crate::http::upload_budget::RETRY_AFTER_SECS.to_string(),
            ),
            // RFC 9110 §15.5.6: pages are read, and forms posted.
            WebError::Method => reply.header(header::ALLOW, "GET, HEAD, POST"),
            _ => reply,
        }
    }
}

/// [`Ctx::changed`] for work that outlives its request (an import job).
pub fn changed(app: &AppState, user: &str, method: DavMethod, collection: &str) {
    if let Some(hook) = &app.hook {
        hook.fire(Change {
            method,
            user: user.to_string(),
            collection: collection.to_string(),
            paths: vec![format!("{user}/{collection}")],
        });
    }
}

/// Runs a store call on a blocking thread.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    web::block(f).await?
}
