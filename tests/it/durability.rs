//! The durability promise, seen in the system calls: a PUT is answered only
//! after its file was fsynced before the rename into place, and the
//! directory and the change log were synced after it. A kill -9 cannot show
//! a missing fsync (the page cache survives it), so the server runs under
//! `strace` and the order of the calls is checked.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::common::*;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// Set to skip these tests on a machine where strace cannot trace.
const SKIP_VAR: &str = "DAVDIR_SKIP_STRACE_TESTS";

/// Whether strace can trace here. Rust's harness has no runtime skip and an
/// early return would pass having checked nothing, so a machine without a
/// working strace fails the test, naming the reason, unless SKIP_VAR is set;
/// then the skip is printed to stderr. tests/run.sh installs strace and
/// `.ci/run` runs as root, where tracing a child works.
fn strace_or_skip(test: &str) -> bool {
    let probe = Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "true"])
        .output();
    let why = match probe {
        Ok(out) if out.status.success() => return true,
        Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
        Err(e) => format!("cannot run strace: {e}"),
    };
    if std::env::var_os(SKIP_VAR).is_some() {
        eprintln!("SKIPPED {test}: strace cannot trace here ({why})");
        return false;
    }
    panic!("{test} needs strace: {why}\nset {SKIP_VAR}=1 to skip it knowingly");
}

/// A server over a copy of data-sample, traced into `trace`.
struct Traced {
    strace: Child,
    addr: String,
    data: PathBuf,
    trace: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Traced {
    fn start() -> Traced {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        davdir::demo::copy_sample(&sample_dir(), &data).unwrap();
        let trace = tmp.path().join("trace");
        // -yy names each descriptor's file or socket; -s 64 shows a reply's
        // status line.
        let mut strace = Command::new("strace")
            .args(["-f", "-yy", "-qq", "-s", "64", "-o"])
            .arg(&trace)
            .arg("-e")
            .arg("trace=fsync,fdatasync,rename,renameat,renameat2,write,writev,sendto,sendmsg")
            .arg(env!("CARGO_BIN_EXE_davdir"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(&data)
            .arg("--htpasswd")
            .arg(data.join("htpasswd"))
            .env("DAVDIR_LOG", "davdir=info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(tmp.path().join("log")).unwrap())
            .spawn()
            .expect("run strace");
        let stdout = strace.stdout.take().unwrap();
        let addr = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| {
                l.strip_prefix("listening on http://")
                    .map(|a| a.trim().trim_end_matches('/').to_string())
            });
        let Some(addr) = addr else {
            let log = std::fs::read_to_string(tmp.path().join("log")).unwrap_or_default();
            panic!("no traced server: {log}");
        };
        Traced {
            strace,
            addr,
            data,
            trace,
            _tmp: tmp,
        }
    }
}

impl Drop for Traced {
    /// Kills the traced server (strace leaves a killed tracer's tracee
    /// running), after which strace exits.
    fn drop(&mut self) {
        let pid = self.strace.id();
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"));
        for child in children.unwrap_or_default().split_whitespace() {
            let _ = Command::new("kill").args(["-9", child]).status();
        }
        let _ = self.strace.kill();
        let _ = self.strace.wait();
    }
}

/// One traced call: its name, its text (arguments and result, resumed
/// parts joined) and the lines where it started and where it returned.
#[derive(Debug)]
struct Call {
    name: String,
    text: String,
    start: usize,
    end: usize,
}

/// Parses `strace -f` output, joining `<unfinished ...>` with its resumption.
fn calls(trace: &str) -> Vec<Call> {
    let mut open: std::collections::HashMap<String, (String, usize)> = Default::default();
    let mut out = Vec::new();
    for (i, line) in trace.lines().enumerate() {
        let Some((pid, rest)) = line.split_once(char::is_whitespace) else {
            continue;
        };
        let rest = rest.trim_start();
        if let Some(head) = rest.strip_suffix("<unfinished ...>") {
            open.insert(pid.to_string(), (head.trim_end().to_string(), i));
        } else if let Some(tail) = rest.strip_prefix("<... ") {
            let tail = tail.split_once("resumed>").map_or(tail, |(_, t)| t);
            if let Some((head, start)) = open.remove(pid) {
                out.push(call(head + tail, start, i));
            }
        } else if rest.contains('(') {
            out.push(call(rest.to_string(), i, i));
        }
    }
    out
}

fn call(text: String, start: usize, end: usize) -> Call {
    let name = text.split('(').next().unwrap_or_default().to_string();
    Call {
        name,
        text,
        start,
        end,
    }
}

/// Whether a call's first argument is a descriptor of exactly `path`.
fn on_fd(c: &Call, path: &Path) -> bool {
    let fd = c.text.split([',', ')']).next().unwrap_or_default();
    fd.ends_with(&format!("<{}>", path.display()))
}

fn is_sync(c: &Call) -> bool {
    c.name == "fsync" || c.name == "fdatasync"
}

#[test]
fn a_put_is_answered_only_after_file_directory_and_log_are_fsynced() {
    if !strace_or_skip("a_put_is_answered_only_after_file_directory_and_log_are_fsynced") {
        return;
    }
    let srv = Traced::start();
    let body = event("durable-1", "Durable");
    let mut conn = TcpStream::connect(&srv.addr).unwrap();
    let port = conn.local_addr().unwrap().port();
    write!(
        conn,
        "PUT /demo/personal/durable.ics HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic {}\r\nContent-Type: text/calendar\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        srv.addr,
        STANDARD.encode("demo:demo"),
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    conn.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 201"), "{reply}");

    // strace writes each line once the call returns, so the reply's call is
    // in the file by now; poll only in case the file lags behind.
    let socket = format!("->127.0.0.1:{port}]>");
    let mut trace = String::new();
    let found = wait_until(30, || {
        trace = std::fs::read_to_string(&srv.trace).unwrap_or_default();
        trace.contains(&socket)
    });
    assert!(
        found,
        "no call on the client's socket in the trace:\n{trace}"
    );
    let calls = calls(&trace);
    let dir = srv.data.join("demo/personal");
    let target = dir.join("durable.ics");

    let rename = calls
        .iter()
        .find(|c| {
            c.name.starts_with("rename") && c.text.contains(&format!("\"{}\"", target.display()))
        })
        .unwrap_or_else(|| panic!("no rename onto {}:\n{trace}", target.display()));
    let temp = PathBuf::from(
        rename
            .text
            .split('"')
            .nth(1)
            .expect("the renamed temp file's path"),
    );
    let reply = calls
        .iter()
        .find(|c| c.text.contains(&socket) && c.text.contains("HTTP/1.1 201"))
        .unwrap_or_else(|| panic!("no reply written to port {port}:\n{trace}"));
    let file_sync = calls
        .iter()
        .find(|c| is_sync(c) && on_fd(c, &temp))
        .unwrap_or_else(|| {
            panic!(
                "the temp file {} was never fsynced:\n{trace}",
                temp.display()
            )
        });
    assert!(
        file_sync.end < rename.start,
        "the file's fsync must return before its rename:\n{trace}"
    );
    let dir_sync = calls
        .iter()
        .find(|c| is_sync(c) && on_fd(c, &dir) && c.start > rename.end)
        .unwrap_or_else(|| panic!("no fsync of {} after the rename:\n{trace}", dir.display()));
    assert!(
        dir_sync.end < reply.start,
        "the reply was written before the directory's fsync returned:\n{trace}"
    );
    // The change log: the file whose line names the new object.
    let log_line = calls
        .iter()
        .find(|c| c.name == "write" && c.text.contains(".log>") && c.text.contains("durable.ics"))
        .unwrap_or_else(|| panic!("no change-log line for durable.ics:\n{trace}"));
    let log_path = log_line.text.split_once('<').unwrap().1;
    let log_path = PathBuf::from(log_path.split_once('>').unwrap().0);
    let log_sync = calls
        .iter()
        .find(|c| is_sync(c) && on_fd(c, &log_path) && c.start > log_line.end)
        .unwrap_or_else(|| {
            panic!(
                "no sync of the change log {} after its line:\n{trace}",
                log_path.display()
            )
        });
    assert!(
        log_sync.end < reply.start,
        "the reply was written before the change log's sync returned:\n{trace}"
    );
}
