//! A small owned XML element tree built from quick-xml's namespace-aware reader.
//!
//! DAV request bodies are small (a few KiB), and handlers need random access to
//! children in any order, so a tree is simpler than a streaming walk here.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

/// The WebDAV namespace.
pub const DAV: &str = "DAV:";
/// The CalDAV namespace (RFC 4791).
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
/// CalendarServer extensions (getctag).
pub const CS: &str = "http://calendarserver.org/ns/";
/// Apple iCal extensions (calendar-color, calendar-order).
pub const ICAL: &str = "http://apple.com/ns/ical/";

/// A parsed element: expanded name, attributes, child elements and text content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub ns: String,
    pub name: String,
    /// Attributes without namespace prefix handling beyond their local name.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// Concatenated text directly inside this element.
    pub text: String,
}

/// Why a body could not be read as XML.
#[derive(Debug, thiserror::Error)]
#[error("malformed XML: {0}")]
pub struct XmlError(pub String);

impl Element {
    pub fn new(ns: &str, name: &str) -> Self {
        Element {
            ns: ns.to_string(),
            name: name.to_string(),
            attrs: Vec::new(),
            children: Vec::new(),
            text: String::new(),
        }
    }

    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Serialises the element with explicit namespace declarations, so it can be
    /// stored (dead properties) and embedded in any response unchanged.
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        self.write_into(&mut out, None);
        out
    }

    fn write_into(&self, out: &mut String, parent_ns: Option<&str>) {
        out.push('<');
        out.push_str(&self.name);
        if parent_ns != Some(self.ns.as_str()) {
            out.push_str(" xmlns=\"");
            out.push_str(&escape(&self.ns));
            out.push('"');
        }
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            out.push_str(&escape(v));
            out.push('"');
        }
        if self.children.is_empty() && self.text.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        out.push_str(&escape(&self.text));
        for c in &self.children {
            c.write_into(out, Some(&self.ns));
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

/// Parses a whole document and returns its root element.
pub fn parse(body: &[u8]) -> Result<Element, XmlError> {
    let text = std::str::from_utf8(body).map_err(|e| XmlError(e.to_string()))?;
    let mut reader = NsReader::from_str(text);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| XmlError(e.to_string()))?;
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                if root.is_some() {
                    return Err(XmlError("content after the root element".into()));
                }
                let ns = match ns {
                    ResolveResult::Bound(n) => String::from_utf8_lossy(n.as_ref()).into_owned(),
                    ResolveResult::Unbound => String::new(),
                    ResolveResult::Unknown(p) => {
                        return Err(XmlError(format!(
                            "undeclared namespace prefix {}",
                            String::from_utf8_lossy(&p)
                        )))
                    }
                };
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                let mut el = Element::new(&ns, &name);
                for attr in start.attributes() {
                    let attr = attr.map_err(|e| XmlError(e.to_string()))?;
                    let key = attr.key.as_ref();
                    if key.starts_with(b"xmlns") {
                        continue;
                    }
                    let value = attr
                        .unescape_value()
                        .map_err(|e| XmlError(e.to_string()))?
                        .into_owned();
                    let local =
                        String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
                    el.attrs.push((local, value));
                }
                if matches!(event, Event::Empty(_)) {
                    attach(&mut stack, &mut root, el);
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| XmlError("unbalanced end tag".into()))?;
                attach(&mut stack, &mut root, el);
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(|e| XmlError(e.to_string()))?;
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err(XmlError("text outside the root element".into())),
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError("unclosed element".into()));
    }
    root.ok_or_else(|| XmlError("empty document".into()))
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

/// Escapes iCalendar text for element content, keeping CR as `&#13;` so
/// that XML parsers' line-end normalisation cannot turn CRLF into LF.
pub fn escape_ical(s: &str) -> String {
    escape(s).replace('\r', "&#13;")
}

/// Escapes text for element content and attribute values.
pub fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaces_and_text() {
        let doc = br#"<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:calendar-data/><d:displayname>a &amp; b</d:displayname></d:prop></d:propfind>"#;
        let root = parse(doc).unwrap();
        assert!(root.is(DAV, "propfind"));
        let prop = root.child(DAV, "prop").unwrap();
        assert!(prop.children[0].is(CALDAV, "calendar-data"));
        assert_eq!(prop.children[1].text, "a & b");
    }

    #[test]
    fn rejects_malformed() {
        assert!(parse(b"<a xmlns='DAV:'><b></a>").is_err());
        assert!(parse(b"<x:a/>").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"<a/><b/>").is_err());
    }

    #[test]
    fn round_trips_through_to_xml() {
        let root =
            parse(br#"<x:a xmlns:x="urn:x" k="v"><y:b xmlns:y="urn:y">t&lt;</y:b></x:a>"#).unwrap();
        let again = parse(root.to_xml().as_bytes()).unwrap();
        assert_eq!(root, again);
    }
}
