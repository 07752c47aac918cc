//! The page's static files, built into the binary (no build step, nothing
//! to install beside it).

use actix_web::http::{header, StatusCode};

use crate::http::request::Reply;

const STYLE: &str = include_str!("static/style.css");
const COPY_JS: &str = include_str!("static/copy.js");
const ICON: &str = include_str!("static/icon.svg");

/// The asset of this name under `<prefix>/static/`, if there is one.
pub fn get(name: &str) -> Option<Reply> {
    let (content_type, body) = match name {
        "style.css" => ("text/css; charset=utf-8", STYLE),
        "copy.js" => ("text/javascript; charset=utf-8", COPY_JS),
        "icon.svg" => ("image/svg+xml", ICON),
        _ => return None,
    };
    Some(
        Reply::full(StatusCode::OK, content_type, body)
            .header(header::CACHE_CONTROL, "public, max-age=3600")
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    )
}
