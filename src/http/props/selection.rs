//! What a PROPFIND or REPORT body asks for (prop, allprop with include, or
//! propname): read once here for every method that answers with properties.

use crate::dav::property::PropName;
use crate::dav::xml::{Element, DAV};
use crate::http::error::{DavError, DavResult};

/// What a PROPFIND (or REPORT) asks for.
#[derive(Debug, Clone)]
pub enum PropRequest {
    /// allprop, plus any names in DAV:include.
    All(Vec<PropName>),
    Names,
    Props(Vec<PropName>),
}

impl PropRequest {
    /// Reads a DAV:propfind body (or the prop part of a REPORT).
    pub fn from_propfind(root: Option<&Element>) -> DavResult<PropRequest> {
        let Some(root) = root else {
            return Ok(PropRequest::All(Vec::new()));
        };
        if !root.is(DAV, "propfind") {
            return Err(DavError::UnexpectedRoot("DAV:propfind".into()));
        }
        Self::from_children(root)?.ok_or(DavError::IncompleteBody(
            "propfind without prop, allprop or propname",
        ))
    }

    /// Finds prop / allprop / propname among an element's children. The
    /// grammar takes one of the three (RFC 4918 §14.20, RFC 4791 §9.5,
    /// RFC 6352 §10.3), so a body with two is malformed: which one the
    /// client meant cannot be guessed, and guessing answers a question it
    /// did not ask.
    pub fn from_children(parent: &Element) -> DavResult<Option<PropRequest>> {
        let asked = ["prop", "propname", "allprop"]
            .into_iter()
            .filter(|n| parent.child(DAV, n).is_some())
            .count();
        if asked > 1 {
            return Err(DavError::ExclusiveElements(
                "only one of DAV:prop, DAV:propname and DAV:allprop",
            ));
        }
        if let Some(prop) = parent.child(DAV, "prop") {
            return Ok(Some(PropRequest::Props(prop_names(prop)?)));
        }
        if parent.child(DAV, "propname").is_some() {
            return Ok(Some(PropRequest::Names));
        }
        if parent.child(DAV, "allprop").is_some() {
            let include = match parent.child(DAV, "include") {
                Some(el) => prop_names(el)?,
                None => Vec::new(),
            };
            return Ok(Some(PropRequest::All(include)));
        }
        Ok(None)
    }
}

/// Most distinct property names one request may ask for; no client asks for
/// more than a few dozen.
pub const MAX_PROP_NAMES: usize = 256;

/// The names in a DAV:prop (or DAV:include), each once in first-seen order:
/// the answer's size follows what is asked, not how often it is repeated.
pub fn prop_names(prop: &Element) -> DavResult<Vec<PropName>> {
    let mut seen = std::collections::HashSet::new();
    let mut names = Vec::new();
    for c in &prop.children {
        let name = PropName::new(&c.ns, &c.name);
        if seen.insert(name.clone()) {
            if names.len() == MAX_PROP_NAMES {
                return Err(DavError::OverLimit {
                    what: "distinct properties requested",
                    limit: MAX_PROP_NAMES,
                });
            }
            names.push(name);
        }
    }
    Ok(names)
}
