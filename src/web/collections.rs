//! The user's calendars and address books: listing them with their URLs,
//! and creating, renaming, recolouring and describing them through the
//! same store calls as MKCOL and PROPPATCH. A collection id is a directory
//! name in the logged-in user's home only, so another user's id is simply
//! not found.

use crate::http::method::DavMethod;
use std::sync::Arc;

use actix_web::http::StatusCode;

use super::ctx::{blocking, Ctx};
use super::error::WebError;
use super::find::own;
use super::forms::Form;
use super::pages::{CollectionView, Home};
use super::sharing;
use crate::dav::color::store_color;
use crate::dav::href::encode;
use crate::http::request::Reply;
use crate::store::{Collection, CollectionKind, PropChange, Store, StoreError};

/// Colour shown for a collection that has none.
const NO_COLOR: &str = "#8a93a6";
/// Longest collection id the page makes from a name.
const MAX_ID: usize = 64;

/// The home page: every collection of the user, each with its shares,
/// then those others share with him.
pub async fn home(ctx: &Ctx<'_>, notice: Option<String>) -> Result<Reply, WebError> {
    let store = ctx.app.store.clone();
    let user = ctx.user()?.to_string();
    let origin = ctx.origin();
    let base = ctx.app.base.clone();
    let (collections, shared, groups) = blocking(move || {
        let mut views = Vec::new();
        for (name, kind) in store.collection_names(&user)? {
            let c = match store.collection(&user, &name) {
                Ok(c) => c,
                Err(StoreError::NotFound) => continue,
                Err(e) => return Err(e.into()),
            };
            views.push(view(&store, &c, &name, kind, &origin, &base)?);
        }
        let shared = sharing::shared_with(&store, &user, &origin, &base)?;
        Ok((views, shared, store.groups_configured()))
    })
    .await?;
    let mut l = ctx.layout("Calendars and address books");
    l.notice = notice;
    let page = Home {
        l,
        collections,
        shared,
        groups,
    };
    ctx.page(StatusCode::OK, &page)
}

fn view(
    store: &Store,
    c: &Collection,
    id: &str,
    kind: CollectionKind,
    origin: &super::client::Origin,
    base: &crate::dav::href::Base,
) -> Result<CollectionView, WebError> {
    let props = c.props()?;
    let count = c.objects()?.len();
    let path = base.collection(&c.user, id);
    let calendar = kind == CollectionKind::Calendar;
    let editable = store.refuse_derived(id).is_ok();
    Ok(CollectionView {
        id: id.to_string(),
        path: encode(id),
        name: props.displayname.clone().unwrap_or_else(|| id.to_string()),
        kind_label: if calendar { "Calendar" } else { "Address book" },
        dav_label: if calendar { "CalDAV" } else { "CardDAV" },
        count,
        count_label: match (calendar, count) {
            (true, 1) => "item",
            (true, _) => "items",
            (false, 1) => "contact",
            (false, _) => "contacts",
        },
        description: props.description.clone(),
        swatch: props.color.clone().unwrap_or_else(|| NO_COLOR.to_string()),
        dav_url: format!("{}{path}", origin.http()),
        webcal_url: calendar.then(|| format!("{}{path}", origin.webcal())),
        editable,
        shares: if editable {
            sharing::shares_of(store, &c.user, id)
        } else {
            Vec::new()
        },
    })
}

/// The colour field as the vdir file stores it; refused when not a colour.
fn color(form: &Form) -> Result<Option<String>, WebError> {
    form.optional("color")?
        .map(|c| store_color(&c).ok_or_else(|| WebError::BadForm(format!("{c:?} is not a colour"))))
        .transpose()
}

/// An id made from a display name: lower-case letters, digits and dashes.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= MAX_ID {
            break;
        }
    }
    out.trim_end_matches('-').to_string()
}

/// An id typed by the user: URL-safe characters, not hidden.
fn typed_id(id: &str) -> Result<String, WebError> {
    let ok = id.len() <= MAX_ID
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c));
    if ok {
        Ok(id.to_string())
    } else {
        Err(WebError::BadForm(format!(
            "{id:?}: a short name has at most {MAX_ID} letters, digits, '-', '.' or '_' and does not start with '.'"
        )))
    }
}

/// An id for a collection named `name` by the user: the name itself when
/// it is a valid id, else one made from it.
pub fn id_for(name: &str) -> Result<String, WebError> {
    match typed_id(name) {
        Ok(id) if !id.is_empty() => Ok(id),
        _ => match slug(name) {
            s if s.is_empty() => Ok(uuid::Uuid::new_v4().simple().to_string()),
            s => Ok(s),
        },
    }
}

/// `stem`, or `stem-2`, `stem-3`... whichever no collection of the user has.
pub fn free_id(store: &Arc<Store>, user: &str, stem: &str) -> Result<String, WebError> {
    for n in 1..100 {
        let id = if n == 1 {
            stem.to_string()
        } else {
            format!("{stem}-{n}")
        };
        match store.collection(user, &id) {
            Err(StoreError::NotFound) if store.refuse_derived(&id).is_ok() => return Ok(id),
            _ => continue,
        }
    }
    Err(WebError::BadForm("that name is taken; give another".into()))
}

/// Creates a calendar or address book (the same call as MKCOL).
pub async fn create(ctx: &Ctx<'_>, form: Form) -> Result<Reply, WebError> {
    let kind = match form.get("kind") {
        Some("calendar") => CollectionKind::Calendar,
        Some("addressbook") => CollectionKind::AddressBook,
        _ => {
            return Err(WebError::BadForm(
                "kind must be calendar or address book".into(),
            ))
        }
    };
    let name = form.required("displayname", "Name")?;
    let typed = form.optional("id")?.map(|id| typed_id(&id)).transpose()?;
    let mut changes = vec![PropChange::DisplayName(Some(name.clone()))];
    if let Some(c) = color(&form)? {
        changes.push(PropChange::Color(Some(c)));
    }
    if let Some(d) = form.optional("description")? {
        changes.push(PropChange::Description(Some(d)));
    }
    let store = ctx.app.store.clone();
    let user = ctx.user()?.to_string();
    let made = blocking(move || {
        store.ensure_home(&user)?;
        match typed {
            Some(id) => {
                store.create_collection(kind, &user, &id, &changes)?;
                Ok(id)
            }
            None => create_named(&store, kind, &user, &slug(&name), &changes),
        }
    })
    .await?;
    tracing::info!("web: {} created {made}", ctx.user()?);
    ctx.changed(DavMethod::Mkcol, &made);
    Ok(ctx.redirect("/"))
}

/// Creates under `stem`, or `stem-2`, `stem-3`... when taken (a random id
/// when the name gave no usable characters).
fn create_named(
    store: &Arc<Store>,
    kind: CollectionKind,
    user: &str,
    stem: &str,
    changes: &[PropChange],
) -> Result<String, WebError> {
    let stem = if stem.is_empty() {
        uuid::Uuid::new_v4().simple().to_string()
    } else {
        stem.to_string()
    };
    for n in 1..100 {
        let id = if n == 1 {
            stem.clone()
        } else {
            format!("{stem}-{n}")
        };
        match store.create_collection(kind, user, &id, changes) {
            Ok(_) => return Ok(id),
            Err(StoreError::AlreadyExists | StoreError::Derived(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(WebError::BadForm(
        "that name is taken; give a short name".into(),
    ))
}

/// Renames, recolours and describes (the same call as PROPPATCH).
pub async fn edit(ctx: &Ctx<'_>, id: &str, form: Form) -> Result<Reply, WebError> {
    let c = own(ctx, id).await?;
    ctx.app.store.refuse_derived(id)?;
    let changes = vec![
        PropChange::DisplayName(Some(form.required("displayname", "Name")?)),
        PropChange::Color(color(&form)?),
        PropChange::Description(form.optional("description")?),
    ];
    blocking(move || Ok(c.set_props(&changes)?)).await?;
    ctx.changed(DavMethod::Proppatch, id);
    Ok(ctx.redirect("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_typed_ids() {
        assert_eq!(slug("Family Calendar!"), "family-calendar");
        assert_eq!(slug("  Ünï  "), "n");
        assert_eq!(slug("日本"), "");
        assert_eq!(slug(&"a".repeat(100)).len(), MAX_ID);
        assert!(typed_id("work-2024").is_ok());
        for bad in [".trash", "a/b", "a b", "%2e"] {
            assert!(typed_id(bad).is_err(), "{bad}");
        }
    }
}
