//! Reading a multipart upload (the import form): the file and the form's
//! other fields, the whole body bounded in size and time where it is read,
//! and its memory drawn from the server's upload budget while it is held.

use std::time::Duration;

use actix_web::http::header::HeaderMap;
use actix_web::web;
use futures_util::StreamExt;

use super::error::WebError;
use super::forms::{Form, MAX_FIELD};
use crate::http::upload_budget::{Share, UploadBudget};

/// Largest import upload (the file plus the form's other fields).
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;
/// Fields besides the file a form may have.
const MAX_FIELDS: usize = 16;

/// A multipart form with one file.
pub struct Upload {
    pub fields: Form,
    /// The file field's contents (empty when none was chosen).
    pub file: Vec<u8>,
    /// The name the browser gave the file.
    pub file_name: Option<String>,
    /// The body's share of the upload budget: keep it while `file` is used.
    pub share: Share,
}

/// Reads a `multipart/form-data` body whose field `file_field` is a file;
/// the whole body is bounded by [`MAX_UPLOAD`] and the time by `timeout`
/// (scaled for the size: an upload of tens of MiB takes longer than a form).
/// The announced length is drawn from `budget` before anything is read, and
/// the body as it grows; beyond what is free, it is refused (503).
pub async fn read(
    headers: &HeaderMap,
    payload: web::Payload,
    file_field: &str,
    timeout: Duration,
    budget: &UploadBudget,
) -> Result<Upload, WebError> {
    let mut share = budget.share();
    let announced = headers
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_UPLOAD as u64) {
        return Err(WebError::TooLarge((MAX_UPLOAD / (1024 * 1024)) as u64));
    }
    share
        .cover(announced.unwrap_or(0))
        .map_err(|_| WebError::UploadsBusy)?;
    let mut parts = actix_multipart::Multipart::new(headers, payload);
    let read = async {
        let mut total = 0usize;
        let mut upload = Upload {
            fields: Form::default(),
            file: Vec::new(),
            file_name: None,
            share,
        };
        while let Some(field) = parts.next().await {
            let mut field = field.map_err(|e| WebError::BadForm(e.to_string()))?;
            let name = field.name().unwrap_or_default().to_string();
            let is_file = name == file_field;
            if is_file {
                upload.file_name = field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .map(|n| n.chars().take(MAX_FIELD).collect());
            }
            let mut value = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|e| WebError::BadForm(e.to_string()))?;
                total += chunk.len();
                if total > MAX_UPLOAD {
                    return Err(WebError::TooLarge((MAX_UPLOAD / (1024 * 1024)) as u64));
                }
                upload
                    .share
                    .cover(total as u64)
                    .map_err(|_| WebError::UploadsBusy)?;
                if !is_file && value.len() + chunk.len() > MAX_FIELD * 4 {
                    return Err(WebError::BadForm(format!("{name} is too long")));
                }
                value.extend_from_slice(&chunk);
            }
            if is_file {
                upload.file = value;
            } else {
                if upload.fields.len() >= MAX_FIELDS {
                    return Err(WebError::BadForm("too many fields".into()));
                }
                let text = String::from_utf8(value)
                    .map_err(|_| WebError::BadForm(format!("{name} is not UTF-8")))?;
                upload.fields.push(name, text);
            }
        }
        Ok(upload)
    };
    tokio::time::timeout(timeout * 4, read)
        .await
        .map_err(|_| WebError::Timeout)?
}
