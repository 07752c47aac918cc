//! Shared harness for the integration tests: starts the real `davdir` binary
//! on 127.0.0.1:0 over a temporary data directory, speaks HTTP to it with
//! reqwest, and reads multistatus / DAV:error bodies with quick-xml.
//!
//! Every test binary includes this module with `mod common;` and uses only a
//! part of it, hence the dead-code allowance.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::HeaderMap;
use reqwest::Method;
use sha2::{Digest, Sha256};

pub const DAV: &str = "DAV:";
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
pub const CS: &str = "http://calendarserver.org/ns/";
pub const ICAL: &str = "http://apple.com/ns/ical/";

/// How long a server may take to print its `listening on` line.
const STARTUP: Duration = Duration::from_secs(20);
/// Bound on any single HTTP request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The sample data shipped with the repository.
pub fn sample_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data-sample")
}

/// Copies a directory tree (files and directories only).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// How a server is started.
#[derive(Clone, Debug)]
pub struct Options {
    /// Copy data-sample into the data directory first.
    pub sample: bool,
    /// `--htpasswd <data>/htpasswd` (else `--no-auth`).
    pub auth: bool,
    /// Contents of a `--config` file, if any.
    pub config: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sample: true,
            auth: true,
            config: None,
        }
    }
}

/// A running server over its own temporary data directory; killed on drop.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub base: String,
    /// The data directory (`--data`).
    pub data: PathBuf,
    /// Default Basic credentials for requests.
    pub creds: Option<(String, String)>,
    client: Client,
    options: Options,
    tmp: tempfile::TempDir,
}

impl Server {
    /// A server over a copy of data-sample, logged in as demo/demo.
    pub fn sample() -> Server {
        Server::start(Options::default())
    }

    pub fn start(options: Options) -> Server {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        if options.sample {
            copy_tree(&sample_dir(), &data);
        } else {
            std::fs::create_dir_all(&data).unwrap();
        }
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .build()
            .unwrap();
        let mut server = Server {
            child: None,
            base: String::new(),
            data,
            creds: options
                .auth
                .then(|| ("demo".to_string(), "demo".to_string())),
            client,
            options,
            tmp,
        };
        server.spawn();
        server
    }

    /// The command line the server is started with.
    fn args(&self) -> Vec<String> {
        let mut args = vec![
            "serve".to_string(),
            "--data".to_string(),
            self.data.display().to_string(),
            "--listen".to_string(),
            "127.0.0.1:0".to_string(),
        ];
        if self.options.auth {
            args.push("--htpasswd".into());
            args.push(self.htpasswd_path().display().to_string());
        } else {
            args.push("--no-auth".into());
        }
        if let Some(text) = &self.options.config {
            let path = self.tmp.path().join("davdir.toml");
            std::fs::write(&path, text).unwrap();
            args.push("--config".into());
            args.push(path.display().to_string());
        }
        args
    }

    /// Where the htpasswd file is (inside the data directory, like data-sample).
    pub fn htpasswd_path(&self) -> PathBuf {
        self.data.join("htpasswd")
    }

    fn spawn(&mut self) {
        if self.options.auth && !self.htpasswd_path().exists() {
            std::fs::write(self.htpasswd_path(), "").unwrap();
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.tmp.path().join("server.log"))
            .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_davdir"))
            .args(self.args())
            .env("DAVDIR_LOG", "davdir=info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start davdir");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Keep draining stdout so the server never blocks on it.
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + STARTUP;
        let base = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("listening on ") {
                        break rest.trim().trim_end_matches('/').to_string();
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "davdir did not print its listening line within {STARTUP:?}; log:\n{}",
                        self.log()
                    );
                }
            }
        };
        self.base = base;
        self.child = Some(child);
    }

    /// Stops the server (SIGKILL) and starts it again over the same data.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Starts a stopped server again over the same data (new port).
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "server still running");
        self.spawn();
    }

    /// Kills the server process; the data directory stays.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The server's process id while it runs (for /proc measurements).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The server's stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.tmp.path().join("server.log")).unwrap_or_default()
    }

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

    /// A file below the data directory, e.g. `demo/work/x.ics`.
    pub fn file(&self, rel: &str) -> PathBuf {
        self.data.join(rel)
    }

    pub fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.file(rel))
            .unwrap_or_else(|e| panic!("read {}: {e}", self.file(rel).display()))
    }

    /// The entry names of a directory below the data directory, sorted.
    pub fn dir_names(&self, rel: &str) -> BTreeSet<String> {
        std::fs::read_dir(self.file(rel))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    /// Fails the test if a calendar directory holds hidden files other than
    /// `.calendar.toml` (left-over temp files of atomic writes).
    pub fn assert_no_temp_files(&self, rel: &str) {
        let stray: Vec<String> = self
            .dir_names(rel)
            .into_iter()
            .filter(|n| n.starts_with('.') && n != ".calendar.toml")
            .collect();
        assert!(stray.is_empty(), "temp files left in {rel}: {stray:?}");
    }
}

/// Everything a hostile request as `demo` must leave alone: alice's home and
/// a directory beside the data directory (outside anything the server may
/// touch) holding a secret file. `check` fails the test if any of it changed.
pub struct Fence {
    roots: Vec<PathBuf>,
    before: BTreeMap<PathBuf, String>,
    /// The secret's content: it must never appear in a response body.
    pub secret: String,
}

impl Server {
    /// The directory beside the data directory that no request may reach.
    pub fn outside(&self) -> PathBuf {
        self.tmp.path().join("outside")
    }

    /// Plants the outside secret (once) and fingerprints what `demo` must not touch.
    pub fn fence(&self) -> Fence {
        let outside = self.outside();
        let secret = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:outside-secret-7f3a\r\nDTSTART:20260101T000000Z\r\nSUMMARY:OUTSIDE-SECRET-7f3a\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".to_string();
        std::fs::create_dir_all(outside.join("cal")).unwrap();
        std::fs::write(outside.join("secret.ics"), &secret).unwrap();
        std::fs::write(outside.join("cal").join("secret.ics"), &secret).unwrap();
        let roots = vec![outside, self.data.join("alice")];
        let before = roots.iter().flat_map(|r| tree_fingerprint(r)).collect();
        Fence {
            roots,
            before,
            secret,
        }
    }
}

impl Fence {
    /// Asserts nothing fenced off was written, created or removed, and that a
    /// response did not carry the secret.
    pub fn check(&self, what: &str, resp: Option<&Resp>) {
        let now: BTreeMap<PathBuf, String> = self
            .roots
            .iter()
            .flat_map(|r| tree_fingerprint(r))
            .collect();
        assert_eq!(now, self.before, "{what}: fenced files changed");
        if let Some(r) = resp {
            assert!(
                !String::from_utf8_lossy(&r.body).contains("OUTSIDE-SECRET-7f3a"),
                "{what}: response carries the outside secret"
            );
        }
    }
}

/// Every entry under `dir` (symlinks not followed) with a SHA-256 of a file's
/// bytes or a link's target, so any write, creation or removal shows.
pub fn tree_fingerprint(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            out.insert(path.clone(), "dir".to_string());
            out.extend(tree_fingerprint(&path));
        } else if kind.is_symlink() {
            let target = std::fs::read_link(&path).unwrap_or_default();
            out.insert(path, format!("link:{}", target.display()));
        } else {
            let bytes = std::fs::read(&path).unwrap_or_default();
            out.insert(path, sha256_hex(&bytes));
        }
    }
    out
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
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

/// SHA-256 of some bytes as lowercase hex (davdir's ETag without quotes).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Polls `cond` every 50 ms for up to `secs` seconds.
pub fn wait_until(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if cond() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------- iCalendar

/// A one-event calendar object with CRLF line endings.
pub fn event(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davdir//integration tests//EN\r\n\
         BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T120000Z\r\n\
         DTSTART:20270115T090000Z\r\nDTEND:20270115T100000Z\r\nSUMMARY:{summary}\r\n\
         END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// A one-to-do calendar object with CRLF line endings.
pub fn todo(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davdir//integration tests//EN\r\n\
         BEGIN:VTODO\r\nUID:{uid}\r\nDTSTAMP:20261101T120000Z\r\n\
         DUE:20270120T170000Z\r\nSUMMARY:{summary}\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )
}

/// The UID line of an iCalendar text.
pub fn uid_of(ics: &str) -> String {
    ics.lines()
        .find_map(|l| l.strip_prefix("UID:"))
        .expect("UID line")
        .trim()
        .to_string()
}

/// The `.ics` file names of a calendar directory below `root`, sorted.
pub fn ics_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".ics") && !n.starts_with('.'))
        .collect()
}

// ---------------------------------------------------------------- XML

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

/// The href of a sample object, e.g. `/demo/work/focus-time.ics`.
pub fn href(user: &str, cal: &str, name: &str) -> String {
    format!("/{user}/{cal}/{name}")
}
