//! Which handler serves which page URL, and what every page answer carries
//! (security headers, error pages).
//! Every POST but the login is checked for its CSRF token here, before any
//! handler runs; every page but the login page needs a live session.

use std::sync::Arc;

use actix_web::http::header::{self, HeaderName};
use actix_web::{web, HttpRequest};
use percent_encoding::percent_decode_str;

use super::ctx::Ctx;
use super::error::WebError;
use super::forms::{self, Form};
use super::session::COOKIE;
use super::WebState;
use super::{
    account, addresses, assets, collections, csrf, devices, sharing, transfer, trash, PREFIX,
};
use crate::http::request::{AppState, Reply};

/// No script but our own file, no inline style, no framing by other sites.
const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Serves one page request, errors included.
pub async fn serve(
    req: &HttpRequest,
    payload: web::Payload,
    app: &Arc<AppState>,
    page: &WebState,
) -> Reply {
    let session = req.cookie(COOKIE).and_then(|c| {
        let live = page
            .sessions
            .get(c.value(), |user| app.auth.fingerprint(user))?;
        Some((c.value().to_string(), live))
    });
    if let Some((_, s)) = &session {
        crate::http::log_user(req, &s.user);
    }
    let ctx = Ctx {
        req,
        app,
        page,
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
            ["import", id] => transfer::job_page(ctx, id),
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
        ["c", id, "delete"] if confirmed(&form) => transfer::delete(ctx, id).await,
        ["c", id, "delete"] => transfer::confirm_delete(ctx, id).await,
        ["c", id, "share"] => sharing::share(ctx, id, form).await,
        ["c", id, "revoke"] => sharing::revoke(ctx, id, form).await,
        ["c", id, "leave"] if confirmed(&form) => sharing::leave(ctx, id).await,
        ["c", id, "leave"] => sharing::confirm_leave(ctx, id).await,
        ["trash", id, "restore"] => trash::restore(ctx, id).await,
        ["trash", id, "purge"] if confirmed(&form) => trash::purge(ctx, id).await,
        ["trash", id, "purge"] => trash::confirm_purge(ctx, id).await,
        ["devices"] => devices::create(ctx, form).await,
        ["devices", "profile"] => devices::profile(ctx).await,
        ["devices", label, "revoke"] => devices::revoke(ctx, label).await,
        ["account", "password"] => account::change_password(ctx, form).await,
        ["account", "address"] => addresses::add(ctx, form).await,
        ["account", "address", "remove"] => addresses::remove(ctx, form).await,
        _ => Err(WebError::NotFound),
    }
}

/// Whether a deletion form comes from its confirmation page: a deletion
/// button first leads there, so one mistaken click removes nothing.
fn confirmed(form: &Form) -> bool {
    form.get("confirm") == Some("yes")
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
