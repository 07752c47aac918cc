//! Which handler serves which page URL, what every handler gets (`Ctx`),
//! and what every page answer carries (security headers, error pages).
//! Every POST but the login is checked for its CSRF token here, before any
//! handler runs; every page but the login page needs a live session.

use crate::http::hook::Change;
use crate::http::method::DavMethod;
use std::sync::Arc;

use actix_web::http::header::{self, HeaderName};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use askama::Template;
use percent_encoding::percent_decode_str;

use super::client::{self, Origin};
use super::error::WebError;
use super::forms::{self, Form};
use super::pages::Layout;
use super::session::{Session, COOKIE};
use super::{
    account, assets, collections, csrf, devices, pages, transfer, trash, WebState, PREFIX,
};
use crate::http::request::{AppState, Reply};

pub const HTML: &str = "text/html; charset=utf-8";

/// No script but our own file, no inline style, no framing by other sites.
const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// One page request: the request, the server state and the session, if live.
pub struct Ctx<'a> {
    pub req: &'a HttpRequest,
    pub app: &'a Arc<AppState>,
    /// `<base>/.web`.
    pub prefix: String,
    /// The session id (cookie value) and its session.
    pub session: Option<(String, Session)>,
}

impl Ctx<'_> {
    pub fn web(&self) -> &WebState {
        &self.app.web
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
        if let (Some(hook), Ok(user)) = (&self.app.hook, self.user()) {
            hook.fire(Change {
                method,
                user: user.to_string(),
                calendar: collection.to_string(),
                paths: vec![format!("{user}/{collection}")],
            });
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

    /// The page for an error, with the status `http::error` gives it.
    fn error_page(&self, e: &WebError) -> Reply {
        let status = crate::http::error::web_status(e);
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
            _ => reply,
        }
    }
}

/// Runs a store call on a blocking thread.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    web::block(f).await?
}

/// Serves one page request, errors included.
pub async fn serve(req: &HttpRequest, payload: web::Payload, app: &Arc<AppState>) -> Reply {
    let session = req
        .cookie(COOKIE)
        .and_then(|c| Some((c.value().to_string(), app.web.sessions.get(c.value())?)));
    let ctx = Ctx {
        req,
        app,
        prefix: format!("{}{PREFIX}", app.base.as_str()),
        session,
    };
    match route(&ctx, payload).await {
        Ok(reply) => reply,
        Err(e) => ctx.error_page(&e),
    }
}

/// The path's segments below the prefix, percent-decoded; None for the
/// root or the bare prefix (both go to the page's home) and for
/// undecodable ones.
fn segments(ctx: &Ctx) -> Result<Option<Vec<String>>, WebError> {
    let rest = super::below(ctx.req.path(), &ctx.app.base);
    let Some(tail) = rest.strip_prefix(PREFIX).and_then(|t| t.strip_prefix('/')) else {
        return Ok(None);
    };
    tail.split('/')
        .map(|s| {
            percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| WebError::NotFound)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

async fn route(ctx: &Ctx<'_>, payload: web::Payload) -> Result<Reply, WebError> {
    let Some(segs) = segments(ctx)? else {
        return Ok(ctx.redirect("/"));
    };
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let method = ctx.req.method().as_str();
    let read = matches!(method, "GET" | "HEAD");
    match (method, segs.as_slice()) {
        (_, ["static", name]) if read => return assets::get(name).ok_or(WebError::NotFound),
        (_, [""]) if read && ctx.session.is_none() => return account::login_page(ctx),
        ("POST", ["login"]) => return account::login(ctx, payload).await,
        _ => {}
    }
    if ctx.session.is_none() {
        // Nothing is done for a request without a live session: a stale
        // form or link leads to the login page.
        return Ok(ctx.redirect("/"));
    }
    if read {
        return match segs.as_slice() {
            [""] => collections::home(ctx, None).await,
            ["devices"] => devices::page(ctx, None).await,
            ["c", id, "export"] => transfer::export(ctx, id).await,
            ["trash"] => trash::page(ctx).await,
            ["account"] => account::page(ctx, None),
            _ => Err(WebError::NotFound),
        };
    }
    if method != "POST" {
        return Err(WebError::Method);
    }
    if segs.as_slice() == ["import"] {
        // Multipart: the handler reads the upload and checks its token.
        return transfer::import(ctx, payload).await;
    }
    let form = forms::read(payload, ctx.app.request_timeout).await?;
    csrf::check(ctx.session()?, form.get(csrf::FIELD))?;
    post(ctx, &segs, form).await
}

/// The form posts of a logged-in user, CSRF token already checked.
async fn post(ctx: &Ctx<'_>, segs: &[&str], form: Form) -> Result<Reply, WebError> {
    match segs {
        ["logout"] => account::logout(ctx),
        ["c"] => collections::create(ctx, form).await,
        ["c", id, "edit"] => collections::edit(ctx, id, form).await,
        ["c", id, "delete"] => transfer::delete(ctx, id).await,
        ["trash", id, "restore"] => trash::restore(ctx, id).await,
        ["trash", id, "purge"] => trash::purge(ctx, id).await,
        ["devices"] => devices::create(ctx, form).await,
        ["devices", "profile"] => devices::profile(ctx).await,
        ["devices", label, "revoke"] => devices::revoke(ctx, label).await,
        ["account", "password"] => account::change_password(ctx, form).await,
        _ => Err(WebError::NotFound),
    }
}

/// Headers every page answer carries: a strict CSP and no framing; pages
/// (they show URLs, names and sometimes secrets) are never stored by caches.
pub fn with_security_headers(mut reply: Reply) -> Reply {
    let has = |r: &Reply, name: &HeaderName| r.headers.iter().any(|(n, _)| n == name);
    if !has(&reply, &header::CACHE_CONTROL) {
        reply = reply.header(header::CACHE_CONTROL, "no-store");
    }
    reply
        .header(header::CONTENT_SECURITY_POLICY, CSP)
        .header(header::X_FRAME_OPTIONS, "DENY")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        // Not `no-referrer`: browsers then send `Origin: null` with forms, which
        // the login cannot tell from a sandboxed frame of another site.
        .header(header::REFERRER_POLICY, "same-origin")
}
