//! Which service answers a request: the web page or DAV. The page sits on
//! top of the HTTP layer (it uses its state, replies and hook), so the
//! choice between them is made here, above both, and `http` names nothing
//! of `web`. The page keeps its own state in actix's app data.

use std::sync::Arc;

use actix_web::web::{self as actix, Data, Payload};
use actix_web::{HttpRequest, HttpResponse};

use crate::config::Config;
use crate::http::method::DavMethod;
use crate::http::request::AppState;
use crate::http::Running;
use crate::web::WebState;

/// Starts the server (`http::run`) with [`entry`] answering every request.
pub fn run(config: &Config) -> std::io::Result<Running> {
    let page = Data::new(WebState::new(config));
    crate::http::run(config, move |cfg| {
        cfg.app_data(page.clone()).default_service(actix::to(entry));
    })
}

/// Every request: the checks made before any choice (`http::screen`), then
/// the page for what it claims (its reserved prefix, a browser's GET of the
/// root), else DAV. The method is parsed once, here.
async fn entry(
    req: HttpRequest,
    payload: Payload,
    app: Data<AppState>,
    page: Data<WebState>,
) -> HttpResponse {
    let method = DavMethod::parse(req.method().as_str());
    let app: Arc<AppState> = app.into_inner();
    let work = {
        let (req, app) = (req.clone(), app.clone());
        async move {
            if let Some(reply) = crate::http::screen(method, &req, &app)? {
                return Ok(reply);
            }
            if crate::web::claims(&req, &app.base) {
                return Ok(crate::web::handle(req, payload, app, page.into_inner()).await);
            }
            crate::http::route(method, req, payload, app).await
        }
    };
    crate::http::dispatch(req, method, app, work).await
}
