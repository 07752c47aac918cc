//! Every error a request can end in, and its one mapping to an HTTP response.

use crate::push::PushError;
use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;

use crate::cardquery::{CardQueryError, CARDDAV};
use crate::dav::href::{Base, DavPath};
use crate::dav::multistatus::error_body;
use crate::dav::property::PropName;
use crate::dav::xml::{escape, CALDAV, DAV};
use crate::store::names::object_url_name;
use crate::store::StoreError;

use super::auth::AuthError;

/// RFC 4918 / 4791 / 6578 / 5689 precondition elements sent in a DAV:error
/// body. Each has one status, decided here by [`Condition::status`], so a
/// handler names the precondition and never the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    ValidCalendarData,
    ValidCalendarObjectResource,
    SupportedCalendarComponent,
    SupportedCalendarData,
    /// RFC 4791 §9.6 in a REPORT: a calendar-data content-type or version
    /// this server does not answer in. The same element as a PUT's, but the
    /// request is well formed and only the asked-for form is not served, so
    /// 403 like every other REPORT precondition (CalendarServer does so).
    SupportedCalendarDataReport,
    /// RFC 6638 §5 (POST to the outbox): a body that is no iCalendar. The
    /// same element as a PUT's, but 400: the request itself is malformed.
    ValidSchedulingData,
    /// RFC 6638 §5: iCalendar that is no free-busy REQUEST this server
    /// answers (METHOD, one VFREEBUSY, ORGANIZER, ATTENDEE, DTSTART/DTEND).
    ValidSchedulingMessage,
    /// RFC 6638 §5: the ORGANIZER is none of the outbox owner's addresses.
    OrganizerAllowed,
    /// Carries the path of the resource that already has the UID; the
    /// response renders its href under the server's base.
    NoUidConflict(DavPath),
    MaxResourceSize,
    PropfindFiniteDepth,
    ValidSyncToken,
    ValidFilter,
    SupportedCollation,
    SupportedReport,
    ResourceMustBeNull,
    CalendarCollectionLocationOk,
    CannotModifyProtectedProperty,
    NeedPrivileges,
    NumberOfMatchesWithinLimits,
    /// RFC 6352 §8.6: a filter element or test this server does not support.
    SupportedFilter,
    /// RFC 6352 §8.6, CARDDAV:supported-collation (CalDAV has its own).
    CardSupportedCollation,
    /// RFC 6352 §6.3.2.1, §8.6, §8.7: a body or address-data other than
    /// text/vcard 3.0 or 4.0.
    SupportedAddressData,
    /// RFC 6352 §8.7: a stored vCard that cannot be converted as asked.
    SupportedAddressDataConversion,
    /// RFC 6352 §6.3.2.1: a body that is not one valid vCard with a UID.
    ValidAddressData,
    /// RFC 6352 §6.3.2.1: the contact that already has the UID, by path.
    AddressUidConflict(DavPath),
    /// RFC 6352 §6.3.2.1: a vCard larger than the address book accepts.
    AddressMaxResourceSize,
    /// RFC 5689 §3.3: an extended MKCOL asking for a type this server does not make.
    ValidResourcetype,
    /// WebDAV-Push: a push-register whose subscription cannot be used.
    PushInvalidSubscription,
    /// WebDAV-Push: no push for this resource or this user.
    PushNotAvailable,
    /// WebDAV-Push: none of the requested triggers is supported.
    PushNoTriggerSupported,
    /// RFC 6638: the ORGANIZER is not the writer's address (a spoof).
    ValidOrganizer,
    /// RFC 4791 §5.3.2.1: more ATTENDEEs than the server takes.
    MaxAttendeesPerInstance,
}

impl Condition {
    /// The status every failure of this precondition is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            // RFC 4791 §5.3.2.1 names no status for a body that is not
            // text/calendar; 415 says so in plain HTTP, and clients retry
            // with the right media type rather than give up.
            Condition::SupportedCalendarData => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Condition::ValidSchedulingData | Condition::ValidSchedulingMessage => {
                StatusCode::BAD_REQUEST
            }
            // RFC 4791 §5.3.1.1: MKCALENDAR on an existing resource is 405.
            Condition::ResourceMustBeNull => StatusCode::METHOD_NOT_ALLOWED,
            // RFC 4918 §16 / RFC 5397: a result cut short is a server limit.
            Condition::NumberOfMatchesWithinLimits => StatusCode::INSUFFICIENT_STORAGE,
            // Every other precondition is 403 (RFC 4791 §1.3, RFC 4918 §16,
            // RFC 6578 §3.2 for valid-sync-token, RFC 3744 need-privileges).
            Condition::ValidCalendarData
            | Condition::ValidCalendarObjectResource
            | Condition::OrganizerAllowed
            | Condition::SupportedCalendarComponent
            | Condition::SupportedCalendarDataReport
            | Condition::NoUidConflict(_)
            | Condition::MaxResourceSize
            | Condition::PropfindFiniteDepth
            | Condition::ValidSyncToken
            | Condition::ValidFilter
            | Condition::SupportedCollation
            | Condition::SupportedReport
            | Condition::CalendarCollectionLocationOk
            | Condition::CannotModifyProtectedProperty
            | Condition::NeedPrivileges
            | Condition::SupportedFilter
            | Condition::CardSupportedCollation
            | Condition::SupportedAddressData
            | Condition::SupportedAddressDataConversion
            // RFC 6352 §6.3.2.1 and RFC 5689 §3.3 name no other status.
            | Condition::ValidAddressData
            | Condition::AddressUidConflict(_)
            | Condition::AddressMaxResourceSize
            | Condition::ValidResourcetype
            // draft-bitfire-webdav-push §4.1.3: all three are 403.
            | Condition::PushInvalidSubscription
            | Condition::PushNotAvailable
            | Condition::PushNoTriggerSupported
            | Condition::ValidOrganizer
            | Condition::MaxAttendeesPerInstance => StatusCode::FORBIDDEN,
        }
    }

    fn name(&self) -> PropName {
        let (ns, name) = match self {
            Condition::ValidCalendarData | Condition::ValidSchedulingData => {
                (CALDAV, "valid-calendar-data")
            }
            Condition::ValidSchedulingMessage => (CALDAV, "valid-scheduling-message"),
            Condition::OrganizerAllowed => (CALDAV, "organizer-allowed"),
            Condition::ValidCalendarObjectResource => (CALDAV, "valid-calendar-object-resource"),
            Condition::SupportedCalendarComponent => (CALDAV, "supported-calendar-component"),
            Condition::SupportedCalendarData | Condition::SupportedCalendarDataReport => {
                (CALDAV, "supported-calendar-data")
            }
            Condition::NoUidConflict(_) => (CALDAV, "no-uid-conflict"),
            Condition::MaxResourceSize => (CALDAV, "max-resource-size"),
            Condition::PropfindFiniteDepth => (DAV, "propfind-finite-depth"),
            Condition::ValidSyncToken => (DAV, "valid-sync-token"),
            Condition::ValidFilter => (CALDAV, "valid-filter"),
            Condition::SupportedCollation => (CALDAV, "supported-collation"),
            Condition::SupportedReport => (DAV, "supported-report"),
            Condition::ResourceMustBeNull => (DAV, "resource-must-be-null"),
            Condition::CalendarCollectionLocationOk => (CALDAV, "calendar-collection-location-ok"),
            Condition::CannotModifyProtectedProperty => (DAV, "cannot-modify-protected-property"),
            Condition::NeedPrivileges => (DAV, "need-privileges"),
            Condition::NumberOfMatchesWithinLimits => (DAV, "number-of-matches-within-limits"),
            Condition::SupportedFilter => (CARDDAV, "supported-filter"),
            Condition::CardSupportedCollation => (CARDDAV, "supported-collation"),
            Condition::SupportedAddressData => (CARDDAV, "supported-address-data"),
            Condition::SupportedAddressDataConversion => {
                (CARDDAV, "supported-address-data-conversion")
            }
            Condition::ValidAddressData => (CARDDAV, "valid-address-data"),
            Condition::ValidOrganizer => (CALDAV, "valid-organizer"),
            Condition::MaxAttendeesPerInstance => (CALDAV, "max-attendees-per-instance"),
            Condition::AddressUidConflict(_) => (CARDDAV, "no-uid-conflict"),
            Condition::AddressMaxResourceSize => (CARDDAV, "max-resource-size"),
            Condition::ValidResourcetype => (DAV, "valid-resourcetype"),
            Condition::PushInvalidSubscription => (crate::push::NS, "invalid-subscription"),
            Condition::PushNotAvailable => (crate::push::NS, "push-not-available"),
            Condition::PushNoTriggerSupported => (crate::push::NS, "no-trigger-supported"),
        };
        PropName::new(ns, name)
    }

    fn inner(&self, base: &Base) -> String {
        match self {
            Condition::NoUidConflict(path) | Condition::AddressUidConflict(path) => {
                format!("<D:href>{}</D:href>", escape(&base.href(path)))
            }
            _ => String::new(),
        }
    }
}

/// Why one property of a PROPPATCH, MKCALENDAR or MKCOL body is refused;
/// its status goes into that property's propstat, not the response line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropRefusal {
    /// Not settable on this resource (RFC 4918 §9.2.1: 403).
    Protected,
    /// A value the property cannot hold (RFC 4918 §9.2.1: 409).
    BadValue,
}

impl PropRefusal {
    pub fn status(self) -> StatusCode {
        match self {
            PropRefusal::Protected => StatusCode::FORBIDDEN,
            PropRefusal::BadValue => StatusCode::CONFLICT,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DavError {
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A body that is not XML, or XML beyond the parser's bounds.
    #[error("bad request: {0}")]
    BadXml(#[from] crate::dav::xml::XmlError),
    /// The connection failed while the body was being read.
    #[error("bad request: {0}")]
    BodyRead(#[from] actix_web::error::PayloadError),
    /// A Depth header other than 0, 1 or infinity.
    #[error("bad request: invalid Depth {0:?}")]
    BadDepth(String),
    /// COPY of a collection with Depth 1 (RFC 4918 §9.8.3).
    #[error("bad request: COPY of a collection takes Depth 0 or infinity, not {0:?}")]
    BadCopyDepth(String),
    #[error("bad request: missing Destination")]
    MissingDestination,
    /// A Destination whose path names no resource this server could hold.
    #[error("bad request: bad Destination")]
    BadDestination,
    /// An Overwrite header other than T or F.
    #[error("bad request: bad Overwrite {0:?}")]
    BadOverwrite(String),
    /// A method that needs a body got none; names the method.
    #[error("bad request: {0} needs a body")]
    MissingBody(&'static str),
    /// A body whose root element is not the method's; names the expected one.
    #[error("bad request: expected {0}")]
    UnexpectedRoot(String),
    /// A body without an element the request needs; says which.
    #[error("bad request: {0}")]
    IncompleteBody(&'static str),
    /// A body with more than one of elements its grammar allows only one of.
    #[error("bad request: {0}")]
    ExclusiveElements(&'static str),
    /// More of something in one body than the server answers.
    #[error("bad request: more than {limit} {what}")]
    OverLimit { what: &'static str, limit: usize },
    #[error("bad request: calendar-multiget names more than {0} resources")]
    TooManyHrefs(usize),
    #[error("bad request: match text too long")]
    MatchTooLong,
    /// An addressbook-query filter, limit or address-data refused (RFC 6352);
    /// all but a malformed one name their precondition.
    #[error("{0}")]
    CardQuery(#[from] CardQueryError),
    /// A sync-collection limit whose nresults is not a number.
    #[error("bad request: bad nresults")]
    BadNresults,
    #[error("authentication required")]
    Unauthorized,
    #[error("{0}")]
    Auth(#[from] AuthError),
    /// A request path that names no resource the server could hold
    /// (deeper than an object, or undecodable).
    #[error("not found")]
    UnmappedPath,
    /// A user's home that does not exist.
    #[error("not found")]
    MissingHome,
    /// An object (or the calendar it would be in) that does not exist.
    #[error("not found")]
    MissingObject,
    /// A method no handler serves (unknown, or POST).
    #[error("method not allowed here")]
    UnservedMethod,
    /// PUT to a path that is not an object inside a collection.
    #[error("method not allowed here")]
    PutOutsideCollection,
    /// MKCOL on the root or a home, which always exist.
    #[error("method not allowed here")]
    MkcolOnExisting,
    /// COPY/MOVE to a Destination in another user's home.
    #[error("forbidden: the destination is outside your home")]
    DestinationOutsideHome,
    /// COPY/MOVE of a resource onto itself (RFC 4918 §9.8.5).
    #[error("forbidden: source and destination are the same")]
    SameSourceAndDestination,
    /// COPY/MOVE between an object and a collection.
    #[error("forbidden: source and destination kinds differ")]
    KindMismatch,
    /// A collection made anywhere but directly in a user's home.
    #[error("forbidden: collections can only be made in a user's home")]
    CollectionOutsideHome,
    /// DELETE of the root or of a user's home.
    #[error("forbidden: cannot delete this collection")]
    ProtectedCollection,
    /// A `CS:share` naming a sharee that cannot have the share; says why.
    #[error("forbidden: {0}")]
    Sharing(String),
    /// A request body (not a PUT) above the server's bound.
    #[error("request body too large")]
    BodyTooLarge,
    #[error("precondition {condition:?} failed: {detail}")]
    Condition {
        condition: Condition,
        detail: String,
    },
    #[error("internal error: {0}")]
    Internal(String),
    /// The request body did not arrive within `request_timeout`.
    #[error("request body not received in time")]
    RequestTimeout,
    /// A COPY/MOVE Destination on another server (RFC 4918 §9.8.5).
    #[error("destination on another server: {0}")]
    BadGateway(String),
    #[error("{0}")]
    Push(#[from] crate::push::PushError),
    /// Without logins, a Host that names another server (DNS rebinding).
    #[error("misdirected request: {0}")]
    MisdirectedHost(String),
    /// The bodies in flight hold the whole `upload_memory`.
    #[error("the server is busy receiving other large uploads; retry shortly")]
    UploadsBusy,
}

impl DavError {
    /// A failed precondition; its status is [`Condition::status`].
    pub fn condition(condition: Condition, detail: impl Into<String>) -> Self {
        DavError::Condition {
            condition,
            detail: detail.into(),
        }
    }

    /// The same error as met in an address book: a UID conflict is CardDAV's
    /// `no-uid-conflict` there (the store's error does not know the kind).
    pub fn in_address_book(self) -> Self {
        // Only ever on an error's way out: the words are made for any error.
        let detail = self.to_string();
        match self {
            DavError::Store(StoreError::UidConflict {
                user,
                collection,
                name,
                ..
            }) => DavError::condition(
                Condition::AddressUidConflict(DavPath::Object {
                    user,
                    collection,
                    name: object_url_name(&name).to_string(),
                }),
                detail,
            ),
            e => e,
        }
    }

    /// Why, in words, for a DAV:error body: a failed condition's own detail,
    /// else the error's text.
    fn description(&self) -> String {
        match self {
            DavError::Condition { detail, .. } => detail.clone(),
            e => e.to_string(),
        }
    }

    /// The precondition this error reports in a DAV:error body, if any;
    /// store errors that are RFC preconditions get theirs here.
    fn precondition(&self) -> Option<Condition> {
        match self {
            DavError::Condition { condition, .. } => Some(condition.clone()),
            DavError::Store(StoreError::UidConflict {
                user,
                collection,
                name,
                ..
            }) => Some(Condition::NoUidConflict(DavPath::Object {
                user: user.clone(),
                collection: collection.clone(),
                name: object_url_name(name).to_string(),
            })),
            DavError::Store(StoreError::UnsupportedComponent(_)) => {
                Some(Condition::SupportedCalendarComponent)
            }
            DavError::Store(StoreError::InvalidSyncToken) => Some(Condition::ValidSyncToken),
            DavError::Store(StoreError::AlreadyExists) => Some(Condition::ResourceMustBeNull),
            DavError::Store(StoreError::Derived(_) | StoreError::Shared(_)) => {
                Some(Condition::NeedPrivileges)
            }
            DavError::Push(e) => match e {
                PushError::InvalidSubscription(_) | PushError::TargetRefused(_) => {
                    Some(Condition::PushInvalidSubscription)
                }
                PushError::NotAvailable(_) => Some(Condition::PushNotAvailable),
                PushError::NoSupportedTrigger => Some(Condition::PushNoTriggerSupported),
                _ => None,
            },
            DavError::CardQuery(e) => match e {
                CardQueryError::SupportedFilter(_) => Some(Condition::SupportedFilter),
                CardQueryError::SupportedCollation(_) => Some(Condition::CardSupportedCollation),
                CardQueryError::SupportedAddressData(_) => Some(Condition::SupportedAddressData),
                CardQueryError::Conversion(_) => Some(Condition::SupportedAddressDataConversion),
                CardQueryError::Malformed(_) => None,
            },
            _ => None,
        }
    }
}

impl DavError {
    /// The one status this error is answered with.
    pub fn status_code(&self) -> StatusCode {
        if let Some(condition) = self.precondition() {
            return condition.status();
        }
        match self {
            DavError::Store(e) => match e {
                StoreError::NotFound => StatusCode::NOT_FOUND,
                StoreError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
                StoreError::InvalidName(_) | StoreError::ReservedName { .. } => {
                    StatusCode::FORBIDDEN
                }
                // Never reached: their precondition decides, above.
                StoreError::UidConflict { .. }
                | StoreError::UnsupportedComponent(_)
                | StoreError::WrongKind { .. }
                | StoreError::InvalidSyncToken
                | StoreError::AlreadyExists
                | StoreError::Derived(_)
                | StoreError::Shared(_) => StatusCode::FORBIDDEN,
                StoreError::MissingParent => StatusCode::CONFLICT,
                // Temporary from the client's side: it keeps its change and
                // retries once the administrator remounts the data directory.
                StoreError::ReadOnly => StatusCode::SERVICE_UNAVAILABLE,
                StoreError::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
                StoreError::NameTooLong => StatusCode::FORBIDDEN,
                StoreError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
                // Retried on the blocking pool before any answer; were one
                // to escape, the client would simply try again.
                StoreError::WouldBlock => StatusCode::SERVICE_UNAVAILABLE,
            },
            DavError::BadXml(_)
            | DavError::BodyRead(_)
            | DavError::BadDepth(_)
            | DavError::BadCopyDepth(_)
            | DavError::MissingDestination
            | DavError::BadDestination
            | DavError::BadOverwrite(_)
            | DavError::MissingBody(_)
            | DavError::UnexpectedRoot(_)
            | DavError::IncompleteBody(_)
            | DavError::ExclusiveElements(_)
            | DavError::OverLimit { .. }
            | DavError::TooManyHrefs(_)
            | DavError::MatchTooLong
            | DavError::BadNresults
            | DavError::CardQuery(_) => StatusCode::BAD_REQUEST,
            DavError::Unauthorized => StatusCode::UNAUTHORIZED,
            DavError::Auth(e) => match e {
                AuthError::Missing | AuthError::Rejected | AuthError::InvalidUser(_) => {
                    StatusCode::UNAUTHORIZED
                }
                AuthError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
                AuthError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            },
            DavError::DestinationOutsideHome
            | DavError::SameSourceAndDestination
            | DavError::KindMismatch
            | DavError::CollectionOutsideHome
            | DavError::ProtectedCollection
            | DavError::Sharing(_) => StatusCode::FORBIDDEN,
            DavError::UnmappedPath | DavError::MissingHome | DavError::MissingObject => {
                StatusCode::NOT_FOUND
            }
            DavError::UnservedMethod
            | DavError::PutOutsideCollection
            | DavError::MkcolOnExisting => StatusCode::METHOD_NOT_ALLOWED,
            DavError::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            DavError::Condition { condition, .. } => condition.status(),
            DavError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            DavError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            DavError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            DavError::MisdirectedHost(_) => StatusCode::MISDIRECTED_REQUEST,
            DavError::UploadsBusy => StatusCode::SERVICE_UNAVAILABLE,
            DavError::Push(e) => match e {
                PushError::UnknownRegistration => StatusCode::NOT_FOUND,
                PushError::RegistrationMethod => StatusCode::METHOD_NOT_ALLOWED,
                PushError::NotXml(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                // The others carry a precondition, decided above.
                PushError::InvalidSubscription(_)
                | PushError::TargetRefused(_)
                | PushError::NotAvailable(_)
                | PushError::NoSupportedTrigger => StatusCode::FORBIDDEN,
                PushError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    /// The response, with any href in its body rendered under `base`.
    pub fn response(&self, base: &Base) -> HttpResponse {
        let status = self.status_code();
        let disk_trouble = matches!(self, DavError::Store(e) if crate::store::disk::report(e));
        if disk_trouble {
            // Logged (throttled) by `disk::report`.
        } else if status.is_server_error() && !matches!(self, DavError::UploadsBusy) {
            tracing::error!("{self}");
        } else {
            tracing::debug!("{status}: {self}");
        }
        let condition = self.precondition();
        let mut resp = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            resp.insert_header((
                header::WWW_AUTHENTICATE,
                "Basic realm=\"davdir\", charset=\"UTF-8\"",
            ));
        }
        if let Some(secs) = match self {
            DavError::Auth(e) => e.retry_after(),
            // A read-only data directory is an admin's fix, not a retry loop.
            DavError::Store(StoreError::ReadOnly) => Some(300),
            DavError::UploadsBusy => Some(super::upload_budget::RETRY_AFTER_SECS),
            _ => None,
        } {
            resp.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        match condition {
            Some(c) => resp
                .content_type("application/xml; charset=utf-8")
                .body(error_body(&c.name(), &c.inner(base), &self.description())),
            None => {
                let text = match self {
                    DavError::Store(StoreError::Io(_))
                    | DavError::Internal(_)
                    | DavError::Push(PushError::Io(_)) => "internal server error\n".to_string(),
                    other => format!("{other}\n"),
                };
                resp.content_type("text/plain; charset=utf-8").body(text)
            }
        }
    }
}

pub type DavResult<T> = Result<T, DavError>;

#[cfg(test)]
mod tests;
