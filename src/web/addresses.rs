//! The Account page's calendar-user addresses (RFC 6638 §2.4.1): a user adds
//! and removes his own, through the same `Addresses::update` the CLI's
//! `davdir user email` writes with; the `email_domain` one is the server's.

use super::account;
use super::ctx::{blocking, Ctx};
use super::error::WebError;
use super::forms::Form;
use crate::accounts::AccountError;
use crate::http::request::Reply;
use crate::schedule::addresses::check;

/// Adds an address to the user's own. Refused: a malformed one, one in the
/// server's `email_domain` (those are the server's to give: `<user>@domain`
/// is each user's), another user's, one past the per-user bound.
pub async fn add(ctx: &Ctx<'_>, form: Form) -> Result<Reply, WebError> {
    let user = ctx.user()?.to_string();
    let address = check(&form.required("address", "Address")?)?;
    let book = ctx.app.addresses.clone();
    if book.in_domain(&address) {
        return Err(WebError::BadForm(format!(
            "{address}: addresses in {} are given by the server",
            book.domain().unwrap_or_default()
        )));
    }
    let store = ctx.app.store.clone();
    if book
        .user_of(&address, |u| store.is_user(u))
        .is_some_and(|owner| owner != user)
    {
        return Err(WebError::BadForm(format!(
            "{address} is another user's address"
        )));
    }
    let (u, a) = (user.clone(), address.clone());
    blocking(move || {
        Ok(book.update(&u, |mut list| {
            list.push(a);
            Ok(list)
        })?)
    })
    .await?;
    tracing::info!("web: {user} added the address {address}");
    account::page(ctx, Some(format!("Added {address}.")))
}

/// Removes one of the user's own addresses (never the server's).
pub async fn remove(ctx: &Ctx<'_>, form: Form) -> Result<Reply, WebError> {
    let user = ctx.user()?.to_string();
    let address = check(&form.required("address", "Address")?)?;
    let book = ctx.app.addresses.clone();
    let servers = book.domain().map(|d| format!("{user}@{d}"));
    if servers.is_some_and(|s| s.eq_ignore_ascii_case(&address)) {
        return Err(WebError::BadForm(format!(
            "{address} is given by the server and stays"
        )));
    }
    let (u, a) = (user.clone(), address.clone());
    blocking(move || {
        Ok(book.update(&u, |list| {
            let before = list.len();
            let kept: Vec<String> = list
                .into_iter()
                .filter(|x| !x.eq_ignore_ascii_case(&a))
                .collect();
            if kept.len() == before {
                return Err(AccountError::BadAddress(format!(
                    "{a:?} is not one of your addresses"
                )));
            }
            Ok(kept)
        })?)
    })
    .await?;
    tracing::info!("web: {user} removed the address {address}");
    account::page(ctx, Some(format!("Removed {address}.")))
}
