//! The web page for people: served by the server itself at `/` to a
//! browser (a GET whose Accept prefers HTML) and under the reserved prefix
//! `/.web/` (no user or collection can have a name with a leading dot), so
//! DAV clients keep DAV on every other URL.
//!
//! One job per module: `routes` (which handler serves a URL), `session`
//! and `csrf` (who is logged in, and that a form came from our page),
//! `client` (TLS, client address, public origin), `forms` (bounded form and
//! upload reading), `pages` (templates), `mobileconfig` (Apple profiles),
//! `assets` (stylesheet and script), and one module per area of the page.

mod account;
mod assets;
mod client;
mod collections;
mod csrf;
mod devices;
mod error;
mod forms;
mod mobileconfig;
mod pages;
mod routes;
mod session;
mod transfer;
mod trash;
mod upload;

pub use error::WebError;

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::http::header::{self, Header};
use actix_web::{web, HttpRequest};

use crate::config::Config;
use crate::dav::href::Base;
use crate::http::request::{AppState, Reply};

/// The reserved path (below the base path) of the page and its files.
pub const PREFIX: &str = "/.web";

/// The page's share of the server state.
pub struct WebState {
    sessions: session::Sessions,
    proxies: Vec<IpAddr>,
    public_url: Option<url::Url>,
    /// Days the trash keeps a deleted collection (config `trash_days`).
    trash_days: u32,
}

impl WebState {
    pub fn new(config: &Config) -> WebState {
        WebState {
            sessions: session::Sessions::new(config.session_lifetime),
            proxies: config.trusted_proxies.clone(),
            public_url: config.public_url.clone(),
            trash_days: config.trash_days,
        }
    }
}

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
pub async fn handle(req: HttpRequest, payload: web::Payload, app: Arc<AppState>) -> Reply {
    let reply = routes::serve(&req, payload, &app).await;
    routes::with_security_headers(reply)
}
