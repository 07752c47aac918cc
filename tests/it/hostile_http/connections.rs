//! Raw TCP connections: slow clients, malformed or oversized request heads,
//! and OPTIONS answered with an empty body everywhere.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// How long a read may wait before the test concludes the server kept the
/// connection open: far beyond the server's own 2 s and 5 s timeouts, so a
/// loaded machine cannot fail a test by being slow.
const HELD: Duration = Duration::from_secs(60);

use super::*;

/// A raw connection to the server.
fn connect(srv: &Server) -> TcpStream {
    let addr = srv.base.trim_start_matches("http://");
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(HELD)).unwrap();
    s
}

/// Reads until the server closes the connection (or `HELD` passes); returns
/// what came and whether the server closed it (rather than our read timing out).
fn read_until_closed(s: &mut TcpStream) -> (String, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => {
                break !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                )
            }
        }
    };
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

/// Sends raw bytes and returns the status of the first answer (0 if none).
fn raw_status(srv: &Server, request: &[u8]) -> (u16, String) {
    let mut s = connect(srv);
    s.write_all(request).unwrap();
    let _ = s.shutdown(std::net::Shutdown::Write);
    let (text, _) = read_until_closed(&mut s);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

const DEMO_AUTH: &str = "Authorization: Basic ZGVtbzpkZW1v\r\n";

#[test]
fn slow_clients_are_dropped() {
    let srv = Server::start(Options {
        config: Some("request_timeout = 2\n".into()),
        ..Options::default()
    });
    let fence = srv.fence();
    // Finding 12: a logged-in client announces a body and never sends it.
    let head = format!(
        "PUT /demo/work/slow.ics HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}Content-Type: text/calendar\r\nContent-Length: 1000\r\n\r\n"
    );
    let mut conns: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut s = connect(&srv);
            s.write_all(head.as_bytes()).unwrap();
            s
        })
        .collect();
    // Others are served meanwhile.
    alive(&srv);
    for (i, s) in conns.iter_mut().enumerate() {
        let (text, closed) = read_until_closed(s);
        assert!(
            text.starts_with("HTTP/1.1 408"),
            "connection {i} got {text:?}"
        );
        assert!(closed, "connection {i} still open after {HELD:?}");
    }
    fence.check("50 connections that never send their body", None);
    assert!(!srv.file("demo/work/slow.ics").exists());

    // A body dripped one byte a second is cut off at the same bound.
    let mut s = connect(&srv);
    s.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let mut closed = false;
    while started.elapsed() < Duration::from_secs(10) {
        if s.write_all(b"B").is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let (text, _) = read_until_closed(&mut s);
    assert!(closed || text.starts_with("HTTP/1.1 408"), "{text:?}");
    fence.check("body dripped a byte at a time", None);

    // Headers that never end are dropped too (actix's header timeout).
    let mut s = connect(&srv);
    s.write_all(b"GET /demo/work/ HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let (_, closed) = read_until_closed(&mut s);
    assert!(closed, "still open after {HELD:?}");
    fence.check("headers that never end", None);

    // 300 connections that send nothing: others are served, all are closed.
    let mut idle: Vec<TcpStream> = (0..300).map(|_| connect(&srv)).collect();
    alive(&srv);
    for (i, s) in idle.iter_mut().enumerate() {
        let (_, closed) = read_until_closed(s);
        assert!(closed, "idle connection {i} still open after {HELD:?}");
    }
    fence.check("300 idle connections", None);
    alive(&srv);
}

#[test]
fn malformed_and_oversized_requests_are_refused() {
    let srv = Server::sample();
    let fence = srv.fence();
    let put = |extra: &str, body: &str| {
        format!("PUT /demo/work/smuggled.ics HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}Content-Type: text/calendar\r\n{extra}\r\n{body}")
    };
    let ics = event("smuggled", "Smuggled");
    let probes: Vec<(&str, Vec<u8>, &[u16])> = vec![
        (
            "Content-Length and Transfer-Encoding together",
            put(
                "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                &format!("{:x}\r\n{ics}\r\n0\r\n\r\n", ics.len()),
            )
            .into_bytes(),
            &[400],
        ),
        (
            "two different Content-Lengths",
            put(
                &format!("Content-Length: {}\r\nContent-Length: 5\r\n", ics.len()),
                &ics,
            )
            .into_bytes(),
            &[400],
        ),
        (
            "Transfer-Encoding other than chunked",
            put("Transfer-Encoding: gzip, identity\r\n", &ics).into_bytes(),
            &[400],
        ),
        // A broken chunk: actix may drop the connection (0: closed, no
        // answer) or our body read may answer 400 first; which one wins is
        // a race, and both refuse the request and store nothing.
        (
            "bad chunk size",
            put("Transfer-Encoding: chunked\r\n", "zz\r\nBEGIN\r\n0\r\n\r\n").into_bytes(),
            &[0, 400],
        ),
        (
            "200 headers",
            format!(
                "GET /demo/work/ HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}{}\r\n",
                (0..200).map(|i| format!("X-H{i}: v\r\n")).collect::<String>()
            )
            .into_bytes(),
            &[431],
        ),
        // actix buffers at most 128 KiB of request head.
        (
            "one 200 KB header",
            format!(
                "GET /demo/work/ HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}X-Big: {}\r\n\r\n",
                "a".repeat(200 * 1024)
            )
            .into_bytes(),
            &[431],
        ),
        (
            "NUL in a header value",
            format!("GET /demo/work/ HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}X-A: a\0b\r\n\r\n").into_bytes(),
            &[400],
        ),
        (
            "bare LF line ends with an obs-fold",
            format!("GET /demo/work/ HTTP/1.1\nHost: x\n {DEMO_AUTH}\n").into_bytes(),
            &[400],
        ),
        (
            "absolute-form request target on another host",
            format!("GET http://evil.example/alice/home/ HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}\r\n").into_bytes(),
            &[403],
        ),
        (
            "double-encoded dot segments",
            format!("GET /demo/work/%252e%252e/%252e%252e/alice/home/ HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}\r\n").into_bytes(),
            &[404],
        ),
        (
            "encoded dot segments",
            format!("GET /demo/%2e%2e/alice/home/ HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}\r\n").into_bytes(),
            &[404],
        ),
        (
            "overlong UTF-8 dots in the path",
            format!("GET /demo/%c0%ae%c0%ae/alice/home/ HTTP/1.1\r\nHost: x\r\n{DEMO_AUTH}\r\n").into_bytes(),
            &[404],
        ),
        (
            "HTTP/1.0 without Host",
            format!("PROPFIND /alice/ HTTP/1.0\r\n{DEMO_AUTH}Depth: 0\r\n\r\n").into_bytes(),
            &[403],
        ),
    ];
    let mut wrong = Vec::new();
    for (name, bytes, want) in probes {
        let (status, text) = raw_status(&srv, &bytes);
        if !want.contains(&status) {
            wrong.push(format!(
                "{name}: want one of {want:?}, got {:?}",
                text.lines().next()
            ));
        }
        assert!(
            !text.contains("OUTSIDE-SECRET-7f3a"),
            "{name}: secret leaked"
        );
        fence.check(name, None);
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(!srv.file("demo/work/smuggled.ics").exists());
    alive(&srv);
}

#[test]
fn options_is_200_with_an_empty_body_everywhere() {
    let srv = Server::sample();
    let fence = srv.fence();
    for path in [
        "/",
        "/demo/",
        "/demo/work/",
        "/demo/work/focus-time.ics",
        "/demo/work/missing.ics",
        "/nobody/cal/",
        "/a/b/c/d/e",
        "/.well-known/caldav",
        "/%2e%2e/",
    ] {
        for creds in [Some(("demo", "demo")), None, Some(("demo", "wrong"))] {
            let r = srv.request_as(creds, "OPTIONS", path).fetch();
            r.expect(200);
            fence.check(&format!("OPTIONS {path}"), Some(&r));
            assert_eq!(r.header("content-length").as_deref(), Some("0"), "{path}");
            assert!(r.body.is_empty());
            let dav = r.header("dav").unwrap_or_default();
            assert!(dav.contains("calendar-access"), "{path}: DAV {dav:?}");
            assert!(r.header("allow").unwrap_or_default().contains("REPORT"));
        }
    }
    // Raw, as GNOME Online Accounts sends it: the head says Content-Length: 0.
    let mut s = connect(&srv);
    s.write_all(b"OPTIONS /demo/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (text, _) = read_until_closed(&mut s);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("\r\ncontent-length: 0\r\n"),
        "{text}"
    );
}
