//! The web page for people: served by the server itself at `/` to a
//! browser (a GET whose Accept prefers HTML) and under the reserved prefix
//! `/.web/` (no user or collection can have a name with a leading dot), so
//! DAV clients keep DAV on every other URL.
//!
//! One job per module: `routes` (which handler serves a URL), `ctx` (what
//! a handler gets and how it answers), `state` (the page's server state),
//! `session` and `csrf` (who is logged in, and that a form came from our
//! page), `client` (TLS, client address, public origin), `find` (the
//! user's collection a page URL names), `forms` (bounded
//! form and upload reading), `jobs` (web imports running in the background), `pages` (templates), `mobileconfig` (Apple
//! profiles), `assets` (stylesheet and script), and one module per area of
//! the page.

mod account;
mod addresses;
mod assets;
mod client;
mod collections;
mod csrf;
mod ctx;
mod devices;
pub(crate) mod error;
mod find;
mod forms;
mod jobs;
mod mobileconfig;
mod pages;
mod routes;
mod session;
mod sharing;
pub(crate) mod state;
mod transfer;
mod trash;
mod upload;

pub use error::WebError;
pub use state::WebState;

use std::sync::Arc;

use actix_web::http::header::{self, Header};
use actix_web::{web, HttpRequest};

use crate::dav::href::Base;
use crate::http::request::{AppState, Reply};

/// The reserved path (below the base path) of the page and its files.
pub const PREFIX: &str = "/.web";

/// The request path below the base path (a proxy may or may not strip it).
fn below<'p>(path: &'p str, base: &Base) -> &'p str {
    match path.strip_prefix(base.as_str()) {
        Some(rest) if !base.as_str().is_empty() && (rest.is_empty() || rest.starts_with('/')) => {
            rest
        }
        _ => path,
    }
}

/// Whether this request is for the page rather than for DAV: anything
/// under [`PREFIX`], and a browser's GET of the root (a DAV client asks
/// for no HTML there, so it keeps getting DAV).
pub fn claims(req: &HttpRequest, base: &Base) -> bool {
    let rest = below(req.path(), base);
    if rest == PREFIX || rest.starts_with("/.web/") {
        return true;
    }
    let root = rest.is_empty() || rest == "/";
    let get = matches!(req.method().as_str(), "GET" | "HEAD");
    root && get && prefers_html(req)
}

/// Whether the Accept header ranks HTML first (browsers do; `*/*` does not).
fn prefers_html(req: &HttpRequest) -> bool {
    header::Accept::parse(req).is_ok_and(|accept| {
        let best = accept.preference();
        best.type_() == "text" && best.subtype() == "html"
            || best.type_() == "application" && best.subtype() == "xhtml+xml"
    })
}

/// Serves one page request; errors become pages with their status.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    app: Arc<AppState>,
    page: Arc<WebState>,
) -> Reply {
    let reply = routes::serve(&req, payload, &app, &page).await;
    routes::with_security_headers(reply)
}
