//! URL paths ⇄ resources. Principal and calendar home of a user are the same
//! collection `/<user>/` (docs/DESIGN.md); collections and objects sit below it.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What a request path names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DavPath {
    Root,
    Home {
        user: String,
    },
    Collection {
        user: String,
        collection: String,
    },
    Object {
        user: String,
        collection: String,
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
    let mut out = String::with_capacity(segment.len());
    push_encoded(&mut out, segment);
    out
}

/// Appends one percent-encoded path segment to `out`, allocating nothing
/// of its own (hrefs are built once per resource of a listing).
fn push_encoded(out: &mut String, segment: &str) {
    out.extend(utf8_percent_encode(segment, SEGMENT));
}

/// The URL path the server is reachable under behind a reverse proxy
/// (`base_path`, e.g. `/caldav`; empty at the root). A value held in the app
/// state and handed to whatever builds or parses an href, so nothing depends
/// on process-wide state and two servers in one process may differ.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Base(String);

impl Base {
    /// `path` as normalised by the configuration: empty, or `/seg[/seg…]`
    /// without a trailing slash.
    pub fn new(path: impl Into<String>) -> Base {
        Base(path.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path below the base: a proxy may forward requests with the base
    /// or strip it, and clients send hrefs and Destinations with it.
    fn below<'p>(&self, path: &'p str) -> &'p str {
        match path.strip_prefix(self.0.as_str()) {
            Some(rest) if !self.0.is_empty() && (rest.is_empty() || rest.starts_with('/')) => rest,
            _ => path,
        }
    }

    /// Parses a (percent-encoded) request path or href path; `None` for
    /// anything deeper than an object or with undecodable segments.
    pub fn parse(&self, path: &str) -> Option<DavPath> {
        DavPath::parse_below(self.below(path.split(['?', '#']).next().unwrap_or("")))
    }

    /// The canonical href of `path` (collections end in `/`).
    pub fn href(&self, path: &DavPath) -> String {
        match path {
            DavPath::Root => self.root(),
            DavPath::Home { user } => self.home(user),
            DavPath::Collection { user, collection } => self.collection(user, collection),
            DavPath::Object {
                user,
                collection,
                name,
            } => self.object(user, collection, name),
        }
    }

    pub fn root(&self) -> String {
        self.join(&[], "/")
    }

    pub fn home(&self, user: &str) -> String {
        self.join(&[user], "/")
    }

    pub fn collection(&self, user: &str, collection: &str) -> String {
        self.join(&[user, collection], "/")
    }

    pub fn object(&self, user: &str, collection: &str, name: &str) -> String {
        self.join(&[user, collection, name], "")
    }

    /// The base, then each segment after a `/`, encoded, then `tail`: one
    /// allocation per href, as a listing builds one per member.
    fn join(&self, segments: &[&str], tail: &str) -> String {
        let len: usize = segments.iter().map(|s| s.len() + 1).sum();
        let mut out = String::with_capacity(self.0.len() + len + tail.len() + 8);
        out.push_str(&self.0);
        for s in segments {
            out.push('/');
            push_encoded(&mut out, s);
        }
        out.push_str(tail);
        out
    }
}

impl DavPath {
    /// Parses a path already stripped of the base and of query/fragment.
    fn parse_below(path: &str) -> Option<DavPath> {
        // At most three segments name anything (a fourth names nothing);
        // held in place, as every request and multiget href is parsed here.
        let mut segs: [Option<String>; 3] = Default::default();
        for (i, raw) in path.split('/').filter(|s| !s.is_empty()).enumerate() {
            let slot = segs.get_mut(i)?;
            let seg = percent_decode_str(raw).decode_utf8().ok()?.into_owned();
            if seg == "." || seg == ".." {
                return None;
            }
            *slot = Some(seg);
        }
        Some(match segs {
            [None, ..] => DavPath::Root,
            [Some(user), None, _] => DavPath::Home { user },
            [Some(user), Some(collection), None] => DavPath::Collection { user, collection },
            [Some(user), Some(collection), Some(name)] => DavPath::Object {
                user,
                collection,
                name,
            },
        })
    }

    /// The user whose home this path lies in.
    pub fn user(&self) -> Option<&str> {
        match self {
            DavPath::Root => None,
            DavPath::Home { user }
            | DavPath::Collection { user, .. }
            | DavPath::Object { user, .. } => Some(user),
        }
    }
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
        let root = Base::default();
        assert_eq!(root.parse("/"), Some(DavPath::Root));
        assert_eq!(root.parse("/u/"), Some(DavPath::Home { user: "u".into() }));
        let p = root.parse("/u/my%20cal/a%40b.ics").unwrap();
        assert_eq!(
            p,
            DavPath::Object {
                user: "u".into(),
                collection: "my cal".into(),
                name: "a@b.ics".into()
            }
        );
        assert_eq!(root.href(&p), "/u/my%20cal/a@b.ics");
        assert_eq!(root.parse("/a/b/c/d"), None);
        assert_eq!(root.parse("/a/../b"), None);
        assert_eq!(encode("x y/ü?#%"), "x%20y%2F%C3%BC%3F%23%25");
    }

    /// Two bases side by side: each renders its own prefix and parses hrefs
    /// with or without it, with no state shared between them.
    #[test]
    fn two_bases_in_one_process() {
        let (a, b) = (Base::new("/caldav"), Base::new("/dav/v2"));
        let p = DavPath::Collection {
            user: "u".into(),
            collection: "c".into(),
        };
        assert_eq!(a.href(&p), "/caldav/u/c/");
        assert_eq!(b.href(&p), "/dav/v2/u/c/");
        assert_eq!(a.object("u", "c", "x y.ics"), "/caldav/u/c/x%20y.ics");
        assert_eq!(b.root(), "/dav/v2/");
        assert_eq!(Base::default().home("u"), "/u/");
        assert_eq!(a.parse("/caldav/u/c/"), Some(p.clone()));
        assert_eq!(a.parse("/u/c/"), Some(p.clone()));
        assert_eq!(b.parse("/dav/v2/u/c/"), Some(p.clone()));
        // Not this server's base: its segments are the path.
        assert_eq!(
            b.parse("/caldav/u/"),
            Some(DavPath::Collection {
                user: "caldav".into(),
                collection: "u".into()
            })
        );
        // A prefix of a segment is not the base.
        assert_eq!(
            a.parse("/caldavx/"),
            Some(DavPath::Home {
                user: "caldavx".into()
            })
        );
    }

    #[test]
    fn destination_paths() {
        assert_eq!(path_of("http://h:1/u/c/x.ics"), "/u/c/x.ics");
        assert_eq!(path_of("/u/c/"), "/u/c/");
        assert_eq!(path_of("https://h"), "/");
    }
}
