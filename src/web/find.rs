//! The logged-in user's collection a page URL names, found one way for
//! every area of the page that shows or changes one (collections, sharing,
//! import and export), so none of them leans on another for it.

use super::ctx::{blocking, Ctx};
use super::error::WebError;
use crate::store::{Collection, StoreError};

/// The logged-in user's own collection `id`, to change; NotFound for
/// anything else (another user's ids, and the views of collections shared
/// with him: only their owner changes or shares them).
pub async fn own(ctx: &Ctx<'_>, id: &str) -> Result<Collection, WebError> {
    let c = readable(ctx, id).await?;
    match c.shared_view() {
        Some(_) => Err(WebError::NotFound),
        None => Ok(c),
    }
}

/// A collection in the logged-in user's home, to read: his own, or a view
/// of one shared with him; NotFound for anything else.
pub async fn readable(ctx: &Ctx<'_>, id: &str) -> Result<Collection, WebError> {
    let store = ctx.app.store.clone();
    let user = ctx.user()?.to_string();
    let id = id.to_string();
    blocking(move || match store.collection(&user, &id) {
        Ok(c) => Ok(c),
        Err(StoreError::NotFound | StoreError::InvalidName(_)) => Err(WebError::NotFound),
        Err(e) => Err(e.into()),
    })
    .await
}
