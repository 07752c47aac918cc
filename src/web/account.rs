//! Logging in and out of the web page with the account password (never an
//! app password: those are for devices), rate-limited per client and name.

use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::web;

use super::error::WebError;
use super::forms;
use super::pages::Login;
use super::routes::{blocking, Ctx};
use super::session;
use crate::config::Config;
use crate::http::auth::Htpasswd;
use crate::http::request::Reply;

/// Where account passwords are checked.
pub enum Accounts {
    /// The htpasswd file the server authenticates DAV against.
    Htpasswd(Arc<Htpasswd>),
    /// `--no-auth` (loopback only): any user name, as DAV takes it.
    Open,
}

impl Accounts {
    pub fn new(config: &Config) -> std::io::Result<Accounts> {
        Ok(match &config.htpasswd {
            Some(path) => Accounts::Htpasswd(Arc::new(Htpasswd::load(path.clone())?)),
            None => Accounts::Open,
        })
    }

    /// Whether `password` is `user`'s account password (blocking: hashes).
    fn verify(&self, user: &str, password: &str) -> bool {
        match self {
            Accounts::Htpasswd(file) => file.verify(user, password),
            Accounts::Open => crate::store::names::check_segment(user).is_ok(),
        }
    }
}

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
    let reply = ctx.page(crate::http::error::web_status(e), &Login { l, username })?;
    Ok(match e {
        WebError::Throttled(secs) => reply.header(header::RETRY_AFTER, secs.to_string()),
        _ => reply,
    })
}

/// A login form from another site is refused: the browser says where a
/// form came from in `Origin`, and ours comes from this host.
fn same_origin(ctx: &Ctx) -> Result<(), WebError> {
    let headers = ctx.req.headers();
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = url::Url::parse(origin).ok().map(|u| match u.port() {
        Some(p) => format!("{}:{p}", u.host_str().unwrap_or_default()),
        None => u.host_str().unwrap_or_default().to_string(),
    });
    match (origin_host, host) {
        (Some(o), Some(h)) if o.eq_ignore_ascii_case(h) => Ok(()),
        _ => Err(WebError::ForeignOrigin),
    }
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
    if let Some(left) = web.backoff.blocked(client, &user) {
        let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        return refused(ctx, user, &WebError::Throttled(secs));
    }
    let app = ctx.app.clone();
    let (u, p) = (user.clone(), password);
    let ok = blocking(move || Ok(app.web.accounts.verify(&u, &p))).await?;
    if !ok {
        let from = client.map_or_else(|| "unknown address".to_string(), |c| c.to_string());
        let shown: String = user.chars().take(64).collect();
        tracing::warn!("failed web login for user {shown:?} from {from}");
        web.backoff.failed(client, &user);
        return refused(ctx, user, &WebError::BadLogin);
    }
    web.backoff.succeeded(client, &user);
    let store = ctx.app.store.clone();
    let u = user.clone();
    blocking(move || Ok(store.ensure_home(&u)?)).await?;
    let (id, _) = web.sessions.create(&user);
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
