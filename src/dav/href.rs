//! URL paths ⇄ resources. Principal and calendar home of a user are the same
//! collection `/<user>/` (docs/DESIGN.md); calendars and objects sit below it.

use std::sync::OnceLock;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What a request path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DavPath {
    Root,
    Home {
        user: String,
    },
    Calendar {
        user: String,
        calendar: String,
    },
    Object {
        user: String,
        calendar: String,
        name: String,
    },
}

/// Characters left as they are in hrefs: RFC 3986 unreserved plus a few safe
/// sub-delimiters that file names commonly contain.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@')
    .remove(b'+')
    .remove(b'=')
    .remove(b'!')
    .remove(b'$')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b',')
    .remove(b';');

/// Percent-encodes one path segment.
pub fn encode(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

/// The URL path the server is reachable under behind a reverse proxy
/// (`base_path`, e.g. `/caldav`; empty at the root). Set once at start.
static BASE: OnceLock<String> = OnceLock::new();

/// Sets the base path for every href; the first call wins.
pub fn set_base(base: &str) {
    let _ = BASE.set(base.to_string());
}

fn base() -> &'static str {
    BASE.get().map(String::as_str).unwrap_or("")
}

/// The path below the base: a proxy may forward requests with the base or
/// strip it, and clients send hrefs and Destinations with it.
fn below_base(path: &str) -> &str {
    match path.strip_prefix(base()) {
        Some(rest) if !base().is_empty() && (rest.is_empty() || rest.starts_with('/')) => rest,
        _ => path,
    }
}

impl DavPath {
    /// Parses a (percent-encoded) request path; `None` for anything deeper
    /// than an object or with undecodable segments.
    pub fn parse(path: &str) -> Option<DavPath> {
        let path = below_base(path.split(['?', '#']).next().unwrap_or(""));
        let mut segs = Vec::new();
        for raw in path.split('/').filter(|s| !s.is_empty()) {
            let seg = percent_decode_str(raw).decode_utf8().ok()?.into_owned();
            if seg == "." || seg == ".." {
                return None;
            }
            segs.push(seg);
        }
        let mut it = segs.into_iter();
        Some(match (it.next(), it.next(), it.next(), it.next()) {
            (None, ..) => DavPath::Root,
            (Some(user), None, ..) => DavPath::Home { user },
            (Some(user), Some(calendar), None, _) => DavPath::Calendar { user, calendar },
            (Some(user), Some(calendar), Some(name), None) => DavPath::Object {
                user,
                calendar,
                name,
            },
            _ => return None,
        })
    }

    /// The user whose home this path lies in.
    pub fn user(&self) -> Option<&str> {
        match self {
            DavPath::Root => None,
            DavPath::Home { user }
            | DavPath::Calendar { user, .. }
            | DavPath::Object { user, .. } => Some(user),
        }
    }

    /// The canonical href (collections end in `/`).
    pub fn href(&self) -> String {
        match self {
            DavPath::Root => root_href(),
            DavPath::Home { user } => home_href(user),
            DavPath::Calendar { user, calendar } => calendar_href(user, calendar),
            DavPath::Object {
                user,
                calendar,
                name,
            } => object_href(user, calendar, name),
        }
    }
}

pub fn root_href() -> String {
    format!("{}/", base())
}

pub fn home_href(user: &str) -> String {
    format!("{}/{}/", base(), encode(user))
}

pub fn calendar_href(user: &str, calendar: &str) -> String {
    format!("{}/{}/{}/", base(), encode(user), encode(calendar))
}

pub fn object_href(user: &str, calendar: &str, name: &str) -> String {
    format!(
        "{}/{}/{}/{}",
        base(),
        encode(user),
        encode(calendar),
        encode(name)
    )
}

/// The path part of a Destination header or an href, which may be absolute URLs.
pub fn path_of(href: &str) -> &str {
    match href.find("://") {
        Some(i) => {
            let rest = &href[i + 3..];
            rest.find('/').map(|j| &rest[j..]).unwrap_or("/")
        }
        None => href,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_round_trip() {
        assert_eq!(DavPath::parse("/"), Some(DavPath::Root));
        assert_eq!(
            DavPath::parse("/u/"),
            Some(DavPath::Home { user: "u".into() })
        );
        let p = DavPath::parse("/u/my%20cal/a%40b.ics").unwrap();
        assert_eq!(
            p,
            DavPath::Object {
                user: "u".into(),
                calendar: "my cal".into(),
                name: "a@b.ics".into()
            }
        );
        assert_eq!(p.href(), "/u/my%20cal/a@b.ics");
        assert_eq!(DavPath::parse("/a/b/c/d"), None);
        assert_eq!(DavPath::parse("/a/../b"), None);
        assert_eq!(encode("x y/ü?#%"), "x%20y%2F%C3%BC%3F%23%25");
    }

    #[test]
    fn destination_paths() {
        assert_eq!(path_of("http://h:1/u/c/x.ics"), "/u/c/x.ics");
        assert_eq!(path_of("/u/c/"), "/u/c/");
        assert_eq!(path_of("https://h"), "/");
    }
}
