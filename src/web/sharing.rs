//! Sharing from the page (docs/DESIGN.md "Sharing"): the owner shares one
//! of his collections with a user or `@group` and revokes shares; a sharee
//! sees what is shared with him and can leave a share. Every change is an
//! edit of the owner's `[share]` table through `Store::set_share`, the same
//! call as `davdir share` and a sharee's DELETE of his view, so the page,
//! the command line and DAV clients see one truth at once.

use actix_web::http::StatusCode;

use super::ctx::{blocking, changed, Ctx};
use super::error::WebError;
use super::find::own;
use super::forms::Form;
use super::pages::{Confirm, ShareView, SharedView};
use crate::dav::href::{encode, Base};
use crate::http::method::DavMethod;
use crate::http::request::Reply;
use crate::store::{Access, CollectionKind, Store, StoreError};

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

/// The collections others share with `user` that his home shows (a
/// directory of his own of the same name hides one).
pub fn shared_with(
    store: &std::sync::Arc<Store>,
    user: &str,
    origin: &super::client::Origin,
    base: &Base,
) -> Result<Vec<SharedView>, WebError> {
    let mut out = Vec::new();
    for (name, _) in store.views_of(user)? {
        let c = match store.collection(user, &name) {
            Ok(c) => c,
            Err(StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        let Some(view) = c.shared_view() else {
            continue; // his own directory of that name
        };
        let (owner, access) = (view.owner.clone(), view.access);
        let props = c.props()?;
        let calendar = c.kind() == CollectionKind::Calendar;
        out.push(SharedView {
            path: encode(&name),
            name: props.displayname.unwrap_or_else(|| name.clone()),
            id: name,
            owner,
            access_label: access_label(access),
            kind_label: if calendar { "Calendar" } else { "Address book" },
            dav_label: if calendar { "CalDAV" } else { "CardDAV" },
            dav_url: format!("{}{}", origin.http(), base.collection(user, &c.name)),
        });
    }
    Ok(out)
}

fn access_label(access: Access) -> &'static str {
    match access {
        Access::Read => "read only",
        Access::ReadWrite => "read and write",
    }
}

/// Shares the user's collection `id` with the user or `@group` the form
/// names; an unknown one, or the user himself, is refused with its reason
/// and nothing is written. The hook hears of it as of a `CS:share` POST.
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
    ctx.changed(DavMethod::Post, id);
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
    ctx.changed(DavMethod::Post, id);
    Ok(ctx.redirect("/"))
}

/// The view `id` in the user's home; NotFound for anything else (his own
/// collections included: those he deletes).
async fn view(ctx: &Ctx<'_>, id: &str) -> Result<(String, String, String), WebError> {
    let store = ctx.app.store.clone();
    let user = ctx.user()?.to_string();
    let id = id.to_string();
    blocking(move || {
        let c = match store.collection(&user, &id) {
            Ok(c) => c,
            Err(StoreError::NotFound | StoreError::InvalidName(_)) => {
                return Err(WebError::NotFound)
            }
            Err(e) => return Err(e.into()),
        };
        let Some(view) = c.shared_view() else {
            return Err(WebError::NotFound);
        };
        let (owner, collection) = (view.owner.clone(), view.collection.clone());
        let title = c.props()?.displayname.unwrap_or_else(|| id.clone());
        Ok((owner, collection, title))
    })
    .await
}

/// Leaves the share the user's view `id` shows (the same as a DELETE of
/// the view): his line goes from the owner's table, nothing else.
pub async fn leave(ctx: &Ctx<'_>, id: &str) -> Result<Reply, WebError> {
    let (owner, collection, _) = view(ctx, id).await?;
    let store = ctx.app.store.clone();
    let user = ctx.user()?.to_string();
    let name = id.to_string();
    blocking(move || Ok(store.delete_collection(&user, &name)?)).await?;
    tracing::info!(
        "web: {} left the share of {owner}/{collection}",
        ctx.user()?
    );
    changed(ctx.app, &owner, DavMethod::Post, &collection);
    Ok(ctx.redirect("/"))
}

/// The step before `leave`: what goes and what stays.
pub async fn confirm_leave(ctx: &Ctx<'_>, id: &str) -> Result<Reply, WebError> {
    let (owner, _, title) = view(ctx, id).await?;
    let page = Confirm {
        l: ctx.layout("Remove share?"),
        question: format!(
            "Remove \u{201c}{title}\u{201d} from your collections? {owner} keeps it; \
             only {owner} can share it with you again."
        ),
        action: format!("{}/c/{}/leave", ctx.prefix, encode(id)),
        button: "Remove",
        cancel: format!("{}/", ctx.prefix),
    };
    ctx.page(StatusCode::OK, &page)
}
