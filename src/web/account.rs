//! Logging in and out of the web page with the account password (never an
//! app password: those are for devices), rate-limited per client and name.

use actix_web::http::{header, StatusCode};
use actix_web::web;

use super::ctx::{blocking, Ctx};
use super::error::WebError;
use super::forms;
use super::pages::{Account as AccountPage, Login};
use super::session;
use crate::accounts::AccountError;
use crate::http::auth::AuthError;
use crate::http::request::Reply;

/// The login form.
pub fn login_page(ctx: &Ctx) -> Result<Reply, WebError> {
    let page = Login {
        l: ctx.layout("Log in"),
        username: String::new(),
    };
    ctx.page(StatusCode::OK, &page)
}

/// The login form again, with why the last try failed.
fn refused(ctx: &Ctx, username: String, e: &WebError) -> Result<Reply, WebError> {
    let mut l = ctx.layout("Log in");
    l.error = Some(e.to_string());
    let reply = ctx.page(e.status(), &Login { l, username })?;
    Ok(match e {
        WebError::Throttled(secs) => reply.header(header::RETRY_AFTER, secs.to_string()),
        _ => reply,
    })
}

/// A login form from another site is refused (login CSRF: being logged
/// in as the attacker). Browsers say where a request comes from in
/// `Sec-Fetch-Site`; older ones only in `Origin`, compared with the hosts
/// this server is reached at (the request's, a trusted proxy's, `public_url`).
fn same_origin(ctx: &Ctx) -> Result<(), WebError> {
    let headers = ctx.req.headers();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return match site {
            "same-origin" | "none" => Ok(()),
            _ => Err(WebError::ForeignOrigin),
        };
    }
    let Some(origin) = text("origin") else {
        return Ok(());
    };
    let Some(from) = url::Url::parse(origin).ok().and_then(|u| host_port(&u)) else {
        return Err(WebError::ForeignOrigin);
    };
    let web = ctx.web();
    let proxied = ctx
        .req
        .peer_addr()
        .is_some_and(|p| web.proxies.contains(&p.ip()));
    let mut ours: Vec<String> = text("host").into_iter().map(str::to_string).collect();
    if proxied {
        ours.extend(text("x-forwarded-host").map(str::to_string));
    }
    ours.extend(web.public_url.as_ref().and_then(host_port));
    if ours.iter().any(|h| h.eq_ignore_ascii_case(&from)) {
        Ok(())
    } else {
        Err(WebError::ForeignOrigin)
    }
}

/// `host[:port]` as a Host header writes it (no port when the default).
fn host_port(u: &url::Url) -> Option<String> {
    let host = u.host_str()?;
    Some(match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    })
}

/// Checks the account password; on success starts a session and sets its
/// cookie. Failures count towards the client's and the name's backoff.
pub async fn login(ctx: &Ctx<'_>, payload: web::Payload) -> Result<Reply, WebError> {
    same_origin(ctx)?;
    let form = forms::read(payload, ctx.app.request_timeout).await?;
    let user = form.required("username", "User name")?;
    let password = form.secret("password", "Password")?;
    let web = ctx.web();
    let client = super::client::address(ctx.req, &web.proxies);
    // Taken before the check: see `Sessions::create`.
    let account = ctx.app.auth.fingerprint(&user);
    // The account password only (never an app password), counted in the
    // same backoff as DAV logins, so the page is no second guessing channel.
    let checked = ctx
        .app
        .auth
        .verify_account_password(&user, &password, client)
        .await;
    if let Err(e) = checked {
        return refused(ctx, user, &refusal(e, WebError::BadLogin));
    }
    // No entry before the check (the user was added meanwhile): no session
    // to bind to it; the next try gets one.
    let Some(account) = account else {
        return refused(ctx, user, &WebError::BadLogin);
    };
    let store = ctx.app.store.clone();
    let u = user.clone();
    blocking(move || Ok(store.ensure_home(&u)?)).await?;
    let (id, _) = web.sessions.create(&user, account);
    crate::http::log_user(ctx.req, &user);
    let cookie = session::cookie(
        &id,
        &ctx.cookie_path(),
        ctx.is_tls(),
        web.sessions.lifetime(),
    );
    Ok(ctx
        .redirect("/")
        .header(header::SET_COOKIE, cookie.to_string()))
}

/// Ends the session on the server (the cookie is worthless from now on)
/// and tells the browser to forget it.
pub fn logout(ctx: &Ctx) -> Result<Reply, WebError> {
    if let Some((id, _)) = &ctx.session {
        ctx.web().sessions.end(id);
    }
    let removal = session::removal(&ctx.cookie_path(), ctx.is_tls());
    Ok(ctx
        .redirect("/")
        .header(header::SET_COOKIE, removal.to_string()))
}

/// The account page.
pub fn page(ctx: &Ctx, notice: Option<String>) -> Result<Reply, WebError> {
    let mut l = ctx.layout("Account");
    l.notice = notice;
    let user = ctx.user()?;
    let book = &ctx.app.addresses;
    let page = AccountPage {
        l,
        server_address: book.domain().map(|d| format!("{user}@{d}")),
        own: book.given(user),
        max: crate::schedule::addresses::MAX_PER_USER,
    };
    ctx.page(StatusCode::OK, &page)
}

/// What the page answers when the account password was not accepted:
/// `wrong` when it was checked and wrong, else why it was not checked.
fn refusal(e: AuthError, wrong: WebError) -> WebError {
    match e {
        AuthError::Throttled(_) => WebError::Throttled(e.retry_after().unwrap_or(1)),
        AuthError::Busy => WebError::Busy,
        AuthError::Missing | AuthError::Rejected | AuthError::InvalidUser(_) => wrong,
    }
}

/// Changes the user's htpasswd password (the current one must be given),
/// then ends the user's other sessions: a browser left logged in elsewhere
/// is logged out. The current password is checked like a login, backoff
/// included, so a borrowed session cannot guess it quickly.
pub async fn change_password(ctx: &Ctx<'_>, form: forms::Form) -> Result<Reply, WebError> {
    let current = form.secret("current", "Current password")?;
    let new = form.secret("new", "New password")?;
    if form.get("repeat") != Some(new.as_str()) {
        return Err(WebError::BadForm("the new passwords differ".into()));
    }
    crate::accounts::users::check_new_password(&new)?;
    let client = super::client::address(ctx.req, &ctx.web().proxies);
    ctx.app
        .auth
        .verify_account_password(ctx.user()?, &current, client)
        .await
        .map_err(|e| refusal(e, AccountError::WrongPassword.into()))?;
    let app = ctx.app.clone();
    let user = ctx.user()?.to_string();
    let u = user.clone();
    let account = blocking(move || Ok(app.auth.change_password(&u, &current, &new)?)).await?;
    if let Some((id, _)) = &ctx.session {
        ctx.web().sessions.end_others(&user, id, account);
    }
    tracing::info!("web: {user} changed their password");
    page(ctx, Some("Password changed.".into()))
}
