//! Fuzzes URL-to-path mapping: `Base::parse` of a request path or a
//! Destination/href, then the segment checks the store applies before it
//! joins them onto the data directory. The resulting path must stay below
//! the data directory with exactly one component per segment and no `..`,
//! and the canonical href must parse back to the same resource.
#![no_main]

use std::path::{Component, Path};

use davdir::dav::href::{path_of, Base, DavPath};
use davdir::store::names::{check_object_name, check_segment};
use libfuzzer_sys::fuzz_target;

/// Exercise the reverse-proxy prefix handling as well.
const BASE: &str = "/caldav";

fuzz_target!(|data: &[u8]| {
    let base = Base::new(BASE);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for input in [text, path_of(text)] {
        let Some(p) = base.parse(input) else {
            continue;
        };
        let href = base.href(&p);
        assert!(href.starts_with(BASE), "href {href:?} lost the base");
        assert_eq!(base.parse(&href).as_ref(), Some(&p), "href {href:?}");
        check_mapping(&p);
    }
});

fn check_mapping(p: &DavPath) {
    let (segments, object): (Vec<&str>, bool) = match p {
        DavPath::Root => return,
        DavPath::Home { user } => (vec![user], false),
        DavPath::Collection { user, collection } => (vec![user, collection], false),
        DavPath::Object {
            user,
            collection,
            name,
        } => (vec![user, collection, name], true),
    };
    if segments.iter().any(|s| check_segment(s).is_err()) {
        return;
    }
    if object && check_object_name(segments[2]).is_err() {
        return;
    }
    let root = Path::new("/srv/data");
    let mut path = root.to_path_buf();
    for s in &segments {
        path.push(s);
    }
    assert!(path.starts_with(root), "{path:?} escapes");
    let below: Vec<Component> = path.strip_prefix(root).unwrap().components().collect();
    assert_eq!(below.len(), segments.len(), "{path:?} from {segments:?}");
    for (c, s) in below.iter().zip(&segments) {
        assert_eq!(
            *c,
            Component::Normal(std::ffi::OsStr::new(s)),
            "{path:?} from {segments:?}"
        );
    }
}
