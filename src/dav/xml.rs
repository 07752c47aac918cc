//! A small owned XML element tree built from quick-xml's namespace-aware reader.
//!
//! DAV request bodies are small (a few KiB), and handlers need random access to
//! children in any order, so a tree is simpler than a streaming walk here.
//! Every body comes from a client or a hand-edited file, so the tree's depth,
//! size and text are bounded while it is read ([`Limits`]): nothing built from
//! it (clone, drop, serialisation) can then recurse deeper than the bound.

use compact_str::CompactString;
use quick_xml::events::Event;
use quick_xml::name::{PrefixDeclaration, ResolveResult};
use quick_xml::NsReader;

mod chars;
mod escape;

pub use escape::{escape, escape_ical, escape_ical_into};

/// The WebDAV namespace.
pub const DAV: &str = "DAV:";
/// The CalDAV namespace (RFC 4791).
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
/// The CardDAV namespace (RFC 6352 §14.1).
pub const CARDDAV: &str = "urn:ietf:params:xml:ns:carddav";
/// CalendarServer extensions (getctag).
pub const CS: &str = "http://calendarserver.org/ns/";
/// Apple iCal extensions (calendar-color, calendar-order).
pub const ICAL: &str = "http://apple.com/ns/ical/";

/// A parsed element: expanded name, attributes, child elements and text content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Inline or static (the usual namespaces, short names): no heap block
    /// per element, of which a multiget of a hundred hrefs has hundreds.
    pub ns: CompactString,
    pub name: CompactString,
    /// Attributes without namespace prefix handling beyond their local name.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// Concatenated text directly inside this element.
    pub text: String,
}

/// Why a body could not be read as XML.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// Well-formed perhaps, but beyond what any DAV body needs.
    #[error("XML body too large: {0}")]
    TooLarge(String),
}

fn malformed(e: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(e.to_string())
}

/// Bounds on a parsed document. Real DAV bodies nest fewer than 12 levels and
/// a multiget of 10,000 hrefs has about as many elements.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest element nesting (the root is level 1).
    pub depth: usize,
    /// Elements in the whole document.
    pub elements: usize,
    /// Attributes on one element.
    pub attributes: usize,
    /// Bytes of text and attribute values in the whole document.
    pub text: usize,
    /// Bytes of one element's or attribute's local name or namespace.
    pub name: usize,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        depth: 64,
        elements: 20_000,
        attributes: 32,
        text: 1024 * 1024,
        name: 1024,
    };
}

impl Element {
    pub fn new(ns: &str, name: &str) -> Self {
        Element {
            ns: ns.into(),
            name: name.into(),
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
            out.push_str(&escape_attribute(v));
            out.push('"');
        }
        if self.children.is_empty() && self.text.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        out.push_str(&escape_ical(&self.text));
        for c in &self.children {
            c.write_into(out, Some(&self.ns));
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

/// Parses a whole document within [`Limits::DEFAULT`] and returns its root element.
pub fn parse(body: &[u8]) -> Result<Element, XmlError> {
    parse_within(body, Limits::DEFAULT)
}

/// Parses a whole document, refusing it as soon as it exceeds `limits`.
pub fn parse_within(body: &[u8], limits: Limits) -> Result<Element, XmlError> {
    let text = std::str::from_utf8(body).map_err(malformed)?;
    // Also covers comments and processing instructions, which are dropped
    // but would make the document one no other parser accepts.
    allowed_chars(text)?;
    let mut reader = NsReader::from_str(text);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut budget = Budget::new(limits);
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(malformed)?;
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                if root.is_some() {
                    return Err(malformed("content after the root element"));
                }
                budget.element(stack.len() + 1)?;
                let ns = match ns {
                    ResolveResult::Bound(n) => element_namespace(n.as_ref())?,
                    ResolveResult::Unbound => CompactString::const_new(""),
                    ResolveResult::Unknown(p) => {
                        return Err(malformed(format!(
                            "undeclared namespace prefix {}",
                            String::from_utf8_lossy(&p)
                        )))
                    }
                };
                if RESERVED_NAMESPACES.contains(&ns.as_str()) {
                    return Err(malformed(format!("element in the reserved namespace {ns}")));
                }
                let name = CompactString::from(qname_local(start.name().as_ref())?);
                budget.name(&ns)?;
                budget.name(&name)?;
                // The names move in: no second copy of each.
                let mut el = Element {
                    ns,
                    name,
                    attrs: Vec::new(),
                    children: Vec::new(),
                    text: String::new(),
                };
                for attr in start.attributes() {
                    let attr = attr.map_err(malformed)?;
                    match attr.key.as_namespace_binding() {
                        Some(PrefixDeclaration::Default) => {
                            namespace(&attr.value)?;
                            continue;
                        }
                        Some(PrefixDeclaration::Named(prefix)) => {
                            ncname(prefix)?;
                            namespace(&attr.value)?;
                            continue;
                        }
                        None => {}
                    }
                    let value = attr.unescape_value().map_err(malformed)?.into_owned();
                    allowed_chars(&value)?;
                    budget.attribute(el.attrs.len() + 1, value.len())?;
                    let local = qname_local(attr.key.as_ref())?.to_string();
                    budget.name(&local)?;
                    // Prefixes are dropped when the element is written back,
                    // so two attributes may not share a local name, nor may
                    // one turn into a namespace declaration.
                    if local == "xmlns" || el.attr(&local).is_some() {
                        return Err(malformed(format!("attribute {local} would be ambiguous")));
                    }
                    el.attrs.push((local, value));
                }
                if matches!(event, Event::Empty(_)) {
                    attach(&mut stack, &mut root, el);
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| malformed("unbalanced end tag"))?;
                attach(&mut stack, &mut root, el);
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(malformed)?;
                // Text borrowed from the document was checked with it; only
                // character references can bring in a forbidden one.
                if matches!(s, std::borrow::Cow::Owned(_)) {
                    allowed_chars(&s)?;
                }
                match stack.last_mut() {
                    Some(top) => {
                        budget.text(s.len())?;
                        top.text.push_str(&s)
                    }
                    None if s.trim().is_empty() => {}
                    None => return Err(malformed("text outside the root element")),
                }
            }
            Event::CData(c) => {
                let s = std::str::from_utf8(&c).map_err(malformed)?;
                allowed_chars(s)?;
                let top = stack
                    .last_mut()
                    .ok_or_else(|| malformed("CDATA outside the root element"))?;
                budget.text(s.len())?;
                top.text.push_str(s);
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(malformed("unclosed element"));
    }
    root.ok_or_else(|| malformed("empty document"))
}

/// Namespaces no element may be in: the default namespace this module writes
/// may not be declared as either (Namespaces in XML 1.0 §3).
const RESERVED_NAMESPACES: [&str; 2] = [
    "http://www.w3.org/XML/1998/namespace",
    "http://www.w3.org/2000/xmlns/",
];

/// The local part of a (possibly prefixed) element or attribute name; both
/// parts must be NCNames, or the name cannot be written back as it was read.
fn qname_local(qname: &[u8]) -> Result<&str, XmlError> {
    let (prefix, local) = match qname.iter().position(|&b| b == b':') {
        Some(i) => (Some(&qname[..i]), &qname[i + 1..]),
        None => (None, qname),
    };
    if let Some(prefix) = prefix {
        ncname(prefix)?;
    }
    ncname(local)
}

fn ncname(name: &[u8]) -> Result<&str, XmlError> {
    match std::str::from_utf8(name) {
        Ok(s) if chars::is_ncname(s) => Ok(s),
        _ => Err(malformed(format!(
            "{:?} is not an XML name",
            String::from_utf8_lossy(name)
        ))),
    }
}

/// A namespace declaration's value, unescaped as an attribute value is.
fn namespace(raw: &[u8]) -> Result<String, XmlError> {
    let raw = std::str::from_utf8(raw).map_err(malformed)?;
    let ns = quick_xml::escape::unescape(raw).map_err(malformed)?;
    allowed_chars(&ns)?;
    Ok(ns.into_owned())
}

/// An element's namespace: the ones DAV bodies use are static strings, so
/// most elements need no copy of theirs.
fn element_namespace(raw: &[u8]) -> Result<CompactString, XmlError> {
    const KNOWN: [&str; 5] = [DAV, CALDAV, CARDDAV, CS, ICAL];
    match KNOWN.iter().find(|k| k.as_bytes() == raw) {
        Some(k) => Ok(CompactString::const_new(k)),
        None => namespace(raw).map(CompactString::from),
    }
}

/// Refuses characters XML 1.0 forbids (they would be echoed back unescapable).
fn allowed_chars(s: &str) -> Result<(), XmlError> {
    match chars::forbidden_char(s) {
        Some(c) => Err(malformed(format!(
            "character U+{:04X} is not allowed in XML",
            c as u32
        ))),
        None => Ok(()),
    }
}

/// What a document has used of its [`Limits`] so far.
struct Budget {
    limits: Limits,
    elements: usize,
    text: usize,
}

impl Budget {
    fn new(limits: Limits) -> Self {
        Budget {
            limits,
            elements: 0,
            text: 0,
        }
    }

    fn element(&mut self, depth: usize) -> Result<(), XmlError> {
        if depth > self.limits.depth {
            return Err(XmlError::TooLarge(format!(
                "nested deeper than {} levels",
                self.limits.depth
            )));
        }
        self.elements += 1;
        if self.elements > self.limits.elements {
            return Err(XmlError::TooLarge(format!(
                "more than {} elements",
                self.limits.elements
            )));
        }
        Ok(())
    }

    fn attribute(&mut self, count: usize, len: usize) -> Result<(), XmlError> {
        if count > self.limits.attributes {
            return Err(XmlError::TooLarge(format!(
                "more than {} attributes on one element",
                self.limits.attributes
            )));
        }
        self.text(len)
    }

    fn name(&self, name: &str) -> Result<(), XmlError> {
        if name.len() > self.limits.name {
            return Err(XmlError::TooLarge(format!(
                "a name or namespace longer than {} bytes",
                self.limits.name
            )));
        }
        Ok(())
    }

    fn text(&mut self, len: usize) -> Result<(), XmlError> {
        self.text += len;
        if self.text > self.limits.text {
            return Err(XmlError::TooLarge(format!(
                "more than {} bytes of text",
                self.limits.text
            )));
        }
        Ok(())
    }
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

/// Escapes an attribute value, keeping TAB, LF and CR as character
/// references so that attribute-value normalisation cannot turn them into spaces.
fn escape_attribute(s: &str) -> String {
    escape(s)
        .replace('\t', "&#9;")
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
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

    fn nested(n: usize) -> String {
        format!("{}{}", "<a xmlns='DAV:'>".repeat(n), "</a>".repeat(n))
    }

    #[test]
    fn bounds_depth_elements_attributes_and_text() {
        let limits = Limits::DEFAULT;
        assert!(parse(nested(limits.depth).as_bytes()).is_ok());
        let deep = parse(nested(limits.depth + 1).as_bytes());
        assert!(matches!(deep, Err(XmlError::TooLarge(_))), "{deep:?}");
        // Far deeper than any stack could recurse: refused, not crashed.
        assert!(parse(nested(200_000).as_bytes()).is_err());
        let many = format!("<r xmlns='DAV:'>{}</r>", "<e/>".repeat(limits.elements));
        assert!(matches!(parse(many.as_bytes()), Err(XmlError::TooLarge(_))));
        let attrs: String = (0..=limits.attributes)
            .map(|i| format!(" a{i}='v'"))
            .collect();
        let wide = format!("<r xmlns='DAV:'{attrs}/>");
        assert!(matches!(parse(wide.as_bytes()), Err(XmlError::TooLarge(_))));
        let long = format!("<r xmlns='DAV:'>{}</r>", "x".repeat(limits.text + 1));
        assert!(matches!(parse(long.as_bytes()), Err(XmlError::TooLarge(_))));
        let named = format!("<{} xmlns='DAV:'/>", "n".repeat(limits.name + 1));
        assert!(matches!(
            parse(named.as_bytes()),
            Err(XmlError::TooLarge(_))
        ));
        let spaced = format!("<n xmlns='urn:{}'/>", "n".repeat(limits.name));
        assert!(matches!(
            parse(spaced.as_bytes()),
            Err(XmlError::TooLarge(_))
        ));
        let tight = Limits {
            depth: 2,
            ..Limits::DEFAULT
        };
        assert!(parse_within(nested(3).as_bytes(), tight).is_err());
    }

    #[test]
    fn refuses_names_that_cannot_be_written_back() {
        for bad in [
            &b"<a><></></a>"[..],
            b"<d:a xmlns:d=\"DAV:\"><d:b:c/></d:a>",
            b"<a xmlns:c=\"u\"><c:!x/></a>",
            b"<a nam:=\"D\"/>",
            b"<a xmlns:!p=\"u\"/>",
            b"<a xmlns:x=\"u\" xmlns:y=\"v\" x:k=\"1\" y:k=\"2\"/>",
            b"<a xmlns:x=\"u\" x:xmlns=\"v\"/>",
            b"<xml:a/>",
            b"<a xmlns=\"http://www.w3.org/XML/1998/namespace\"/>",
        ] {
            let got = parse(bad);
            assert!(
                matches!(got, Err(XmlError::Malformed(_))),
                "{}: {got:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn refuses_characters_xml_forbids() {
        for bad in [
            &b"<a>x\0y</a>"[..],
            b"<a>&#1;</a>",
            b"<a k=\"&#x1F;\"/>",
            b"<a xmlns=\"u&#2;\"/>",
            b"<a><![CDATA[\x07]]></a>",
            b"<a><!-- \x01 --></a>",
            "<a>\u{FFFF}</a>".as_bytes(),
        ] {
            let got = parse(bad);
            assert!(
                matches!(got, Err(XmlError::Malformed(_))),
                "{}: {got:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(parse(b"<a>\t&#13;\n</a>").unwrap().text, "\t\r\n");
    }

    #[test]
    fn unescapes_namespaces_once() {
        let root = parse(br#"<a xmlns="x&amp;y"><b k="&#10;"/></a>"#).unwrap();
        assert_eq!(root.ns, "x&y");
        assert_eq!(root.to_xml(), r#"<a xmlns="x&amp;y"><b k="&#10;"/></a>"#);
        assert_eq!(parse(root.to_xml().as_bytes()).unwrap(), root);
    }

    #[test]
    fn round_trips_through_to_xml() {
        let root =
            parse(br#"<x:a xmlns:x="urn:x" k="v"><y:b xmlns:y="urn:y">t&lt;</y:b></x:a>"#).unwrap();
        let again = parse(root.to_xml().as_bytes()).unwrap();
        assert_eq!(root, again);
    }
}
