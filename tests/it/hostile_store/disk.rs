//! Leftovers of a crash (torn temp files) and disk trouble: a read-only or
//! full data directory, in a user and mount namespace (`namespaces_or_skip`).

use std::io::{BufRead, BufReader};
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};

use super::*;

/// Runs `davdir check` over a data directory with TMPDIR set to `tmp`.
fn check(data: &Path, tmp: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_davdir"))
        .args(["check", "--data"])
        .arg(data)
        .env("TMPDIR", tmp)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn torn_temp_files_are_reported_by_check_and_swept_at_start() {
    let mut srv = Server::sample();
    let fence = srv.fence();
    srv.stop();
    let personal = srv.file("demo/personal");
    let torn = [
        personal.join(".davdir-tmp.0123456789abcdef"),
        personal.join(".big.ics.00000000deadbeef.tmp"),
    ];
    for t in &torn {
        std::fs::write(t, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEV").unwrap();
    }
    // Not ours: a khal temp file and a dot-file are left alone.
    std::fs::write(personal.join("x.icsAbCdEfGh"), "khal").unwrap();
    symlink(srv.outside().join("secret.ics"), personal.join("out.ics")).unwrap();
    symlink(srv.outside().join("cal"), srv.file("demo/linked")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (ok, report) = check(&srv.data, tmp.path());
    assert!(!ok, "check must fail:\n{report}");
    for needle in [
        ".davdir-tmp.0123456789abcdef",
        ".big.ics.00000000deadbeef.tmp",
        "out.ics",
        "demo/linked",
    ] {
        assert!(report.contains(needle), "check misses {needle}:\n{report}");
    }
    assert!(!report.contains("x.icsAbCdEfGh"), "{report}");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "check left its scratch directory behind"
    );
    assert!(
        torn.iter().all(|t| t.exists()),
        "check must not remove anything"
    );
    srv.start_again();
    assert!(
        torn.iter().all(|t| !t.exists()),
        "torn temp files survived a start"
    );
    assert!(personal.join("x.icsAbCdEfGh").exists());
    let r = srv.propfind("/demo/personal/", "1", None);
    fence.check("PROPFIND after sweep", Some(&r));
    r.expect(207);
}

/// Set to skip the tests that need a user and mount namespace on a machine
/// that cannot make one.
const SKIP_VAR: &str = "DAVDIR_SKIP_NAMESPACE_TESTS";

/// Whether these tests may run: Rust's harness has no runtime skip, and a
/// test that returns early passes having checked nothing. So a machine that
/// cannot `unshare -rm` fails them, naming the reason, unless SKIP_VAR is set;
/// then the skip is printed to stderr and the test passes. `.ci/run` runs as
/// root, where `unshare -rm` works, and never sets SKIP_VAR.
/// With `strace`, strace must also trace in there (tests/run.sh installs it).
fn namespaces_or_skip(test: &str, strace: bool) -> bool {
    let mut probe = "mount -t tmpfs -o size=64k tmpfs /mnt".to_string();
    if strace {
        probe += " && strace -f -qq -o /dev/null true";
    }
    let probe = Command::new("unshare")
        .args(["-rm", "sh", "-c", &probe])
        .output();
    let why = match probe {
        Ok(out) if out.status.success() => return true,
        Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
        Err(e) => format!("cannot run unshare: {e}"),
    };
    if std::env::var_os(SKIP_VAR).is_some() {
        eprintln!("SKIPPED {test}: no user and mount namespace here ({why})");
        return false;
    }
    panic!(
        "{test} needs `unshare -rm` and a tmpfs mount in it (and strace: {strace}): {why}\n\
         set {SKIP_VAR}=1 to skip it knowingly"
    );
}

/// A server confined to a user and mount namespace (`unshare -rm`) in which
/// `setup` (a shell snippet, `$D` the data directory) has prepared its data
/// directory; with `trace`, under strace logging its failed mkdir calls.
/// Call `namespaces_or_skip` first: here a failure is a failure.
struct Confined {
    child: std::process::Child,
    base: String,
    client: reqwest::blocking::Client,
    _tmp: tempfile::TempDir,
}

impl Confined {
    fn start(setup: &str, trace: bool) -> Confined {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let script = format!(
            "set -e; D='{d}'; {setup}; exec {strace}'{bin}' serve --data \"$D\" --listen 127.0.0.1:0 --htpasswd '{h}'",
            d = data.display(),
            strace = if trace {
                format!(
                    "strace -f -qq -e trace=mkdir,mkdirat -e status=failed -o '{}' ",
                    tmp.path().join("trace").display()
                )
            } else {
                String::new()
            },
            bin = env!("CARGO_BIN_EXE_davdir"),
            h = sample_dir().join("htpasswd").display(),
        );
        let mut child = Command::new("unshare")
            .args(["-rm", "sh", "-c", &script])
            .env("DAVDIR_LOG", "davdir=info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(tmp.path().join("log")).unwrap())
            .spawn()
            .expect("run unshare");
        let stdout = child.stdout.take().unwrap();
        let mut base = None;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("listening on ") {
                base = Some(rest.trim().trim_end_matches('/').to_string());
                break;
            }
        }
        let Some(base) = base else {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(tmp.path().join("log")).unwrap_or_default();
            panic!("no server in a user+mount namespace: {log}");
        };
        Confined {
            child,
            base,
            client: reqwest::blocking::Client::new(),
            _tmp: tmp,
        }
    }

    fn send(&self, method: &str, path: &str, body: Option<String>) -> Resp {
        let mut rb = self
            .client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}{path}", self.base),
            )
            .basic_auth("demo", Some("demo"))
            .header("Depth", "1");
        if let Some(b) = body {
            rb = rb.header("Content-Type", "text/calendar").body(b);
        }
        rb.fetch()
    }

    /// The failed mkdir calls so far (with `trace`).
    fn trace(&self) -> String {
        std::fs::read_to_string(self._tmp.path().join("trace")).unwrap_or_default()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._tmp.path().join("log")).unwrap_or_default()
    }
}

impl Drop for Confined {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn read_only_data_directory_serves_reads_and_refuses_writes_with_503() {
    if !namespaces_or_skip(
        "read_only_data_directory_serves_reads_and_refuses_writes_with_503",
        true,
    ) {
        return;
    }
    let sample = sample_dir();
    // demo's home is removed, so demo is a user whose home does not exist yet.
    let setup = format!(
        "cp -r '{}'/. \"$D\"; rm -rf \"$D/demo\" \"$D/htpasswd\"; mount --bind \"$D\" \"$D\"; mount -o remount,bind,ro \"$D\"",
        sample.display()
    );
    let srv = Confined::start(&setup, true);
    let r = srv.send("PROPFIND", "/demo/", None);
    assert_eq!(r.status, 207, "read of a missing home: {}", r.text());
    let r = srv.send("GET", "/demo/calendar/x.ics", None);
    assert_eq!(r.status, 404);
    for i in 0..5 {
        let r = srv.send("MKCALENDAR", &format!("/demo/c{i}/"), None);
        assert_eq!(r.status, 503, "write on read-only: {}", r.text());
        assert!(r.text().contains("read-only"), "{}", r.text());
        assert!(r.header("retry-after").is_some());
    }
    // The index cache cannot be saved either; retried every 5 s, not logged
    // each time. The control that a save was tried after the requests: one
    // more refused mkdir of the cache directory in the trace.
    let cache = "/data/.davdir-cache\", 0777) = -1 EROFS";
    let tries = || srv.trace().matches(cache).count();
    let before = tries();
    assert!(
        wait_until(30, || tries() > before),
        "no save of the cache tried within 30 s ({before} before):\n{}",
        srv.trace()
    );
    assert!(!srv.log().contains("cannot save index"), "{}", srv.log());
    let lines = srv.log().matches("data directory is read-only").count();
    assert_eq!(
        lines,
        1,
        "one log line, not one per request:\n{}",
        srv.log()
    );
}

#[test]
fn full_disk_answers_507_and_keeps_the_old_bytes() {
    if !namespaces_or_skip("full_disk_answers_507_and_keeps_the_old_bytes", false) {
        return;
    }
    let sample = sample_dir();
    let setup = format!(
        "mount -t tmpfs -o size=512k tmpfs \"$D\"; cp -r '{}'/. \"$D\"; rm -f \"$D/htpasswd\"",
        sample.display()
    );
    let srv = Confined::start(&setup, false);
    let r = srv.send("PROPFIND", "/demo/personal/", None);
    assert_eq!(r.status, 207);
    let big = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:big\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T000000Z\r\nDESCRIPTION:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        "x".repeat(70).repeat(10_000).as_bytes().chunks(70).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\r\n ")
    );
    let r = srv.send("PUT", "/demo/personal/big.ics", Some(big.clone()));
    assert_eq!(r.status, 507, "disk full: {}", r.text());
    // An overwrite that does not fit keeps the old bytes.
    let old = std::fs::read(sample.join("demo/personal/birthday-anna.ics")).unwrap();
    let r = srv.send(
        "PUT",
        "/demo/personal/birthday-anna.ics",
        Some(big.replace(
            "UID:big",
            &format!("UID:{}", uid_of(&String::from_utf8_lossy(&old))),
        )),
    );
    assert_eq!(r.status, 507, "disk full on overwrite: {}", r.text());
    let r = srv.send("GET", "/demo/personal/birthday-anna.ics", None);
    assert_eq!((r.status, &r.body), (200, &old));
    let r = srv.send("GET", "/demo/personal/big.ics", None);
    assert_eq!(r.status, 404, "nothing half-written is served");
}
