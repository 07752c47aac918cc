//! Moving data in and out: import of an uploaded .ics or .vcf (the same
//! library as `davdir import`), export as one file (the same as a
//! collection GET), and delete, which moves a collection to the trash.

use crate::http::method::DavMethod;
use actix_web::http::{header, StatusCode};
use actix_web::web;

use super::collections::own;
use super::ctx::{blocking, Ctx};
use super::error::WebError;
use super::forms::Form;
use super::pages::{Confirm, ImportResult};
use super::{csrf, upload};
use crate::dav::href::encode;
use crate::http::request::{Reply, ICALENDAR, VCARD};
use crate::store::CollectionKind;

/// Imports an uploaded file into an existing collection of the user, or a
/// new one (named by the form, else after the file); shows the report.
pub async fn import(ctx: &Ctx<'_>, payload: web::Payload) -> Result<Reply, WebError> {
    let up = upload::read(
        ctx.req.headers(),
        payload,
        "file",
        ctx.app.request_timeout,
        &ctx.app.uploads,
    )
    .await?;
    csrf::check(ctx.session()?, up.fields.get(csrf::FIELD))?;
    if up.file.is_empty() {
        return Err(WebError::BadForm("choose a file to import".into()));
    }
    let target = match up.fields.optional("target")? {
        Some(id) => {
            // An existing collection: the user's own, or not found.
            own(ctx, &id).await?;
            id
        }
        None => new_name(&up.fields, up.file_name.as_deref())?,
    };
    let store = ctx.app.store.clone();
    let user = ctx.user()?.to_string();
    let t = target.clone();
    let bytes = up.file;
    // Counted until the import is done with the file: moved into the work,
    // which goes on when the client leaves (and this future is dropped).
    let share = up.share;
    let file_name = up.file_name.clone();
    let fresh = up.fields.optional("target")?.is_none();
    let (target, report) = blocking(move || {
        store.ensure_home(&user)?;
        // A new collection never lands in an existing one of the same name.
        let t = if fresh {
            super::collections::free_id(&store, &user, &t)?
        } else {
            t
        };
        let report = crate::import::import(&store, &user, &t, &bytes, file_name.as_deref())?;
        drop((bytes, share));
        Ok((t, report))
    })
    .await?;
    if report.created > 0 || report.collection_created {
        ctx.changed(DavMethod::Put, &target);
    }
    let page = ImportResult {
        l: ctx.layout("Import"),
        collection: target,
        collection_created: report.collection_created,
        kind_label: match report.kind {
            CollectionKind::Calendar => "calendar",
            CollectionKind::AddressBook => "address book",
        },
        created: report.created,
        unchanged: report.unchanged,
        skipped: report
            .skipped
            .into_iter()
            .map(|s| (s.item, s.reason))
            .collect(),
    };
    ctx.page(StatusCode::OK, &page)
}

/// The id of a collection an import makes: typed, else from the file name.
fn new_name(fields: &Form, file_name: Option<&str>) -> Result<String, WebError> {
    if let Some(typed) = fields.optional("new_name")? {
        return super::collections::id_for(&typed);
    }
    let stem = file_name
        .map(|n| n.rsplit_once('.').map_or(n, |(stem, _)| stem))
        .unwrap_or("imported");
    super::collections::id_for(stem)
}

/// The collection as one .ics or .vcf download, streamed.
pub async fn export(ctx: &Ctx<'_>, id: &str) -> Result<Reply, WebError> {
    let c = own(ctx, id).await?;
    let title = c
        .props()
        .ok()
        .and_then(|p| p.displayname)
        .unwrap_or_else(|| id.to_string());
    let (content_type, ext) = match c.kind() {
        CollectionKind::Calendar => (ICALENDAR, "ics"),
        CollectionKind::AddressBook => (VCARD, "vcf"),
    };
    let file: String = id
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || "-._".contains(ch) {
                ch
            } else {
                '_'
            }
        })
        .collect();
    let name = c.name.clone();
    Ok(Reply::stream(StatusCode::OK, content_type, move |sink| {
        if let Err(e) = crate::export::export(&c, &title, &mut |text| sink.push(text)) {
            tracing::warn!("export of {name} failed: {e}");
        }
    })
    .header(
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{file}.{ext}\""),
    ))
}

/// Moves the collection to the user's trash (the same as a DAV DELETE).
pub async fn delete(ctx: &Ctx<'_>, id: &str) -> Result<Reply, WebError> {
    own(ctx, id).await?;
    let store = ctx.app.store.clone();
    let user = ctx.user()?.to_string();
    let name = id.to_string();
    blocking(move || Ok(store.trash(&user, &name)?)).await?;
    tracing::info!(
        "web: {} deleted the collection {id} (moved to the trash)",
        ctx.user()?
    );
    ctx.changed(DavMethod::Delete, id);
    Ok(ctx.redirect("/"))
}

/// The step before `delete`: names the collection and what happens to it.
pub async fn confirm_delete(ctx: &Ctx<'_>, id: &str) -> Result<Reply, WebError> {
    let coll = own(ctx, id).await?;
    let title = blocking(move || Ok(coll.props()?.displayname))
        .await?
        .unwrap_or_else(|| id.to_string());
    let page = Confirm {
        l: ctx.layout("Delete?"),
        question: format!(
            "Delete \u{201c}{title}\u{201d}? It moves to the Trash, where it can be restored for {} days.",
            ctx.web().trash_days
        ),
        action: format!("{}/c/{}/delete", ctx.prefix, encode(id)),
        button: "Delete",
        cancel: format!("{}/", ctx.prefix),
    };
    ctx.page(StatusCode::OK, &page)
}
