//! Writing 207 Multi-Status bodies and DAV:error bodies.
//!
//! Responses are produced one `<D:response>` at a time so large collections
//! can be streamed; well-known namespaces get fixed prefixes declared once.

use actix_web::http::StatusCode;

use super::property::PropName;
use super::xml::{escape, escape_ical_into, CALDAV, CARDDAV, CS, DAV, ICAL};

const NAMESPACES: &str = r#"xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CARD="urn:ietf:params:xml:ns:carddav" xmlns:CS="http://calendarserver.org/ns/" xmlns:ICAL="http://apple.com/ns/ical/""#;

fn prefix(ns: &str) -> Option<&'static str> {
    match ns {
        DAV => Some("D"),
        CALDAV => Some("C"),
        CARDDAV => Some("CARD"),
        CS => Some("CS"),
        ICAL => Some("ICAL"),
        _ => None,
    }
}

/// The opening of a multistatus document.
pub fn begin() -> String {
    format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus {NAMESPACES}>")
}

/// The end of a multistatus document, with an optional sync-token (RFC 6578).
pub fn end(sync_token: Option<&str>) -> String {
    match sync_token {
        Some(t) => format!(
            "<D:sync-token>{}</D:sync-token></D:multistatus>\n",
            escape(t)
        ),
        None => "</D:multistatus>\n".to_string(),
    }
}

/// Appends `<` and the tag name of `name`: its fixed prefix, or a local
/// xmlns declaration. Tags are written in place, as a listing writes some
/// for every member.
fn push_open(out: &mut String, name: &PropName) {
    out.push('<');
    match prefix(&name.ns) {
        Some(p) => {
            out.push_str(p);
            out.push(':');
            out.push_str(&name.name);
        }
        None => {
            out.push_str(&name.name);
            out.push_str(" xmlns=\"");
            out.push_str(&escape(&name.ns));
            out.push('"');
        }
    }
}

/// Appends the closing tag of `name` (see [`push_open`]).
fn push_close(out: &mut String, name: &PropName) {
    out.push_str("</");
    if let Some(p) = prefix(&name.ns) {
        out.push_str(p);
        out.push(':');
    }
    out.push_str(&name.name);
    out.push('>');
}

/// Appends `<name>inner</name>`; `inner` is already XML.
fn push_element(out: &mut String, name: &PropName, inner: &str) {
    push_open(out, name);
    if inner.is_empty() {
        out.push_str("/>");
    } else {
        out.push('>');
        out.push_str(inner);
        push_close(out, name);
    }
}

/// `<name>inner</name>` with the right prefix or a local xmlns declaration.
/// `inner` is already XML.
pub fn element(name: &PropName, inner: &str) -> String {
    let mut out = String::with_capacity(2 * name.name.len() + inner.len() + 8);
    push_element(&mut out, name, inner);
    out
}

/// A property in a propstat: either rendered from a name and inner XML, or
/// verbatim XML (a dead property's stored element).
pub enum PropXml<'n> {
    Value(&'n PropName, String),
    Raw(String),
}

/// Initial capacity of a propstat group's XML.
const GROUP: usize = 256;

/// Collects the propstats of one `<D:response>`: per status, the XML of its
/// properties, appended as they are added.
#[derive(Default)]
pub struct ResponseBuilder {
    groups: Vec<(StatusCode, String)>,
}

impl ResponseBuilder {
    pub fn add(&mut self, status: StatusCode, prop: PropXml) {
        let out = self.group(status);
        match prop {
            PropXml::Value(name, inner) => push_element(out, name, &inner),
            PropXml::Raw(x) => out.push_str(&x),
        }
    }

    /// Adds an empty property element with a status (404, 403, 424...).
    pub fn add_name(&mut self, status: StatusCode, name: &PropName) {
        push_element(self.group(status), name, "");
    }

    /// The XML of `status`'s properties so far, a new group if none yet.
    fn group(&mut self, status: StatusCode) -> &mut String {
        let at = match self.groups.iter().position(|(s, _)| *s == status) {
            Some(at) => at,
            None => {
                // Room for a few properties (a getetag is ~90 bytes): one
                // allocation instead of a growth by doubling from 8 bytes.
                self.groups.push((status, String::with_capacity(GROUP)));
                self.groups.len() - 1
            }
        };
        &mut self.groups[at].1
    }

    pub fn write(&self, href: &str, out: &mut String) {
        self.write_with_data(href, None, out);
    }

    /// [`write`](Self::write) with one more 200 property whose content is
    /// object data (calendar-data, address-data), escaped straight into
    /// `out`: the largest part of a report is then copied once.
    pub fn write_with_data(&self, href: &str, data: Option<(&PropName, &str)>, out: &mut String) {
        out.push_str("<D:response><D:href>");
        out.push_str(&escape(href));
        out.push_str("</D:href>");
        self.write_propstats(data, out);
        out.push_str("</D:response>");
    }

    /// The propstats alone, for a response or any other root element, with
    /// `data` (see `write_with_data`) among the 200 properties.
    fn write_propstats(&self, mut data: Option<(&PropName, &str)>, out: &mut String) {
        if data.is_some() && !self.groups.iter().any(|(s, _)| *s == StatusCode::OK) {
            write_group(StatusCode::OK, "", data.take(), out);
        } else if self.groups.is_empty() {
            out.push_str("<D:propstat><D:prop/><D:status>HTTP/1.1 200 OK</D:status></D:propstat>");
        }
        for (status, props) in &self.groups {
            let extra = if *status == StatusCode::OK {
                data.take()
            } else {
                None
            };
            write_group(*status, props, extra, out);
        }
    }

    /// A whole document whose root element holds only these propstats, such
    /// as `DAV:mkcol-response` (RFC 5689 §5.2) or `CALDAV:mkcalendar-response`.
    pub fn document(&self, root: &PropName) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        push_open(&mut out, root);
        out.push(' ');
        out.push_str(NAMESPACES);
        out.push('>');
        self.write_propstats(None, &mut out);
        push_close(&mut out, root);
        out.push('\n');
        out
    }
}

/// One propstat: `props` (already XML) and `data`, escaped as object data.
fn write_group(status: StatusCode, props: &str, data: Option<(&PropName, &str)>, out: &mut String) {
    out.push_str("<D:propstat><D:prop>");
    out.push_str(props);
    if let Some((name, text)) = data {
        push_open(out, name);
        out.push('>');
        escape_ical_into(out, text);
        push_close(out, name);
    }
    out.push_str("</D:prop><D:status>");
    push_status_line(out, status);
    out.push_str("</D:status></D:propstat>");
}

/// A response that carries only a status (e.g. 404 for a removed member).
pub fn status_response(href: &str, status: StatusCode, out: &mut String) {
    out.push_str("<D:response><D:href>");
    out.push_str(&escape(href));
    out.push_str("</D:href><D:status>");
    push_status_line(out, status);
    out.push_str("</D:status></D:response>");
}

pub fn status_line(status: StatusCode) -> String {
    let mut out = String::with_capacity(32);
    push_status_line(&mut out, status);
    out
}

/// Appends `HTTP/1.1 <code> <reason>` (RFC 4918 §14.28).
fn push_status_line(out: &mut String, status: StatusCode) {
    out.push_str("HTTP/1.1 ");
    out.push_str(status.as_str());
    out.push(' ');
    out.push_str(status.canonical_reason().unwrap_or(""));
}

/// A DAV:error body naming a precondition or postcondition (RFC 4918 §16),
/// and `why` in words in a DAV:responsedescription beside it (DAV:error
/// holds any element, RFC 4918 §14.5), so that a person reading a client's
/// log learns what to fix: the line of an invalid object, say. CalendarServer
/// and sabre/dav put such words there too, each in its own namespace.
pub fn error_body(condition: &PropName, inner: &str, why: &str) -> String {
    let why = match why {
        "" => String::new(),
        w => {
            // The words may quote input: no control character XML forbids.
            let w: String = w
                .chars()
                .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
                .collect();
            format!(
                "<D:responsedescription>{}</D:responsedescription>",
                escape(&w)
            )
        }
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error {NAMESPACES}>{}{why}</D:error>\n",
        element(condition, inner)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dav::xml;

    #[test]
    fn builds_well_formed_multistatus() {
        let mut out = begin();
        let mut r = ResponseBuilder::default();
        r.add(
            StatusCode::OK,
            PropXml::Value(
                &PropName::new(DAV, "displayname"),
                escape("a<b").into_owned(),
            ),
        );
        r.add_name(StatusCode::NOT_FOUND, &PropName::new("urn:x", "odd"));
        r.add(
            StatusCode::OK,
            PropXml::Raw("<z xmlns=\"urn:z\">1</z>".into()),
        );
        r.write("/u/c/", &mut out);
        status_response("/u/c/gone.ics", StatusCode::NOT_FOUND, &mut out);
        out.push_str(&end(Some("tok")));
        let doc = xml::parse(out.as_bytes()).unwrap();
        assert!(doc.is(DAV, "multistatus"));
        assert_eq!(doc.children.len(), 3);
        let ps: Vec<_> = doc.children[0].children_named(DAV, "propstat").collect();
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].child(DAV, "prop").unwrap().children.len(), 2);
        assert_eq!(
            ps[1].child(DAV, "status").unwrap().text,
            "HTTP/1.1 404 Not Found"
        );
        assert!(ps[1].child(DAV, "prop").unwrap().children[0].is("urn:x", "odd"));
    }

    #[test]
    fn object_data_joins_the_200_propstat_escaped() {
        let data = PropName::new(CARDDAV, "address-data");
        let text = "BEGIN:VCARD\r\nFN:<a> & 'b' \"c\"\r\nEND:VCARD\r\n";
        let mut with_ok = ResponseBuilder::default();
        with_ok.add(
            StatusCode::OK,
            PropXml::Value(&PropName::new(DAV, "getetag"), "\"e\"".into()),
        );
        with_ok.add_name(StatusCode::NOT_FOUND, &PropName::new(DAV, "odd"));
        let mut only_404 = ResponseBuilder::default();
        only_404.add_name(StatusCode::NOT_FOUND, &PropName::new(DAV, "odd"));
        for (b, oks) in [
            (&with_ok, 2),
            (&only_404, 1),
            (&ResponseBuilder::default(), 1),
        ] {
            let mut out = begin();
            b.write_with_data("/u/a/x.vcf", Some((&data, text)), &mut out);
            out.push_str(&end(None));
            let doc = xml::parse(out.as_bytes()).unwrap();
            let ps: Vec<_> = doc.children[0].children_named(DAV, "propstat").collect();
            let ok = ps
                .iter()
                .find(|p| p.child(DAV, "status").unwrap().text.contains("200"))
                .unwrap();
            let props = &ok.child(DAV, "prop").unwrap().children;
            assert_eq!(props.len(), oks);
            assert_eq!(props.last().unwrap().text, text);
            assert_eq!(
                ps.len(),
                if oks == 2 || b.groups.len() == 1 {
                    2
                } else {
                    1
                }
            );
        }
    }

    #[test]
    fn propstats_go_under_any_root() {
        let mut r = ResponseBuilder::default();
        r.add_name(StatusCode::FORBIDDEN, &PropName::new(DAV, "getetag"));
        r.add_name(
            StatusCode::FAILED_DEPENDENCY,
            &PropName::new(DAV, "displayname"),
        );
        for root in [
            PropName::new(CALDAV, "mkcalendar-response"),
            PropName::new("urn:x", "odd-response"),
        ] {
            let doc = xml::parse(r.document(&root).as_bytes()).unwrap();
            assert!(doc.is(&root.ns, &root.name));
            let ps: Vec<_> = doc.children_named(DAV, "propstat").collect();
            assert_eq!(ps.len(), 2);
            assert_eq!(doc.children.len(), 2);
            assert_eq!(
                ps[0].child(DAV, "status").unwrap().text,
                "HTTP/1.1 403 Forbidden"
            );
        }
    }
}
