//! Sharing from the page (docs/DESIGN.md "Sharing"): the owner shares one
//! of his collections with a user or `@group` and revokes shares. Every
//! change is an edit of the owner's `[share]` table through
//! `Store::set_share`, the same call as `davdir share`, so the page, the
//! command line and DAV clients see one truth at once.

use super::collections::own;
use super::ctx::{blocking, Ctx};
use super::error::WebError;
use super::forms::Form;
use super::pages::ShareView;
use crate::http::method::DavMethod;
use crate::http::request::Reply;
use crate::store::{Access, Store};

/// The shares of the user's collection `id`, as its table says.
pub fn shares_of(store: &Store, user: &str, id: &str) -> Vec<ShareView> {
    let (entries, _) = store.read_share_table(user, id);
    entries
        .into_iter()
        .map(|(sharee, access)| ShareView {
            sharee,
            access_label: access_label(access),
        })
        .collect()
}

fn access_label(access: Access) -> &'static str {
    match access {
        Access::Read => "read only",
        Access::ReadWrite => "read and write",
    }
}

/// Shares the user's collection `id` with the user or `@group` the form
/// names; an unknown one, or the user himself, is refused with its reason
/// and nothing is written.
pub async fn share(ctx: &Ctx<'_>, id: &str, form: Form) -> Result<Reply, WebError> {
    own(ctx, id).await?;
    ctx.app.store.refuse_derived(id)?;
    let sharee = form.required("sharee", "User or group")?;
    let access = match form.get("access") {
        Some(text) => Access::parse(text),
        None => Some(Access::Read),
    }
    .ok_or_else(|| WebError::BadForm("access must be read or read-write".into()))?;
    let user = ctx.user()?.to_string();
    let store = ctx.app.store.clone();
    let (owner, name, who) = (user.clone(), id.to_string(), sharee.clone());
    blocking(move || {
        if let Some(reason) = store.sharee_refused(&owner, &who) {
            return Err(WebError::BadForm(format!("not shared: {reason}")));
        }
        Ok(store.set_share(&owner, &name, &who, Some(access))?)
    })
    .await?;
    tracing::info!(
        "web: {user} shared {id} with {sharee} ({})",
        access.as_str()
    );
    ctx.changed(DavMethod::Proppatch, id);
    Ok(ctx.redirect("/"))
}

/// Ends the share of the user's collection `id` with the form's `sharee`.
pub async fn revoke(ctx: &Ctx<'_>, id: &str, form: Form) -> Result<Reply, WebError> {
    own(ctx, id).await?;
    let sharee = form.required("sharee", "User or group")?;
    let user = ctx.user()?.to_string();
    let store = ctx.app.store.clone();
    let (owner, name, who) = (user.clone(), id.to_string(), sharee.clone());
    blocking(move || Ok(store.set_share(&owner, &name, &who, None)?)).await?;
    tracing::info!("web: {user} stopped sharing {id} with {sharee}");
    ctx.changed(DavMethod::Proppatch, id);
    Ok(ctx.redirect("/"))
}
