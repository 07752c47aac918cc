//! Each error's one status and its response body.

use super::*;
use actix_web::body::MessageBody;
use std::io::{Error, ErrorKind};

fn status_of(kind: ErrorKind) -> StatusCode {
    DavError::from(StoreError::from(Error::from(kind))).status_code()
}

/// Every precondition, its one status and its element (namespace, name).
#[test]
fn each_condition_has_one_status_and_element() {
    let table = [
        (
            Condition::ValidCalendarData,
            403,
            CALDAV,
            "valid-calendar-data",
        ),
        (
            Condition::ValidCalendarObjectResource,
            403,
            CALDAV,
            "valid-calendar-object-resource",
        ),
        (
            Condition::SupportedCalendarComponent,
            403,
            CALDAV,
            "supported-calendar-component",
        ),
        (
            Condition::SupportedCalendarData,
            415,
            CALDAV,
            "supported-calendar-data",
        ),
        (
            Condition::SupportedCalendarDataReport,
            403,
            CALDAV,
            "supported-calendar-data",
        ),
        (
            Condition::NoUidConflict(DavPath::Root),
            403,
            CALDAV,
            "no-uid-conflict",
        ),
        (Condition::MaxResourceSize, 403, CALDAV, "max-resource-size"),
        (
            Condition::PropfindFiniteDepth,
            403,
            DAV,
            "propfind-finite-depth",
        ),
        (Condition::ValidSyncToken, 403, DAV, "valid-sync-token"),
        (Condition::ValidFilter, 403, CALDAV, "valid-filter"),
        (
            Condition::SupportedCollation,
            403,
            CALDAV,
            "supported-collation",
        ),
        (Condition::SupportedReport, 403, DAV, "supported-report"),
        (
            Condition::ResourceMustBeNull,
            405,
            DAV,
            "resource-must-be-null",
        ),
        (
            Condition::CalendarCollectionLocationOk,
            403,
            CALDAV,
            "calendar-collection-location-ok",
        ),
        (
            Condition::CannotModifyProtectedProperty,
            403,
            DAV,
            "cannot-modify-protected-property",
        ),
        (Condition::NeedPrivileges, 403, DAV, "need-privileges"),
        (
            Condition::NumberOfMatchesWithinLimits,
            507,
            DAV,
            "number-of-matches-within-limits",
        ),
    ];
    for (condition, status, ns, name) in table {
        assert_eq!(condition.status().as_u16(), status, "{condition:?}");
        assert_eq!(condition.name(), PropName::new(ns, name), "{condition:?}");
        let err = DavError::condition(condition.clone(), "detail");
        assert_eq!(err.status_code().as_u16(), status, "{condition:?}");
        let body = err.response(&Base::default()).into_body().try_into_bytes();
        let text = String::from_utf8(body.expect("a full body").to_vec()).unwrap();
        assert!(text.contains(&format!(":{name}")), "{condition:?}: {text}");
    }
}

/// Store errors that are RFC preconditions answer with that
/// precondition's status; the rest have their own.
#[test]
fn store_errors_have_one_status_each() {
    let uid = StoreError::UidConflict {
        user: "u".into(),
        collection: "c".into(),
        name: "x.ics".into(),
        changed: false,
    };
    for (e, status) in [
        (StoreError::NotFound, 404),
        (StoreError::AlreadyExists, 405),
        (StoreError::PreconditionFailed, 412),
        (StoreError::InvalidName("..".into()), 403),
        (uid, 403),
        (
            StoreError::UnsupportedComponent(crate::ical::ComponentKind::Todo),
            403,
        ),
        (StoreError::MissingParent, 409),
        (StoreError::InvalidSyncToken, 403),
        (StoreError::NotFound.missing_parent(), 409),
        (
            StoreError::Io(Error::from(ErrorKind::Other)).missing_parent(),
            500,
        ),
    ] {
        let text = e.to_string();
        assert_eq!(DavError::from(e).status_code().as_u16(), status, "{text}");
    }
}

/// Each cause of a 400/405 has its own variant; the status and the
/// plain-text body are those the catch-all variants answered with.
#[test]
fn request_faults_keep_their_status_and_text() {
    let table = [
        (
            DavError::BadDepth("2".into()),
            400,
            "bad request: invalid Depth \"2\"",
        ),
        (
            DavError::BadCopyDepth("1".into()),
            400,
            "bad request: COPY of a collection takes Depth 0 or infinity, not \"1\"",
        ),
        (
            DavError::MissingDestination,
            400,
            "bad request: missing Destination",
        ),
        (
            DavError::BadDestination,
            400,
            "bad request: bad Destination",
        ),
        (
            DavError::BadOverwrite("x".into()),
            400,
            "bad request: bad Overwrite \"x\"",
        ),
        (
            DavError::MissingBody("REPORT"),
            400,
            "bad request: REPORT needs a body",
        ),
        (
            DavError::UnexpectedRoot("DAV:propfind".into()),
            400,
            "bad request: expected DAV:propfind",
        ),
        (
            DavError::OverLimit {
                what: "properties",
                limit: 3,
            },
            400,
            "bad request: more than 3 properties",
        ),
        (
            DavError::TooManyHrefs(9),
            400,
            "bad request: calendar-multiget names more than 9 resources",
        ),
        (DavError::BadNresults, 400, "bad request: bad nresults"),
        (DavError::UnservedMethod, 405, "method not allowed here"),
        (
            DavError::PutOutsideCollection,
            405,
            "method not allowed here",
        ),
        (DavError::MkcolOnExisting, 405, "method not allowed here"),
        (DavError::UnmappedPath, 404, "not found"),
        (DavError::MissingHome, 404, "not found"),
        (DavError::MissingObject, 404, "not found"),
    ];
    for (err, status, text) in table {
        assert_eq!(err.status_code().as_u16(), status, "{err:?}");
        let body = err.response(&Base::default()).into_body().try_into_bytes();
        assert_eq!(body.expect("a full body"), format!("{text}\n"), "{err:?}");
    }
}

#[test]
fn property_refusals_have_rfc_4918_statuses() {
    assert_eq!(PropRefusal::Protected.status(), StatusCode::FORBIDDEN);
    assert_eq!(PropRefusal::BadValue.status(), StatusCode::CONFLICT);
}

#[test]
fn disk_trouble_has_its_own_statuses() {
    assert_eq!(
        status_of(ErrorKind::StorageFull),
        StatusCode::INSUFFICIENT_STORAGE
    );
    assert_eq!(
        status_of(ErrorKind::QuotaExceeded),
        StatusCode::INSUFFICIENT_STORAGE
    );
    assert_eq!(
        status_of(ErrorKind::ReadOnlyFilesystem),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(status_of(ErrorKind::InvalidFilename), StatusCode::FORBIDDEN);
    assert_eq!(status_of(ErrorKind::NotFound), StatusCode::NOT_FOUND);
    assert_eq!(
        status_of(ErrorKind::Other),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    for (errno, status) in [
        (libc::ENOSPC, StatusCode::INSUFFICIENT_STORAGE),
        (libc::EDQUOT, StatusCode::INSUFFICIENT_STORAGE),
        (libc::EROFS, StatusCode::SERVICE_UNAVAILABLE),
        (libc::ENAMETOOLONG, StatusCode::FORBIDDEN),
    ] {
        let e = DavError::from(StoreError::from(Error::from_raw_os_error(errno)));
        assert_eq!(e.status_code(), status, "errno {errno}");
    }
    let resp = DavError::from(StoreError::ReadOnly).response(&Base::default());
    assert!(resp.headers().contains_key(header::RETRY_AFTER));
}
