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
