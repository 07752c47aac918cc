//! actix-web wiring: authentication, access control and dispatch of each
//! method to its module; handlers run on blocking threads over the store.

mod allow;
pub mod auth;
mod body;
mod completion;
mod conditional;
pub mod error;
mod file_body;
pub(crate) mod hook;
mod host_check;
pub mod method;
mod methods;
mod prop_update;
mod props;
pub mod request;
pub mod requests;
mod resource;
mod server;
mod startup;
mod tls;
pub mod upload_budget;

pub use server::{run, Running};

use std::sync::Arc;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use bytes::BytesMut;
use futures_util::StreamExt;

use crate::dav::href::DavPath;

use error::{Condition, DavError, DavResult};
use method::DavMethod;
use request::{AppState, Reply, ReplyBody, Request};

/// Largest REPORT body tried on the async worker: a multiget of a few
/// hundred hrefs, parsed in well under a millisecond.
const WORKER_BODY: usize = 64 * 1024;

/// Entry point for every request.
pub async fn dispatch(
    req: HttpRequest,
    payload: web::Payload,
    app: web::Data<AppState>,
) -> HttpResponse {
    let started = std::time::Instant::now();
    let method = DavMethod::parse(req.method().as_str());
    let app = app.into_inner();
    let result = route(method, req.clone(), payload, app.clone()).await;
    let mut resp = match result {
        Ok(reply) => send(reply).await,
        Err(e) => {
            let mut resp = e.response(&app.base);
            if resp.status() == StatusCode::METHOD_NOT_ALLOWED {
                if let Some(allow) = allow::header_for(&app, req.path()).await {
                    resp.headers_mut().insert(header::ALLOW, allow);
                }
            }
            if let DavError::RequestTimeout = e {
                // The rest of the body may still come: never read it.
                resp.head_mut()
                    .set_connection_type(actix_web::http::ConnectionType::Close);
            }
            resp
        }
    };
    // Clients look for DAV capabilities on every response.
    resp.headers_mut().insert(
        HeaderName::from_static("dav"),
        HeaderValue::from_static(methods::options::DAV_CLASSES),
    );
    // The access log: never headers (Authorization, Cookie) or the query.
    // Its fields are made only where the line is written.
    if tracing::enabled!(tracing::Level::INFO) {
        let name = method.map_or_else(
            || req.method().as_str().to_ascii_uppercase().into(),
            |m| std::borrow::Cow::Borrowed(m.as_str()),
        );
        let extensions = req.extensions();
        let user = extensions.get::<LoggedUser>().map_or("-", |u| u.0.as_str());
        tracing::info!(
            "{name} {} -> {} {:.1}ms user={user}",
            req.path(),
            resp.status().as_u16(),
            started.elapsed().as_secs_f64() * 1000.0,
        );
    }
    resp
}

/// The authenticated user of a request, for the access log line.
struct LoggedUser(String);

/// Names the user a request acts as in its access log line: the Basic
/// login's, or the web session's.
pub(crate) fn log_user(req: &HttpRequest, user: &str) {
    req.extensions_mut().insert(LoggedUser(user.to_string()));
}

async fn route(
    method: Option<DavMethod>,
    req: HttpRequest,
    payload: web::Payload,
    app: Arc<AppState>,
) -> DavResult<Reply> {
    if let Some(hosts) = &app.allowed_hosts {
        hosts.check(&req).map_err(DavError::MisdirectedHost)?;
    }
    // OPTIONS answers alike on every path, without login: clients probe
    // capabilities before they authenticate.
    if method == Some(DavMethod::Options) {
        return Ok(methods::options::handle());
    }
    // The web page: its reserved prefix, and a browser's GET of the root.
    if crate::web::claims(&req, &app.base) {
        return Ok(crate::web::handle(req, payload, app).await);
    }
    let path = req.path().to_string();
    // RFC 6764 §5: both services share the root as their context path.
    let well_known = path.trim_end_matches('/');
    if well_known.ends_with("/.well-known/caldav") || well_known.ends_with("/.well-known/carddav") {
        return Ok(
            Reply::empty(StatusCode::MOVED_PERMANENTLY).header(header::LOCATION, app.base.root())
        );
    }
    let user = authenticate(&req, &app).await?;
    let dav_path = app.base.parse(&path).ok_or(DavError::UnmappedPath)?;
    if !methods::propfind::visible_to(&dav_path, &user) {
        return Err(DavError::condition(
            Condition::NeedPrivileges,
            "not your calendar home",
        ));
    }
    // Held until the request is answered: its body is in memory until then.
    let mut body_share = app.uploads.share();
    let body = tokio::time::timeout(
        app.request_timeout,
        read_body(
            payload,
            content_length(&req),
            app.max_resource_size + 64 * 1024,
            (method == Some(DavMethod::Put)).then(|| too_large(&dav_path, &req)),
            &mut body_share,
        ),
    )
    .await
    .map_err(|_| DavError::RequestTimeout)??;
    let push_claims = app.push.is_some() && methods::push::claims(method, &dav_path);
    // A registration's DELETE changes no file: the hook is not told.
    let change = (!push_claims)
        .then(|| change_of(method, &dav_path, &req, &app.base))
        .flatten();
    let origin = {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let dont_notify = crate::push::Exclude::from_header(
        req.headers()
            .get("push-dont-notify")
            .and_then(|v| v.to_str().ok()),
    );
    let rq = Request {
        app: app.clone(),
        headers: req.headers().clone(),
        user,
        path: dav_path,
        body,
    };
    let store = app.store.clone();
    let user = rq.user.clone();
    // An object's GET or HEAD, and a multiget with a small body, are tried
    // here on the worker first, where each would otherwise spend most of
    // its time crossing to the blocking pool and back. Where anything would
    // wait (`store::try_without_waiting`), or a report is another kind or
    // too large (`report`), or its answer outgrows what is held (`body`),
    // nothing is sent and the request goes to the blocking pool.
    let inline = !push_claims
        && match method {
            Some(DavMethod::Get | DavMethod::Head) => {
                matches!(rq.path, crate::dav::href::DavPath::Object { .. })
            }
            Some(DavMethod::Report) => rq.body.len() <= WORKER_BODY,
            _ => false,
        };
    let work = move |rq: Request| {
        // A read-only data directory still serves reads to a user whose
        // home is not there yet: it reads as empty.
        match store.ensure_home(&user) {
            Err(crate::store::StoreError::ReadOnly) if method.is_some_and(DavMethod::is_read) => {}
            other => other?,
        }
        // The scheduling boxes answer every method themselves (a POST to
        // the outbox is no push registration).
        if methods::schedule_box::claims(&rq.path).is_some() {
            return methods::schedule_box::handle(method, rq);
        }
        if push_claims {
            if let Some(push) = &rq.app.push {
                return methods::push::handle(push, method, &rq, &origin);
            }
        }
        let Some(method) = method else {
            return Err(DavError::UnservedMethod);
        };
        crate::push::excluding(dont_notify.clone(), || match method {
            DavMethod::Propfind => methods::propfind::handle(rq),
            DavMethod::Proppatch => methods::proppatch::handle(rq),
            DavMethod::Get | DavMethod::Head => methods::get::handle(rq),
            DavMethod::Put => methods::put::handle(rq),
            DavMethod::Delete => methods::delete::handle(rq),
            DavMethod::Mkcalendar => {
                methods::mkcol::handle(rq, methods::mkcol::MkcolKind::Mkcalendar)
            }
            DavMethod::Mkcol => {
                methods::mkcol::handle(rq, methods::mkcol::MkcolKind::ExtendedMkcol)
            }
            DavMethod::Copy => methods::copy_move::handle(rq, crate::store::Transfer::Copy),
            DavMethod::Move => methods::copy_move::handle(rq, crate::store::Transfer::Move),
            DavMethod::Report => methods::report::handle(rq),
            // OPTIONS was answered above, before login.
            DavMethod::Options | DavMethod::Post => Err(DavError::UnservedMethod),
        })
    };
    let tried = if inline {
        crate::store::try_without_waiting(|| completion::complete_here(work(rq.clone()))).flatten()
    } else {
        None
    };
    let reply = match tried {
        Some(Err(DavError::Store(crate::store::StoreError::WouldBlock))) | None => {
            // One trip to the pool: a streamed body is produced right after
            // the handler, and the reply comes back once it is whole or
            // starts streaming.
            let (tx, rx) = tokio::sync::oneshot::channel();
            tokio::task::spawn_blocking(move || {
                completion::complete(work(rq), move |reply| {
                    let _ = tx.send(reply);
                })
            });
            rx.await
                .map_err(|_| DavError::Internal("the handler's thread ended".into()))??
        }
        Some(done) => done?,
    };
    if let (Some(hook), Some(change)) = (&app.hook, change) {
        // A PROPPATCH answers 207 whether or not it applied; others 2xx on success.
        let applied = match change.method {
            DavMethod::Proppatch => reply.status == StatusCode::MULTI_STATUS,
            _ => reply.status.is_success(),
        };
        if applied {
            hook.fire(change.through_views(&app.store));
        }
    }
    Ok(reply)
}

/// For methods that change files: what the hook is told about.
fn change_of(
    method: Option<DavMethod>,
    path: &DavPath,
    req: &HttpRequest,
    base: &crate::dav::href::Base,
) -> Option<hook::Change> {
    let method = method.filter(|m| m.is_write())?;
    let rel = |p: &DavPath| match p {
        DavPath::Object {
            user,
            calendar,
            name,
        } => Some(format!("{user}/{calendar}/{name}")),
        DavPath::Calendar { user, calendar } => Some(format!("{user}/{calendar}")),
        _ => None,
    };
    let mut paths: Vec<String> = rel(path).into_iter().collect();
    if let Some(dest) = req
        .headers()
        .get("destination")
        .and_then(|v| v.to_str().ok())
        .and_then(|d| base.parse(crate::dav::href::path_of(d)))
    {
        paths.extend(rel(&dest));
    }
    let (user, calendar) = match path {
        DavPath::Object { user, calendar, .. } | DavPath::Calendar { user, calendar } => {
            (user.clone(), calendar.clone())
        }
        _ => return None,
    };
    Some(hook::Change {
        method,
        user,
        calendar,
        paths,
    })
}

/// The authenticated user name, or 401 (429 while guessing is slowed down).
async fn authenticate(req: &HttpRequest, app: &Arc<AppState>) -> DavResult<String> {
    let peer = req.peer_addr().map(|a| a.ip());
    let user = app.auth.authenticate(req.headers(), peer).await?;
    log_user(req, &user);
    Ok(user)
}

/// The max-resource-size precondition of a PUT to `path`, told apart
/// without a store lookup on the async thread: by the name's extension, and
/// for a name with neither (docs/DESIGN.md "Object names") by the body's
/// media type, as a contact is sent as vCard (RFC 6352 §6.3.2.1).
fn too_large(path: &DavPath, req: &HttpRequest) -> Condition {
    use crate::store::CollectionKind::{AddressBook, Calendar};
    let DavPath::Object { name, .. } = path else {
        return Condition::MaxResourceSize;
    };
    let ext = name.rsplit_once('.').map(|(_, ext)| ext);
    let vcard = || {
        let mime = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|ct| ct.split(';').next())
            .unwrap_or("")
            .trim();
        methods::put::VCARD_TYPES
            .iter()
            .any(|t| mime.eq_ignore_ascii_case(t))
    };
    if ext == Some(AddressBook.extension()) || (ext != Some(Calendar.extension()) && vcard()) {
        Condition::AddressMaxResourceSize
    } else {
        Condition::MaxResourceSize
    }
}

/// The length the client announced for its body, if it sent one.
fn content_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Reads the request body up to `limit` bytes. Beyond it, a PUT fails its
/// max-resource-size precondition (`put`, RFC 4791 §5.3.2.1, RFC 6352
/// §6.3.2.1); other methods get 413. An announced length within the limit
/// is allocated once (actix holds the body to it), not grown by doubling
/// and copying as chunks arrive; up to `RESERVE_MAX`, so that a client that
/// announces much and sends little holds little before its timeout.
/// Past `upload_budget::FREE` bytes, `share` must cover the body (the
/// announced length at once), else 503.
async fn read_body(
    mut payload: web::Payload,
    announced: Option<u64>,
    limit: u64,
    put: Option<Condition>,
    share: &mut upload_budget::Share,
) -> DavResult<bytes::Bytes> {
    const RESERVE_MAX: u64 = 1024 * 1024;
    let too_large = || match &put {
        Some(condition) => DavError::condition(condition.clone(), "request body too large"),
        None => DavError::BodyTooLarge,
    };
    let reserve = announced.filter(|&n| n <= limit).unwrap_or(0);
    share.cover(reserve).map_err(|_| DavError::UploadsBusy)?;
    let mut buf = BytesMut::with_capacity(reserve.min(RESERVE_MAX) as usize);
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        let len = (buf.len() + chunk.len()) as u64;
        if len > limit {
            return Err(too_large());
        }
        share.cover(len).map_err(|_| DavError::UploadsBusy)?;
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

async fn send(reply: Reply) -> HttpResponse {
    let mut resp = match reply.body {
        ReplyBody::Empty => HttpResponse::build(reply.status).finish(),
        ReplyBody::Full {
            content_type,
            bytes,
        } => HttpResponse::build(reply.status)
            .content_type(content_type)
            .body(bytes),
        ReplyBody::Stream {
            content_type,
            producer,
        } => body::produce(reply.status, content_type, producer).await,
        ReplyBody::Produced { content_type, body } => {
            body::respond(reply.status, content_type, body)
        }
        ReplyBody::File {
            content_type,
            object,
        } => HttpResponse::build(reply.status)
            .content_type(content_type)
            .body(file_body::sized(object)),
    };
    for (name, value) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().append(name, v);
        }
    }
    resp
}
