//! What every method handler receives, and what it returns.

use std::sync::Arc;

use actix_web::http::header::{HeaderMap, HeaderName};
use actix_web::http::StatusCode;
use bytes::Bytes;

use crate::dav::href::{Base, DavPath};
use crate::dav::multistatus;
use crate::dav::xml::{self, Element};
use crate::store::{OpenObject, Store};

use super::body::Sink;
use super::error::{DavError, DavResult};
use super::resource::Ctx;

/// Shared server state.
pub struct AppState {
    pub store: Arc<Store>,
    pub auth: super::auth::Authenticator,
    /// Per-device passwords: `create`, `list` and `revoke` for the web page.
    pub app_passwords: Arc<crate::accounts::AppPasswords>,
    pub max_resource_size: u64,
    pub hook: Option<super::hook::Hook>,
    /// Longest time a request body may take to arrive.
    pub request_timeout: std::time::Duration,
    pub principal_search: crate::config::PrincipalSearch,
    /// The prefix of every href this server writes and reads.
    pub base: Base,
    /// WebDAV-Push, unless turned off.
    pub push: Option<Arc<crate::push::Push>>,
    /// The web page's sessions and settings.
    pub web: crate::web::state::WebState,
    /// The Host names served without logins; None when logins are on.
    pub allowed_hosts: Option<super::host_check::AllowedHosts>,
    /// Memory for request bodies in flight, shared by PUTs and web imports.
    pub uploads: super::upload_budget::UploadBudget,
    /// The users' calendar-user addresses (RFC 6638 scheduling).
    pub addresses: Arc<crate::schedule::Addresses>,
    /// Implicit scheduling of PUT and DELETE (RFC 6638 §3).
    pub scheduler: Arc<crate::schedule::implicit::Scheduler>,
}

/// One authenticated request, ready for a (blocking) handler. Cloned only
/// for a GET tried on the async worker first (`route`): no body to copy.
#[derive(Clone)]
pub struct Request {
    pub app: Arc<AppState>,
    pub headers: HeaderMap,
    pub user: String,
    pub path: DavPath,
    pub body: Bytes,
}

impl Request {
    pub fn store(&self) -> &Arc<Store> {
        &self.app.store
    }

    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            user: &self.user,
            max_resource_size: self.app.max_resource_size,
            base: &self.app.base,
            push: self.app.push.as_deref(),
            addresses: &self.app.addresses,
        }
    }

    /// Where hrefs are rendered and parsed for this server.
    pub fn base(&self) -> &Base {
        &self.app.base
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as XML; None when it is empty.
    pub fn xml(&self) -> DavResult<Option<Element>> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        Ok(Some(xml::parse(&self.body)?))
    }

    /// A 207 Multi-Status whose responses `write` produces on a blocking
    /// thread; they are streamed in chunks, then `sync_token` closes it.
    pub fn multistatus(
        &self,
        sync_token: Option<String>,
        write: impl FnOnce(&Ctx, &mut Responses) + Send + 'static,
    ) -> Reply {
        let user = self.user.clone();
        let max_resource_size = self.app.max_resource_size;
        let base = self.app.base.clone();
        let push = self.app.push.clone();
        let addresses = self.app.addresses.clone();
        Reply::multistatus(move |sink| {
            let ctx = Ctx {
                user: &user,
                max_resource_size,
                base: &base,
                push: push.as_deref(),
                addresses: &addresses,
            };
            sink.push(&multistatus::begin());
            write(&ctx, &mut Responses { sink });
            sink.push(&multistatus::end(sync_token.as_deref()));
        })
    }

    /// The Depth header: Some(0|1), None for infinity or absent (RFC 4918 default).
    pub fn depth(&self) -> DavResult<Option<u8>> {
        match self.header("depth").map(str::trim) {
            Some("0") => Ok(Some(0)),
            Some("1") => Ok(Some(1)),
            Some(d) if d.eq_ignore_ascii_case("infinity") => Ok(None),
            None => Ok(None),
            Some(other) => Err(DavError::BadDepth(other.to_string())),
        }
    }
}

/// Where a handler writes the `<D:response>` elements of a multistatus.
pub struct Responses<'s> {
    sink: &'s mut Sink,
}

impl Responses<'_> {
    /// The buffer for the next response; what came before is sent once it is large.
    pub fn buffer(&mut self) -> &mut String {
        self.sink.buffer()
    }
}

pub use super::body::Producer;

/// A handler's answer; built on a blocking thread and sent by the async side.
pub struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, String)>,
    pub body: ReplyBody,
}

pub enum ReplyBody {
    Empty,
    Full {
        content_type: &'static str,
        bytes: Bytes,
    },
    Stream {
        content_type: &'static str,
        producer: Producer,
    },
    /// A `Stream` whose producer already ran on the handler's thread
    /// (`completion::complete`): whole, or its first chunks and the rest to come.
    Produced {
        content_type: &'static str,
        body: super::body::Started,
    },
    /// A large object file, read in chunks as it is sent (`file_body.rs`).
    File {
        content_type: &'static str,
        object: OpenObject,
    },
}

pub const XML: &str = "application/xml; charset=utf-8";
pub const ICALENDAR: &str = "text/calendar; charset=utf-8";
pub const VCARD: &str = "text/vcard; charset=utf-8";

impl Reply {
    pub fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Empty,
        }
    }

    pub fn full(status: StatusCode, content_type: &'static str, bytes: impl Into<Bytes>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Full {
                content_type,
                bytes: bytes.into(),
            },
        }
    }

    pub fn file(status: StatusCode, content_type: &'static str, object: OpenObject) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::File {
                content_type,
                object,
            },
        }
    }

    pub fn multistatus(producer: impl FnOnce(&mut Sink) + Send + 'static) -> Reply {
        Reply::stream(StatusCode::MULTI_STATUS, XML, producer)
    }

    /// A body written by `producer` on a blocking thread; sent whole when
    /// small, else streamed in chunks (see `body.rs`).
    pub fn stream(
        status: StatusCode,
        content_type: &'static str,
        producer: impl FnOnce(&mut Sink) + Send + 'static,
    ) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Stream {
                content_type,
                producer: Box::new(producer),
            },
        }
    }

    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}
