//! The request methods the server knows, parsed once per request so that
//! dispatch, the read-only allowance and the hook match on a type, not on
//! strings spelt in several places.

use std::sync::OnceLock;

/// A WebDAV/CalDAV request method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DavMethod {
    Options,
    Get,
    Head,
    Put,
    Delete,
    Propfind,
    Proppatch,
    Mkcol,
    Mkcalendar,
    Copy,
    Move,
    Report,
    /// A `CS:share` or a WebDAV-Push registration, on a collection.
    Post,
}

const ALL: [DavMethod; 13] = [
    DavMethod::Options,
    DavMethod::Get,
    DavMethod::Head,
    DavMethod::Put,
    DavMethod::Delete,
    DavMethod::Propfind,
    DavMethod::Proppatch,
    DavMethod::Mkcol,
    DavMethod::Mkcalendar,
    DavMethod::Copy,
    DavMethod::Move,
    DavMethod::Report,
    DavMethod::Post,
];

impl DavMethod {
    /// The method named `name` (any case, as clients have sent it); None
    /// for a method this server does not know.
    pub fn parse(name: &str) -> Option<DavMethod> {
        ALL.into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(name))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DavMethod::Options => "OPTIONS",
            DavMethod::Get => "GET",
            DavMethod::Head => "HEAD",
            DavMethod::Put => "PUT",
            DavMethod::Delete => "DELETE",
            DavMethod::Propfind => "PROPFIND",
            DavMethod::Proppatch => "PROPPATCH",
            DavMethod::Mkcol => "MKCOL",
            DavMethod::Mkcalendar => "MKCALENDAR",
            DavMethod::Copy => "COPY",
            DavMethod::Move => "MOVE",
            DavMethod::Report => "REPORT",
            DavMethod::Post => "POST",
        }
    }

    /// The `Allow` header: every method (all are served; POST shares and
    /// registers WebDAV-Push subscriptions), in declaration order,
    /// derived from [`ALL`] so a new method is listed where it is declared.
    pub fn allow_header() -> &'static str {
        static ALLOW: OnceLock<String> = OnceLock::new();
        ALLOW.get_or_init(|| {
            let all: Vec<&str> = ALL.into_iter().map(DavMethod::as_str).collect();
            all.join(", ")
        })
    }

    /// Whether the method changes files (and so is told to the hook): a
    /// POST shares (a push registration's is no change: `route`).
    pub fn is_write(self) -> bool {
        matches!(
            self,
            DavMethod::Post
                | DavMethod::Put
                | DavMethod::Delete
                | DavMethod::Mkcalendar
                | DavMethod::Mkcol
                | DavMethod::Copy
                | DavMethod::Move
                | DavMethod::Proppatch
        )
    }

    /// Whether the method only reads, and so is served from a read-only
    /// data directory even where a user's home is not there yet.
    pub fn is_read(self) -> bool {
        matches!(
            self,
            DavMethod::Get | DavMethod::Head | DavMethod::Propfind | DavMethod::Report
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_case_and_round_trips() {
        for m in ALL {
            assert_eq!(DavMethod::parse(m.as_str()), Some(m));
            assert_eq!(DavMethod::parse(&m.as_str().to_lowercase()), Some(m));
        }
        assert_eq!(DavMethod::parse("mkCalendar"), Some(DavMethod::Mkcalendar));
        assert_eq!(DavMethod::parse("PATCH"), None);
        assert_eq!(DavMethod::parse(""), None);
    }

    #[test]
    fn allow_lists_every_served_method_once() {
        let allow = DavMethod::allow_header();
        assert_eq!(
            allow,
            "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, MKCALENDAR, COPY, MOVE, REPORT, POST"
        );
        for m in ALL {
            let listed = allow.split(", ").filter(|a| *a == m.as_str()).count();
            assert_eq!(listed, 1, "{m:?}");
        }
    }

    #[test]
    fn reads_and_writes_are_disjoint() {
        for m in ALL {
            assert!(!(m.is_read() && m.is_write()), "{m:?}");
        }
        assert!(DavMethod::Proppatch.is_write());
        assert!(DavMethod::Post.is_write());
        assert!(!DavMethod::Options.is_read());
    }
}
