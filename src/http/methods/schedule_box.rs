//! The scheduling inbox and outbox of a user (RFC 6638 §2.1, §2.2) over
//! HTTP, at `/<user>/.inbox/` and `/<user>/.outbox/`: dot names, which no
//! collection of the user can have (`store::names`), so they never collide
//! with one. Only the owner gets here (`route` refuses other users' homes).
//! The inbox answers PROPFIND, GET/HEAD and DELETE of its messages and the
//! calendar-multiget and calendar-query reports (every message matches: an
//! inbox holds a handful); the outbox answers PROPFIND, and POST is routed
//! to `outbox_freebusy`, which answers free-busy requests.
//! The messages live in `schedule::inbox`.

use actix_web::http::{header, StatusCode};

use crate::dav::href::DavPath;
use crate::dav::multistatus::{PropXml, ResponseBuilder};
use crate::dav::property::PropName;
use crate::dav::xml::{escape, CALDAV, CS, DAV};
use crate::http::error::{Condition, DavError, DavResult};
use crate::http::method::DavMethod;
use crate::http::props::PropRequest;
use crate::http::request::{Reply, Request, ICALENDAR};
use crate::schedule::inbox::{Inbox, Item, INBOX_DIR, OUTBOX};

/// What a path names, if it is in the scheduling boxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoxPath<'p> {
    Inbox,
    Message(&'p str),
    Outbox,
    /// Below the outbox: nothing is there.
    InOutbox,
}

/// The scheduling box a path names, or None for every other path.
pub fn claims(path: &DavPath) -> Option<BoxPath<'_>> {
    match path {
        DavPath::Collection { collection, .. } if collection == INBOX_DIR => Some(BoxPath::Inbox),
        DavPath::Collection { collection, .. } if collection == OUTBOX => Some(BoxPath::Outbox),
        DavPath::Object {
            collection, name, ..
        } if collection == INBOX_DIR => Some(BoxPath::Message(name)),
        DavPath::Object { collection, .. } if collection == OUTBOX => Some(BoxPath::InOutbox),
        _ => None,
    }
}

pub fn handle(method: Option<DavMethod>, rq: Request) -> DavResult<Reply> {
    let Some(user) = rq.path.user().map(str::to_string) else {
        return Err(DavError::UnmappedPath);
    };
    let Some(at) = claims(&rq.path) else {
        return Err(DavError::UnmappedPath);
    };
    let inbox = Inbox::in_home(&rq.store().home_dir(&user)?);
    let max = rq.app.max_resource_size;
    let missing = || DavError::Store(crate::store::StoreError::NotFound);
    match (method, at) {
        (_, BoxPath::InOutbox) => Err(missing()),
        (Some(DavMethod::Propfind), _) => propfind(&rq, &user, at, &inbox),
        (Some(DavMethod::Get | DavMethod::Head), BoxPath::Message(name)) => {
            let item = inbox.read(name, max)?.ok_or_else(missing)?;
            Ok(Reply::full(StatusCode::OK, ICALENDAR, item.bytes)
                .header(header::ETAG, format!("\"{}\"", item.etag)))
        }
        (Some(DavMethod::Delete), BoxPath::Message(name)) => {
            let cond = crate::http::conditional::Conditions::from_headers(&rq.headers);
            let item = inbox.read(name, max)?.ok_or_else(missing)?;
            if !cond.allows_write(Some(&item.etag.to_string())) {
                return Err(crate::store::StoreError::PreconditionFailed.into());
            }
            if !inbox.remove(name)? {
                return Err(missing());
            }
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        (Some(DavMethod::Report), BoxPath::Inbox) => report(&rq, &inbox),
        (Some(DavMethod::Post), BoxPath::Outbox) => super::outbox_freebusy::handle(&rq, &user),
        (Some(DavMethod::Get | DavMethod::Head), _) => Err(DavError::UnservedMethod),
        (Some(DavMethod::Delete), _) => Err(DavError::ProtectedCollection),
        // PUT, MKCOL, PROPPATCH, COPY, MOVE: the server alone writes here.
        _ => Err(DavError::condition(
            Condition::NeedPrivileges,
            "the scheduling inbox and outbox are written by the server only",
        )),
    }
}

/// Properties of the boxes and their messages. Unknown ones answer 404.
fn prop_value(
    rq: &Request,
    user: &str,
    at: BoxPath,
    item: Option<&Item>,
    name: &PropName,
) -> Option<String> {
    let base = rq.base();
    let href = |p: String| format!("<D:href>{}</D:href>", escape(&p));
    let collection = matches!(at, BoxPath::Inbox | BoxPath::Outbox);
    let n = (name.ns.as_str(), name.name.as_str());
    match (n, at, item) {
        ((DAV, "resourcetype"), BoxPath::Inbox, None) => {
            Some("<D:collection/><C:schedule-inbox/>".into())
        }
        ((DAV, "resourcetype"), BoxPath::Outbox, None) => {
            Some("<D:collection/><C:schedule-outbox/>".into())
        }
        ((DAV, "resourcetype"), _, Some(_)) => Some(String::new()),
        ((DAV, "displayname"), BoxPath::Inbox, None) => Some("Inbox".into()),
        ((DAV, "displayname"), BoxPath::Outbox, None) => Some("Outbox".into()),
        ((DAV, "owner"), _, _) | ((DAV, "current-user-principal"), _, _) => {
            Some(href(base.home(user)))
        }
        ((DAV, "current-user-privilege-set"), BoxPath::Inbox, None) => Some(privileges(&[
            (DAV, "read"),
            (DAV, "unbind"),
            (CALDAV, "schedule-deliver"),
        ])),
        ((DAV, "current-user-privilege-set"), BoxPath::Outbox, None) => {
            Some(privileges(&[(DAV, "read"), (CALDAV, "schedule-send")]))
        }
        ((DAV, "current-user-privilege-set"), _, Some(_)) => {
            Some(privileges(&[(DAV, "read"), (DAV, "unbind")]))
        }
        ((CALDAV, "schedule-default-calendar-URL"), BoxPath::Inbox, None) => {
            crate::schedule::default_calendar(rq.store(), user, false)
                .ok()
                .flatten()
                .map(|c| href(base.collection(user, &c)))
        }
        ((CALDAV, "supported-calendar-component-set"), BoxPath::Inbox, None) => Some(
            "<C:comp name=\"VEVENT\"/><C:comp name=\"VTODO\"/><C:comp name=\"VJOURNAL\"/><C:comp name=\"VFREEBUSY\"/>"
                .into(),
        ),
        ((CS, "getctag"), BoxPath::Inbox, None) => Some(escape(&inbox_tag(rq, user)).into_owned()),
        ((DAV, "getetag"), _, Some(i)) => Some(format!("\"{}\"", i.etag)),
        ((DAV, "getcontenttype"), _, Some(_)) => Some(ICALENDAR.into()),
        ((DAV, "getcontentlength"), _, Some(i)) => Some(i.bytes.len().to_string()),
        ((CALDAV, "calendar-data"), _, Some(i)) => Some(crate::dav::xml::escape_ical(
            &String::from_utf8_lossy(&i.bytes),
        )),
        _ if collection && n == (DAV, "supported-report-set") && at == BoxPath::Inbox => Some(
            "<D:supported-report><D:report><C:calendar-multiget/></D:report></D:supported-report><D:supported-report><D:report><C:calendar-query/></D:report></D:supported-report>"
                .into(),
        ),
        _ => None,
    }
}

/// What allprop and propname list on a box or a message.
fn listed(at: BoxPath, item: bool) -> Vec<PropName> {
    let names: &[(&str, &str)] = match (at, item) {
        (_, true) => &[
            (DAV, "resourcetype"),
            (DAV, "getetag"),
            (DAV, "getcontenttype"),
            (DAV, "getcontentlength"),
        ],
        (BoxPath::Inbox, false) => &[
            (DAV, "resourcetype"),
            (DAV, "displayname"),
            (DAV, "owner"),
            (CALDAV, "schedule-default-calendar-URL"),
            (CALDAV, "supported-calendar-component-set"),
            (CS, "getctag"),
        ],
        _ => &[(DAV, "resourcetype"), (DAV, "displayname"), (DAV, "owner")],
    };
    names.iter().map(|(ns, n)| PropName::new(ns, n)).collect()
}

fn privileges(names: &[(&str, &str)]) -> String {
    names
        .iter()
        .map(|(ns, n)| {
            let prefix = if *ns == CALDAV { "C" } else { "D" };
            format!("<D:privilege><{prefix}:{n}/></D:privilege>")
        })
        .collect()
}

/// Changes whenever a message comes or goes: the names and ETags hashed.
fn inbox_tag(rq: &Request, user: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    if let Ok(home) = rq.store().home_dir(user) {
        for i in Inbox::in_home(&home)
            .items(rq.app.max_resource_size)
            .unwrap_or_default()
        {
            h.update(i.name.as_bytes());
            h.update(i.etag.to_string().as_bytes());
        }
    }
    format!("inbox-{}", hex::encode(&h.finalize()[..16]))
}

fn write_one(
    rq: &Request,
    user: &str,
    at: BoxPath,
    item: Option<&Item>,
    req: &PropRequest,
    out: &mut String,
) {
    let mut b = ResponseBuilder::default();
    let names = match req {
        PropRequest::Props(n) => n.clone(),
        PropRequest::All(include) => {
            let mut n = listed(at, item.is_some());
            n.extend(include.iter().cloned());
            n
        }
        PropRequest::Names => {
            for n in listed(at, item.is_some()) {
                b.add_name(StatusCode::OK, &n);
            }
            Vec::new()
        }
    };
    let all = matches!(req, PropRequest::All(_));
    for n in &names {
        match prop_value(rq, user, at, item, n) {
            Some(v) => b.add(StatusCode::OK, PropXml::Value(n, v)),
            None if !all => b.add_name(StatusCode::NOT_FOUND, n),
            None => {}
        }
    }
    let base = rq.base();
    let href = match (at, item) {
        (_, Some(i)) => base.object(user, INBOX_DIR, &i.name),
        (BoxPath::Outbox, _) => base.collection(user, OUTBOX),
        _ => base.collection(user, INBOX_DIR),
    };
    b.write(&href, out);
}

fn propfind(rq: &Request, user: &str, at: BoxPath, inbox: &Inbox) -> DavResult<Reply> {
    let body = rq.xml()?;
    let req = PropRequest::from_propfind(body.as_ref())?;
    let depth = rq.depth()?.ok_or_else(|| {
        DavError::condition(
            Condition::PropfindFiniteDepth,
            "Depth: infinity is not supported",
        )
    })?;
    let max = rq.app.max_resource_size;
    let mut out = String::new();
    match at {
        BoxPath::Message(name) => {
            let item = inbox
                .read(name, max)?
                .ok_or(DavError::Store(crate::store::StoreError::NotFound))?;
            write_one(rq, user, at, Some(&item), &req, &mut out);
        }
        _ => {
            write_one(rq, user, at, None, &req, &mut out);
            if depth == 1 && at == BoxPath::Inbox {
                for item in inbox.items(max)? {
                    write_one(rq, user, BoxPath::Message(""), Some(&item), &req, &mut out);
                }
            }
        }
    }
    Ok(whole(out))
}

/// calendar-multiget (the hrefs named) or calendar-query (every message).
fn report(rq: &Request, inbox: &Inbox) -> DavResult<Reply> {
    let root = rq.xml()?.ok_or(DavError::MissingBody("a REPORT body"))?;
    let user = rq.user.clone();
    let req = PropRequest::from_children(&root)?.unwrap_or(PropRequest::All(Vec::new()));
    let max = rq.app.max_resource_size;
    let mut out = String::new();
    if root.is(CALDAV, "calendar-multiget") {
        for h in root.children_named(DAV, "href") {
            let path = rq.base().parse(crate::dav::href::path_of(h.text.trim()));
            let found = match &path {
                Some(DavPath::Object {
                    user: u,
                    collection,
                    name,
                }) if *u == user && collection == INBOX_DIR => inbox.read(name, max)?,
                _ => None,
            };
            match found {
                Some(item) => {
                    write_one(rq, &user, BoxPath::Message(""), Some(&item), &req, &mut out)
                }
                None => crate::dav::multistatus::status_response(
                    h.text.trim(),
                    StatusCode::NOT_FOUND,
                    &mut out,
                ),
            }
        }
    } else if root.is(CALDAV, "calendar-query") {
        for item in inbox.items(max)? {
            write_one(rq, &user, BoxPath::Message(""), Some(&item), &req, &mut out);
        }
    } else {
        return Err(DavError::condition(
            Condition::SupportedReport,
            "the inbox answers calendar-multiget and calendar-query",
        ));
    }
    Ok(whole(out))
}

fn whole(responses: String) -> Reply {
    let mut body = crate::dav::multistatus::begin();
    body.push_str(&responses);
    body.push_str(&crate::dav::multistatus::end(None));
    Reply::full(StatusCode::MULTI_STATUS, crate::http::request::XML, body)
}
