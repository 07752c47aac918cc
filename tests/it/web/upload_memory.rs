//! Uploads in flight share one memory budget (`upload_memory`): with it
//! taken, further web imports and large PUTs are refused with 503 and
//! Retry-After instead of each holding its body, and the server's peak
//! memory stays near what the budget lets in. An import whose client
//! leaves runs to its end as a job.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::browser::*;
use crate::common::*;

const MIB: usize = 1024 * 1024;
/// Each upload's file: just under 6 MiB, so two fit a 16 MiB budget.
const FILE: usize = 6 * MIB - 64 * 1024;
const UPLOADS: usize = 16;

/// The server's peak resident memory (VmHWM), in bytes.
fn peak_memory(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// An import request sent up to its body: (connection, the body to send).
fn start_import(srv: &Server, cookie: &str, csrf: &str) -> (TcpStream, Vec<u8>) {
    let boundary = "----davdirUploadBudget";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"pad.ics\"\r\n\
         Content-Type: text/calendar\r\n\r\n"
    )
    .into_bytes();
    body.resize(body.len() + FILE, b'x');
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut s = TcpStream::connect(srv.base.trim_start_matches("http://")).unwrap();
    let head = format!(
        "POST /.web/import HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nCookie: {cookie}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    (s, body)
}

/// The response head read so far on a connection (empty: none yet).
fn poll_response(s: &mut TcpStream, seen: &mut Vec<u8>) {
    s.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buf[..n]);
    }
    s.set_nonblocking(false).unwrap();
}

#[test]
fn uploads_beyond_the_memory_budget_are_refused_with_503() {
    let srv = Server::start(Options {
        config: Some(format!("upload_memory = {}\n", 16 * MIB)),
        ..Options::default()
    });
    let mut b = Browser::new(&srv);
    b.login("demo", "demo");
    let (cookie, csrf) = (b.cookie.clone().unwrap(), b.csrf());
    let pid = srv.pid().unwrap();
    let before = peak_memory(pid);

    let mut conns: Vec<_> = (0..UPLOADS)
        .map(|_| start_import(&srv, &cookie, &csrf))
        .collect();
    let mut heads = vec![Vec::new(); UPLOADS];
    // Two imports fit the budget and wait for their bodies; the others are
    // answered at once, before any body is sent.
    let deadline = Instant::now() + Duration::from_secs(60);
    while heads.iter().filter(|h| !h.is_empty()).count() < UPLOADS - 2 && Instant::now() < deadline
    {
        for ((s, _), seen) in conns.iter_mut().zip(heads.iter_mut()) {
            poll_response(s, seen);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // A large DAV PUT draws on the same budget.
    let mut put = TcpStream::connect(srv.base.trim_start_matches("http://")).unwrap();
    put.write_all(
        format!(
            "PUT /demo/work/big.ics HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic ZGVtbzpkZW1v\r\n\
             Content-Type: text/calendar\r\nContent-Length: {}\r\n\r\n",
            5 * MIB
        )
        .as_bytes(),
    )
    .unwrap();
    let mut put_head = vec![0u8; 4096];
    let n = put.read(&mut put_head).unwrap();
    let put_head = String::from_utf8_lossy(&put_head[..n]).to_ascii_lowercase();

    // Every body goes out at once; refused connections fail to take it.
    std::thread::scope(|scope| {
        for ((s, body), seen) in conns.iter_mut().zip(heads.iter_mut()) {
            scope.spawn(move || {
                if seen.is_empty() {
                    let _ = s.write_all(body);
                    let _ = s.read_to_end(seen);
                }
            });
        }
    });
    let heads: Vec<String> = heads
        .iter()
        .map(|h| String::from_utf8_lossy(h).to_ascii_lowercase())
        .collect();
    // All sixteen bodies would be 96 MiB held at once; two are 12.
    let grown = peak_memory(pid).saturating_sub(before);
    eprintln!("peak memory grew by {} KiB", grown / 1024);
    assert!(grown < 48 * MIB, "peak memory grew by {} MiB", grown / MIB);
    let refused = heads
        .iter()
        .filter(|h| h.starts_with("http/1.1 503"))
        .count();
    assert_eq!(refused, UPLOADS - 2, "{heads:#?}");
    for h in heads.iter().filter(|h| h.starts_with("http/1.1 503")) {
        assert!(h.contains("retry-after: 5"), "{h}");
        assert!(h.contains("busy receiving other uploads"), "{h}");
    }
    assert!(
        put_head.starts_with("http/1.1 503") && put_head.contains("retry-after"),
        "{put_head}"
    );
    // Once the budget is free again, an upload is taken.
    let (mut s, body) = start_import(&srv, &cookie, &csrf);
    s.write_all(&body).unwrap();
    let mut head = Vec::new();
    s.read_to_end(&mut head).ok();
    assert!(!String::from_utf8_lossy(&head).starts_with("HTTP/1.1 503"));
}

/// A client that leaves once its file is sent does not stop the import:
/// its job runs to its end on the server (docs/clients.md, "Import old
/// data").
#[test]
fn an_import_goes_on_after_the_client_leaves() {
    const EVENTS: usize = 2_000;
    let srv = Server::sample();
    let mut b = Browser::new(&srv);
    b.login("demo", "demo");
    let (cookie, csrf) = (b.cookie.clone().unwrap(), b.csrf());
    let mut file = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n");
    for i in 0..EVENTS {
        file.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:left-{i}\r\nDTSTAMP:20260101T000000Z\r\n\
             DTSTART:20270101T100000Z\r\nSUMMARY:Event {i}\r\nEND:VEVENT\r\n"
        ));
    }
    file.push_str("END:VCALENDAR\r\n");
    let boundary = "----davdirLeaving";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"new_name\"\r\n\r\nleft\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"left.ics\"\r\n\
         Content-Type: text/calendar\r\n\r\n{file}\r\n--{boundary}--\r\n"
    );
    let mut s = TcpStream::connect(srv.base.trim_start_matches("http://")).unwrap();
    s.write_all(
        format!(
            "POST /.web/import HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\
             Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .unwrap();
    // Gone before any answer.
    s.shutdown(std::net::Shutdown::Both).unwrap();
    drop(s);
    let dir = srv.data.join("demo/left");
    let count = || {
        std::fs::read_dir(&dir).map_or(0, |d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".ics"))
            })
            .count()
        })
    };
    assert!(
        wait_until(300, || count() == EVENTS),
        "{} of {EVENTS} imported",
        count()
    );
    // The request was answered with the job's page the client never saw.
    assert!(
        wait_until(60, || srv.log().contains("POST /.web/import -> 303")),
        "{}",
        srv.log()
    );
}
