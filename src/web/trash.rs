//! The trash page: deleted collections of the user, restored or purged
//! through the store's trash API (the same as `davdir trash`).

use crate::http::method::DavMethod;
use actix_web::http::StatusCode;

use super::ctx::{blocking, Ctx};
use super::error::WebError;
use super::pages::{when, Confirm, Trash, TrashView};
use crate::dav::href::encode;
use crate::http::request::Reply;
use crate::store::{CollectionKind, StoreError};

pub async fn page(ctx: &Ctx<'_>) -> Result<Reply, WebError> {
    let store = ctx.app.store.clone();
    let user = ctx.user()?.to_string();
    let mut entries = blocking(move || Ok(store.list_trash(&user)?)).await?;
    entries.sort_by_key(|e| std::cmp::Reverse(e.deleted_at));
    let page = Trash {
        l: ctx.layout("Trash"),
        days: ctx.web().trash_days,
        entries: entries
            .into_iter()
            .map(|e| TrashView {
                path: encode(&e.id),
                name: e.name,
                kind_label: match e.kind {
                    CollectionKind::Calendar => "Calendar",
                    CollectionKind::AddressBook => "Address book",
                },
                deleted_at: when(e.deleted_at),
                objects: e.objects,
            })
            .collect(),
    };
    ctx.page(StatusCode::OK, &page)
}

/// Restores entry `id` of the user's trash; another user's ids, and ids
/// that are no trash entry, are not found.
pub async fn restore(ctx: &Ctx<'_>, id: &str) -> Result<Reply, WebError> {
    let store = ctx.app.store.clone();
    let user = ctx.user()?.to_string();
    let id = id.to_string();
    let name = blocking(move || match store.restore(&user, &id, None) {
        Ok(name) => Ok(name),
        Err(StoreError::NotFound | StoreError::InvalidName(_)) => Err(WebError::NotFound),
        Err(e) => Err(e.into()),
    })
    .await?;
    ctx.changed(DavMethod::Move, &name);
    Ok(ctx.redirect("/trash"))
}

/// Deletes entry `id` of the user's trash for good.
pub async fn purge(ctx: &Ctx<'_>, id: &str) -> Result<Reply, WebError> {
    let store = ctx.app.store.clone();
    let user = ctx.user()?.to_string();
    let entry = id.to_string();
    blocking(move || match store.purge(&user, &entry) {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound | StoreError::InvalidName(_)) => Err(WebError::NotFound),
        Err(e) => Err(e.into()),
    })
    .await?;
    tracing::info!("web: {} deleted the trash entry {id} for good", ctx.user()?);
    Ok(ctx.redirect("/trash"))
}

/// The step before `purge`: says that nothing brings the entry back.
pub async fn confirm_purge(ctx: &Ctx<'_>, id: &str) -> Result<Reply, WebError> {
    let store = ctx.app.store.clone();
    let user = ctx.user()?.to_string();
    let wanted = id.to_string();
    let entry = blocking(move || Ok(store.list_trash(&user)?))
        .await?
        .into_iter()
        .find(|e| e.id == wanted)
        .ok_or(WebError::NotFound)?;
    let page = Confirm {
        l: ctx.layout("Delete for good?"),
        question: format!(
            "Delete \u{201c}{}\u{201d} ({} items) for good? This cannot be undone.",
            entry.name, entry.objects
        ),
        action: format!("{}/trash/{}/purge", ctx.prefix, encode(id)),
        button: "Delete for good",
        cancel: format!("{}/trash", ctx.prefix),
    };
    ctx.page(StatusCode::OK, &page)
}
