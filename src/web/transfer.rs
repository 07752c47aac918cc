//! Moving data in and out: import of an uploaded .ics or .vcf (the same
//! library as `davdir import`, run as a background job with a page of its
//! own), export as one file (the same as a
//! collection GET), and delete, which moves a collection to the trash.

use crate::http::method::DavMethod;
use actix_web::http::{header, StatusCode};
use actix_web::web;

use super::ctx::{blocking, Ctx};
use super::error::WebError;
use super::find::{own, readable};
use super::forms::Form;
use super::pages::{Confirm, ImportResult, ImportRunning};
use super::{csrf, jobs, upload};
use crate::dav::href::encode;
use crate::http::request::{Reply, ICALENDAR, VCARD};
use crate::store::CollectionKind;

/// Starts an import of an uploaded file into an existing collection of the
/// user, or a new one (named by the form, else after the file), as a job
/// of the user that goes on whether or not the browser stays; answers at
/// once with a 303 to the job's page.
pub async fn import(ctx: &Ctx<'_>, payload: web::Payload) -> Result<Reply, WebError> {
    // Refused before the upload is read, when it would be refused after.
    ctx.web().imports.check_idle(ctx.user()?)?;
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
    // Told at once rather than on the job's page.
    if crate::import::kind_of_file(&up.file).is_none() {
        return Err(crate::import::ImportError::UnknownFormat.into());
    }
    let fresh = up.fields.optional("target")?.is_none();
    let target = match up.fields.optional("target")? {
        Some(id) => {
            // An existing collection: the user's own, or not found.
            own(ctx, &id).await?;
            id
        }
        None => new_name(&up.fields, up.file_name.as_deref())?,
    };
    let user = ctx.user()?.to_string();
    let (id, job) = ctx.web().imports.start(&user)?;
    let app = ctx.app.clone();
    // The upload's share of the memory budget is held until the job is
    // done with the file.
    let (bytes, share, file_name) = (up.file, up.share, up.file_name);
    actix_web::rt::task::spawn_blocking(move || {
        let guard = jobs::FinishGuard(job);
        let job = &guard.0;
        let run = || -> Result<jobs::Finished, WebError> {
            let store = &app.store;
            store.ensure_home(&user)?;
            // A new collection never lands in an existing one of the same name.
            let target = if fresh {
                super::collections::free_id(store, &user, &target)?
            } else {
                target
            };
            let report = crate::import::import_with_progress(
                store,
                &user,
                &target,
                &bytes,
                file_name.as_deref(),
                &mut |done, total| job.advance(done, total),
            )?;
            if report.created > 0 || report.collection_created {
                super::ctx::changed(&app, &user, DavMethod::Put, &target);
            }
            Ok(jobs::Finished {
                collection: target,
                report,
            })
        };
        let outcome = run();
        drop((bytes, share));
        if let Err(e) = &outcome {
            tracing::warn!("web: an import of {user} failed: {e}");
        }
        job.finish(outcome);
    });
    Ok(ctx.redirect(&format!("/import/{id}")))
}

/// The page of an import job: its progress, refreshing itself while it
/// runs, then its report (or why it failed). Another user's job, and one
/// forgotten, are not found.
pub fn job_page(ctx: &Ctx<'_>, id: &str) -> Result<Reply, WebError> {
    let job = ctx
        .web()
        .imports
        .get(id, ctx.user()?)
        .ok_or(WebError::NotFound)?;
    job.with_outcome(|outcome| match outcome {
        None => {
            let (done, total) = job.progress();
            let page = ImportRunning {
                l: ctx.layout("Importing"),
                done,
                total,
            };
            ctx.page(StatusCode::OK, &page)
        }
        Some(Err(e)) => Ok(ctx.error_page(e)),
        Some(Ok(f)) => {
            let r = &f.report;
            let page = ImportResult {
                l: ctx.layout("Import"),
                collection: f.collection.clone(),
                collection_created: r.collection_created,
                kind_label: match r.kind {
                    CollectionKind::Calendar => "calendar",
                    CollectionKind::AddressBook => "address book",
                },
                created: r.created,
                unchanged: r.unchanged,
                skipped: r
                    .skipped
                    .iter()
                    .map(|s| (s.item.clone(), s.reason.clone()))
                    .collect(),
            };
            ctx.page(StatusCode::OK, &page)
        }
    })
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
    let c = readable(ctx, id).await?;
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
