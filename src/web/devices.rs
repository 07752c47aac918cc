//! Devices: app passwords (made, listed, revoked; the secret is shown once)
//! and the Apple configuration profile, which carries a fresh one.

use actix_web::http::{header, StatusCode};

use super::ctx::{blocking, Ctx};
use super::error::WebError;
use super::forms::Form;
use super::mobileconfig::{self, Profile};
use super::pages::{when, AppPasswordView, Devices};
use crate::dav::href::encode;
use crate::http::request::Reply;

/// Labels an Apple profile's app password gets, one per download.
const PROFILE_LABEL: &str = "Apple profile";

/// The devices page; `new_secret` is the (label, secret) just made.
pub async fn page(ctx: &Ctx<'_>, new_secret: Option<(String, String)>) -> Result<Reply, WebError> {
    let apps = ctx.app.app_passwords.clone();
    let user = ctx.user()?.to_string();
    let list = {
        let user = user.clone();
        blocking(move || Ok(apps.list(&user)?)).await?
    };
    let passwords = list
        .into_iter()
        .map(|p| AppPasswordView {
            path: encode(&p.label),
            created: when(p.created),
            last_used: p.last_used.map_or_else(|| "never".to_string(), when),
            label: p.label,
        })
        .collect();
    let page = Devices {
        l: ctx.layout("Devices"),
        passwords,
        new_secret,
        server_url: format!("{}{}", ctx.origin().http(), ctx.app.base.root()),
        user,
    };
    ctx.page(StatusCode::OK, &page)
}

/// Makes an app password and shows it on the page, once.
pub async fn create(ctx: &Ctx<'_>, form: Form) -> Result<Reply, WebError> {
    let label = form.required("label", "Device name")?;
    let apps = ctx.app.app_passwords.clone();
    let user = ctx.user()?.to_string();
    let l = label.clone();
    let secret = blocking(move || Ok(apps.create(&user, &l)?)).await?;
    page(ctx, Some((label, secret))).await
}

/// Revokes the user's app password `label` (404 when the user has none).
pub async fn revoke(ctx: &Ctx<'_>, label: &str) -> Result<Reply, WebError> {
    let apps = ctx.app.app_passwords.clone();
    let user = ctx.user()?.to_string();
    let label = label.to_string();
    if !blocking(move || Ok(apps.revoke(&user, &label)?)).await? {
        return Err(WebError::NotFound);
    }
    Ok(ctx.redirect("/devices"))
}

/// A `.mobileconfig` with CalDAV and CardDAV accounts and a new app password.
pub async fn profile(ctx: &Ctx<'_>) -> Result<Reply, WebError> {
    let apps = ctx.app.app_passwords.clone();
    let user = ctx.user()?.to_string();
    let (u, stamp) = (user.clone(), chrono::Utc::now().format("%Y-%m-%d %H:%M:%S"));
    let secret = blocking(move || {
        let base = format!("{PROFILE_LABEL} {stamp}");
        // Two downloads within a second get distinct labels.
        for n in 1..10 {
            let label = if n == 1 {
                base.clone()
            } else {
                format!("{base} ({n})")
            };
            match apps.create(&u, &label) {
                Err(crate::accounts::AccountError::DuplicateLabel { .. }) => continue,
                other => return Ok(other?),
            }
        }
        Err(WebError::BadForm("too many profiles at once; retry".into()))
    })
    .await?;
    let origin = ctx.origin();
    let principal = ctx.app.base.home(&user);
    let xml = Profile {
        user: &user,
        password: &secret,
        origin: &origin,
        principal_path: &principal,
    }
    .to_xml()?;
    let file = format!("davdir-{}.mobileconfig", encode(&user));
    Ok(
        Reply::full(StatusCode::OK, mobileconfig::CONTENT_TYPE, xml).header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ),
    )
}
