//! HTTP requests to a running server (with its default credentials) and the
//! fully read responses they give.

use std::collections::BTreeSet;

use reqwest::blocking::RequestBuilder;
use reqwest::header::HeaderMap;
use reqwest::Method;

use super::*;

impl Server {
    /// `base` + path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request with the default credentials.
    pub fn request(&self, method: &str, path: &str) -> RequestBuilder {
        let creds = self.creds.clone();
        self.request_as(
            creds.as_ref().map(|(u, p)| (u.as_str(), p.as_str())),
            method,
            path,
        )
    }

    /// A request with the given Basic credentials (or none).
    pub fn request_as(
        &self,
        creds: Option<(&str, &str)>,
        method: &str,
        path: &str,
    ) -> RequestBuilder {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let rb = self.client.request(method, self.url(path));
        match creds {
            Some((u, p)) => rb.basic_auth(u, Some(p)),
            None => rb,
        }
    }

    pub fn get(&self, path: &str) -> Resp {
        self.request("GET", path).fetch()
    }

    pub fn delete(&self, path: &str) -> Resp {
        self.request("DELETE", path).fetch()
    }

    /// PUT with `Content-Type: text/calendar; charset=utf-8`.
    pub fn put_ics(&self, path: &str, ics: &str) -> Resp {
        self.request("PUT", path)
            .header("Content-Type", "text/calendar; charset=utf-8")
            .body(ics.to_string())
            .fetch()
    }

    /// PUT with `Content-Type: text/vcard; charset=utf-8`.
    pub fn put_vcf(&self, path: &str, vcf: &str) -> Resp {
        self.request("PUT", path)
            .header("Content-Type", "text/vcard; charset=utf-8")
            .body(vcf.to_string())
            .fetch()
    }

    /// PROPFIND with a Depth header and an optional body.
    pub fn propfind(&self, path: &str, depth: &str, body: Option<&str>) -> Resp {
        let mut rb = self.request("PROPFIND", path).header("Depth", depth);
        if let Some(b) = body {
            rb = rb
                .header("Content-Type", "application/xml; charset=utf-8")
                .body(b.to_string());
        }
        rb.fetch()
    }

    /// PROPFIND Depth 0 for some properties, as a parsed multistatus (asserts 207).
    pub fn props(&self, path: &str, props: &[(&str, &str)]) -> Multistatus {
        self.propfind(path, "0", Some(&propfind_body(props)))
            .multistatus()
    }

    /// The hrefs of a PROPFIND Depth 1 (asserts 207).
    pub fn members(&self, path: &str) -> BTreeSet<String> {
        self.propfind(path, "1", Some(&propfind_body(&[(DAV, "resourcetype")])))
            .multistatus()
            .hrefs()
    }

    pub fn proppatch(&self, path: &str, body: &str) -> Resp {
        self.request("PROPPATCH", path)
            .header("Content-Type", "application/xml; charset=utf-8")
            .body(body.to_string())
            .fetch()
    }

    pub fn report(&self, path: &str, depth: &str, body: &str) -> Resp {
        self.request("REPORT", path)
            .header("Depth", depth)
            .header("Content-Type", "application/xml; charset=utf-8")
            .body(body.to_string())
            .fetch()
    }

    pub fn mkcalendar(&self, path: &str, body: Option<&str>) -> Resp {
        let mut rb = self.request("MKCALENDAR", path);
        if let Some(b) = body {
            rb = rb
                .header("Content-Type", "application/xml; charset=utf-8")
                .body(b.to_string());
        }
        rb.fetch()
    }
}

/// A finished response, fully read.
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_string())
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Resp {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body:\n{}",
            self.text()
        );
        self
    }

    /// Asserts 207 and parses the multistatus.
    #[track_caller]
    pub fn multistatus(&self) -> Multistatus {
        self.expect(207);
        Multistatus::parse(&self.text())
    }

    /// Asserts that the body is a DAV:error naming the given condition.
    #[track_caller]
    pub fn expect_condition(&self, ns: &str, name: &str) -> Element {
        let root = parse_xml(&self.text())
            .unwrap_or_else(|e| panic!("error body is not XML ({e}):\n{}", self.text()));
        assert!(
            root.is(DAV, "error"),
            "expected a DAV:error body, got:\n{}",
            self.text()
        );
        root.child(ns, name)
            .unwrap_or_else(|| panic!("DAV:error lacks {{{ns}}}{name}:\n{}", self.text()))
            .clone()
    }

    /// The ETag header without its quotes.
    pub fn etag(&self) -> Option<String> {
        self.header("etag").map(|e| e.trim_matches('"').to_string())
    }
}

/// Sends a request and reads the whole response.
pub trait Fetch {
    fn fetch(self) -> Resp;
}

impl Fetch for RequestBuilder {
    fn fetch(self) -> Resp {
        let r = self.send().expect("HTTP request failed");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.bytes().expect("read body").to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }
}
