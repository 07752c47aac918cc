//! Request bodies in XML and the parsed multistatus answers.

use std::collections::BTreeSet;

use super::*;

/// `<D:propfind><D:prop>…</D:prop></D:propfind>` for the given names.
pub fn propfind_body(props: &[(&str, &str)]) -> String {
    let mut s =
        String::from(r#"<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:"><prop>"#);
    for (ns, name) in props {
        s.push_str(&format!(r#"<{name} xmlns="{ns}"/>"#));
    }
    s.push_str("</prop></propfind>");
    s
}

/// Response bodies are read with the crate's own XML tree parser (the
/// server's response writer is separate code, so the tests stay independent).
pub use davdir::dav::xml::Element;

/// Test conveniences on parsed elements.
pub trait ElementExt {
    /// The texts of the DAV:href children.
    fn hrefs(&self) -> Vec<String>;
    /// `{ns}name` of every child, in order.
    fn child_names(&self) -> Vec<String>;
}

impl ElementExt for Element {
    fn hrefs(&self) -> Vec<String> {
        self.children_named(DAV, "href")
            .map(|h| h.text.trim().to_string())
            .collect()
    }

    fn child_names(&self) -> Vec<String> {
        self.children
            .iter()
            .map(|c| format!("{{{}}}{}", c.ns, c.name))
            .collect()
    }
}

/// Parses a whole document into its root element (namespace-aware). Answers
/// may carry whole calendars, so only their depth is bounded as requests are.
pub fn parse_xml(text: &str) -> Result<Element, String> {
    let limits = davdir::dav::xml::Limits {
        elements: usize::MAX,
        text: usize::MAX,
        ..davdir::dav::xml::Limits::DEFAULT
    };
    davdir::dav::xml::parse_within(text.as_bytes(), limits).map_err(|e| e.to_string())
}

/// The numeric status of `HTTP/1.1 404 Not Found`.
pub fn status_code(line: &str) -> u16 {
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {line:?}"))
}

/// One property of a `<D:response>` with the status of its propstat.
#[derive(Debug, Clone)]
pub struct Prop {
    pub status: u16,
    pub el: Element,
}

impl Prop {
    pub fn text(&self) -> &str {
        &self.el.text
    }
}

/// One `<D:response>`.
#[derive(Debug, Clone)]
pub struct Response {
    pub href: String,
    /// The response-level status (members without propstats).
    pub status: Option<u16>,
    pub props: Vec<Prop>,
}

impl Response {
    pub fn prop(&self, ns: &str, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.el.is(ns, name))
    }

    /// The status a property was reported with, if at all.
    pub fn status_of(&self, ns: &str, name: &str) -> Option<u16> {
        self.prop(ns, name).map(|p| p.status)
    }

    /// A property that must be present with 200.
    #[track_caller]
    pub fn ok(&self, ns: &str, name: &str) -> &Element {
        let p = self
            .prop(ns, name)
            .unwrap_or_else(|| panic!("{}: no {{{ns}}}{name} in {:#?}", self.href, self.props));
        assert_eq!(p.status, 200, "{}: {{{ns}}}{name}: {:?}", self.href, p);
        &p.el
    }
}

/// A parsed 207 body.
#[derive(Debug, Clone)]
pub struct Multistatus {
    pub responses: Vec<Response>,
    pub sync_token: Option<String>,
}

impl Multistatus {
    #[track_caller]
    pub fn parse(text: &str) -> Multistatus {
        let root = parse_xml(text).unwrap_or_else(|e| panic!("multistatus not XML ({e}):\n{text}"));
        assert!(root.is(DAV, "multistatus"), "not a multistatus:\n{text}");
        let mut responses = Vec::new();
        for r in root.children_named(DAV, "response") {
            let hrefs = r.hrefs();
            assert_eq!(hrefs.len(), 1, "one href per response expected:\n{text}");
            let status = r.child(DAV, "status").map(|s| status_code(&s.text));
            let mut props = Vec::new();
            for ps in r.children_named(DAV, "propstat") {
                let st = status_code(
                    &ps.child(DAV, "status")
                        .unwrap_or_else(|| panic!("propstat without status:\n{text}"))
                        .text,
                );
                if let Some(prop) = ps.child(DAV, "prop") {
                    for p in &prop.children {
                        props.push(Prop {
                            status: st,
                            el: p.clone(),
                        });
                    }
                }
            }
            responses.push(Response {
                href: hrefs[0].clone(),
                status,
                props,
            });
        }
        Multistatus {
            responses,
            sync_token: root
                .child(DAV, "sync-token")
                .map(|t| t.text.trim().to_string()),
        }
    }

    pub fn hrefs(&self) -> BTreeSet<String> {
        self.responses.iter().map(|r| r.href.clone()).collect()
    }

    pub fn find(&self, href: &str) -> Option<&Response> {
        self.responses.iter().find(|r| r.href == href)
    }

    /// The response for `href`; fails the test when absent.
    #[track_caller]
    pub fn get(&self, href: &str) -> &Response {
        self.find(href)
            .unwrap_or_else(|| panic!("no response for {href}; have {:?}", self.hrefs()))
    }

    /// The only response (Depth 0).
    #[track_caller]
    pub fn single(&self) -> &Response {
        assert_eq!(self.responses.len(), 1, "{:#?}", self.responses);
        &self.responses[0]
    }
}
