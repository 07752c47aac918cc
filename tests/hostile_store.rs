//! Hostile and unlucky conditions at the file store (issue 14): names as
//! long as the file system allows, symbolic links out of a home, leftovers of
//! a crash, a read-only or full data directory. Every probe asserts its
//! status; those on a common test server also check that nothing outside
//! demo's home was read or written (the fence). The disk-trouble tests run
//! the server in a user and mount namespace (`unshare -rm`) and are skipped,
//! with the reason printed, where that is not available.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

const SYNC: &str = r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>TOKEN</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#;

fn sync(srv: &Server, cal: &str, token: &str) -> Resp {
    srv.report(cal, "0", &SYNC.replace("TOKEN", token))
}

/// A sample object of demo's personal calendar (file name, bytes).
fn some_object(srv: &Server) -> (String, Vec<u8>) {
    let name = ics_names(&srv.file("demo/personal"))
        .into_iter()
        .next()
        .unwrap();
    let bytes = srv.read(&format!("demo/personal/{name}"));
    (name, bytes)
}

#[test]
fn object_names_up_to_255_bytes_are_writable_longer_ones_refused() {
    let srv = Server::sample();
    let fence = srv.fence();
    for (len, status) in [(240, 201), (255, 201), (256, 403)] {
        let name = format!("{}.ics", "n".repeat(len - 4));
        let r = srv.put_ics(
            &format!("/demo/personal/{name}"),
            &event(&format!("long-{len}"), "long"),
        );
        fence.check(&format!("PUT {len}-byte name"), Some(&r));
        r.expect(status);
        if status == 201 {
            let r = srv.get(&format!("/demo/personal/{name}"));
            fence.check(&format!("GET {len}-byte name"), Some(&r));
            r.expect(200);
        }
    }
    // 254 characters, 381 bytes: too long in bytes, whatever the characters.
    let wide = format!("{}.ics", "é".repeat(127));
    let encoded: String = percent_encode(&wide);
    let r = srv.put_ics(&format!("/demo/personal/{encoded}"), &event("wide", "w"));
    fence.check("PUT 258-byte multibyte name", Some(&r));
    r.expect(403);
    srv.assert_no_temp_files("demo/personal");
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn a_249_byte_calendar_keeps_its_sync_token_across_a_restart() {
    let mut srv = Server::sample();
    let fence = srv.fence();
    let cal = "c".repeat(249);
    let path = format!("/demo/{cal}/");
    let r = srv.mkcalendar(&path, None);
    fence.check("MKCALENDAR 249-byte name", Some(&r));
    r.expect(201);
    let r = srv.put_ics(&format!("{path}a.ics"), &event("long-cal-a", "a"));
    fence.check("PUT into 249-byte calendar", Some(&r));
    r.expect(201);
    let token = sync(&srv, &path, "").multistatus().sync_token.unwrap();
    // The index is saved every few seconds: let a save happen (and fail, before).
    std::thread::sleep(std::time::Duration::from_secs(6));
    srv.restart();
    let r = sync(&srv, &path, &token);
    fence.check("sync after restart", Some(&r));
    let ms = r.expect(207).multistatus();
    assert!(ms.responses.is_empty(), "nothing changed: {:?}", ms.hrefs());
    let r = srv.put_ics(&format!("{path}b.ics"), &event("long-cal-b", "b"));
    r.expect(201);
    let ms = sync(&srv, &path, &token).expect(207).multistatus();
    assert_eq!(ms.hrefs().len(), 1, "only b.ics changed");
    let log = srv.log();
    assert!(
        !log.contains("cannot save index") && !log.contains("cannot write change log"),
        "cache warnings:\n{log}"
    );
}

#[test]
fn symlinks_never_lead_out_of_the_home() {
    let srv = Server::sample();
    let fence = srv.fence();
    let outside = srv.outside();
    let personal = srv.file("demo/personal");
    let (own, own_bytes) = some_object(&srv);
    let alice_file = srv.file("alice/home/choir-rehearsal.ics");
    symlink(outside.join("secret.ics"), personal.join("out.ics")).unwrap();
    symlink(&alice_file, personal.join("alice.ics")).unwrap();
    symlink(outside.join("cal"), srv.file("demo/linked")).unwrap();
    symlink(srv.file("alice/home"), srv.file("demo/alices")).unwrap();
    symlink(personal.join(&own), personal.join("mine.ics")).unwrap();
    symlink(srv.file("demo/work"), srv.file("demo/alias")).unwrap();

    let probes: Vec<(&str, &str, &str, Option<&str>, u16)> = vec![
        (
            "GET link to outside file",
            "GET",
            "/demo/personal/out.ics",
            None,
            404,
        ),
        (
            "GET link to alice's file",
            "GET",
            "/demo/personal/alice.ics",
            None,
            404,
        ),
        (
            "GET through linked calendar",
            "GET",
            "/demo/linked/secret.ics",
            None,
            404,
        ),
        (
            "PROPFIND linked calendar",
            "PROPFIND",
            "/demo/linked/",
            None,
            404,
        ),
        (
            "PROPFIND link into alice's home",
            "PROPFIND",
            "/demo/alices/",
            None,
            404,
        ),
        (
            "GET through link into alice's home",
            "GET",
            "/demo/alices/choir-rehearsal.ics",
            None,
            404,
        ),
        (
            "DELETE link to outside file",
            "DELETE",
            "/demo/personal/out.ics",
            None,
            404,
        ),
        (
            "DELETE through linked calendar",
            "DELETE",
            "/demo/linked/secret.ics",
            None,
            404,
        ),
        (
            "DELETE linked calendar",
            "DELETE",
            "/demo/linked/",
            None,
            404,
        ),
        (
            "PUT through linked calendar",
            "PUT",
            "/demo/linked/new.ics",
            Some("linked-new"),
            409,
        ),
        (
            "PUT over secret through linked calendar",
            "PUT",
            "/demo/linked/secret.ics",
            Some("linked-over"),
            409,
        ),
        (
            "PUT through link into alice's home",
            "PUT",
            "/demo/alices/x.ics",
            Some("alices-new"),
            409,
        ),
        (
            "PROPFIND personal lists no foreign link",
            "PROPFIND",
            "/demo/personal/",
            None,
            207,
        ),
        (
            "PROPFIND home lists no foreign link",
            "PROPFIND",
            "/demo/",
            None,
            207,
        ),
        (
            "GET link within own home",
            "GET",
            "/demo/personal/mine.ics",
            None,
            200,
        ),
        (
            "PROPFIND calendar linked within own home",
            "PROPFIND",
            "/demo/alias/",
            None,
            207,
        ),
    ];
    for (what, method, path, uid, status) in probes {
        let mut rb = srv.request(method, path).header("Depth", "1");
        if let Some(uid) = uid {
            rb = rb
                .header("Content-Type", "text/calendar")
                .body(event(uid, "through a link"));
        }
        let r = rb.fetch();
        fence.check(what, Some(&r));
        assert_eq!(r.status, status, "{what}: {}", r.text());
        if what.starts_with("PROPFIND") && status == 207 {
            let text = r.text();
            for foreign in ["out.ics", "alice.ics", "/demo/linked/", "/demo/alices/"] {
                assert!(!text.contains(foreign), "{what} lists {foreign}:\n{text}");
            }
        }
        if what == "GET link within own home" {
            assert_eq!(r.body, own_bytes);
        }
    }

    // A calendar-query over the calendar holding the links never reads them.
    let query = r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>"#;
    let r = srv.report("/demo/personal/", "1", query);
    fence.check("calendar-query over links", Some(&r));
    r.expect(207);
    assert!(!r.text().contains("choir"), "alice's event served");
    let r = sync(&srv, "/demo/personal/", "");
    fence.check("sync over links", Some(&r));
    r.expect(207);

    // Moving an object into the linked calendar must not write outside.
    let r = srv
        .request("MOVE", &format!("/demo/personal/{own}"))
        .header("Destination", srv.url("/demo/linked/moved.ics"))
        .fetch();
    fence.check("MOVE into linked calendar", Some(&r));
    r.expect(409);

    // A copy of the calendar takes the link within the home, not the others.
    let r = srv
        .request("COPY", "/demo/personal/")
        .header("Destination", srv.url("/demo/copied/"))
        .fetch();
    fence.check("COPY calendar holding links", Some(&r));
    r.expect(201);
    let copied = ics_names(&srv.file("demo/copied"));
    assert!(
        copied.contains("mine.ics") && !copied.contains("out.ics") && !copied.contains("alice.ics")
    );

    // A PUT to the link's name replaces the link, never writes its target.
    let r = srv.put_ics("/demo/personal/out.ics", &event("replaces-link", "r"));
    fence.check("PUT over link to outside file", Some(&r));
    r.expect(201);
    assert!(!std::fs::symlink_metadata(personal.join("out.ics"))
        .unwrap()
        .file_type()
        .is_symlink());
}

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

/// A server confined to a user and mount namespace (`unshare -rm`) in which
/// `setup` (a shell snippet, `$D` the data directory) has prepared its data
/// directory; None when the machine cannot do this.
struct Confined {
    child: std::process::Child,
    base: String,
    client: reqwest::blocking::Client,
    _tmp: tempfile::TempDir,
}

impl Confined {
    fn start(setup: &str) -> Option<Confined> {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let script = format!(
            "set -e; D='{d}'; {setup}; exec '{bin}' serve --data \"$D\" --listen 127.0.0.1:0 --htpasswd '{h}'",
            d = data.display(),
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
            .map_err(|e| println!("skipped: cannot run unshare: {e}"))
            .ok()?;
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
            println!("skipped: no server in a user+mount namespace here: {log}");
            return None;
        };
        Some(Confined {
            child,
            base,
            client: reqwest::blocking::Client::new(),
            _tmp: tmp,
        })
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
    let sample = sample_dir();
    // demo's home is removed, so demo is a user whose home does not exist yet.
    let setup = format!(
        "cp -r '{}'/. \"$D\"; rm -rf \"$D/demo\" \"$D/htpasswd\"; mount --bind \"$D\" \"$D\"; mount -o remount,bind,ro \"$D\"",
        sample.display()
    );
    let Some(srv) = Confined::start(&setup) else {
        return;
    };
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
    // The index cache cannot be saved either; retried every 5 s, not logged each time.
    std::thread::sleep(std::time::Duration::from_secs(6));
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
    let sample = sample_dir();
    let setup = format!(
        "mount -t tmpfs -o size=512k tmpfs \"$D\"; cp -r '{}'/. \"$D\"; rm -f \"$D/htpasswd\"",
        sample.display()
    );
    let Some(srv) = Confined::start(&setup) else {
        return;
    };
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

/// The server's peak resident memory in KiB (VmHWM), if /proc has it.
fn peak_rss_kib(srv: &Server) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", srv.pid()?)).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `davdir check` (with extra arguments) that must finish within 20 s.
fn check_within(data: &Path, args: &[&str]) -> (bool, String) {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_davdir"))
        .args(["check", "--data"])
        .arg(data)
        .args(args)
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("davdir check blocked");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

const QUERY_ALL: &str = r#"<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>"#;

/// Every way an object of demo's personal calendar is read, each with the
/// status it must get; `absent` must appear in none of the answers.
fn read_everything(srv: &Server, fence: &Fence, absent: &str, label: &str) {
    let (own, own_bytes) = some_object(srv);
    let multiget = format!(
        r#"<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><D:href>/demo/personal/{absent}</D:href><D:href>/demo/personal/{own}</D:href></C:calendar-multiget>"#
    );
    let probes: Vec<(&str, Resp, u16)> = vec![
        ("GET it", srv.get(&format!("/demo/personal/{absent}")), 404),
        (
            "HEAD it",
            srv.request("HEAD", &format!("/demo/personal/{absent}"))
                .fetch(),
            404,
        ),
        (
            "PROPFIND it",
            srv.propfind(&format!("/demo/personal/{absent}"), "0", None),
            404,
        ),
        (
            "PROPFIND calendar",
            srv.propfind("/demo/personal/", "1", None),
            207,
        ),
        (
            "GET other object",
            srv.get(&format!("/demo/personal/{own}")),
            200,
        ),
        (
            "calendar-query",
            srv.report("/demo/personal/", "1", QUERY_ALL),
            207,
        ),
        (
            "multiget naming it",
            srv.report("/demo/personal/", "1", &multiget),
            207,
        ),
        ("sync-collection", sync(srv, "/demo/personal/", ""), 207),
        ("webcal export", srv.get("/demo/personal/"), 200),
    ];
    for (what, r, status) in probes {
        let what = format!("{label}: {what}");
        fence.check(&what, Some(&r));
        assert_eq!(r.status, status, "{what}: {}", r.text());
        if what.ends_with("GET other object") {
            assert_eq!(r.body, own_bytes, "{what}");
        }
        if status != 404 && !what.ends_with("multiget naming it") {
            assert!(
                !r.text().contains(absent),
                "{what} lists {absent}:\n{}",
                r.text()
            );
        }
        if what.ends_with("multiget naming it") {
            let ms = r.multistatus();
            let missing = ms.get(&format!("/demo/personal/{absent}"));
            assert_eq!(missing.status, Some(404), "{what}: {missing:?}");
            ms.get(&format!("/demo/personal/{own}"))
                .ok(CALDAV, "calendar-data");
        }
    }
}

#[test]
fn a_file_over_the_size_bound_is_skipped_unread_and_reported_by_check() {
    let mut srv = Server::sample();
    let fence = srv.fence();
    // The same requests once before, so the peak below is theirs already.
    read_everything(&srv, &fence, "huge.ics", "before");
    let before = peak_rss_kib(&srv);

    // 12 MB (over the default 10 MiB bound), sparse: nothing is written.
    let huge = srv.file("demo/personal/huge.ics");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(12_000_000)
        .unwrap();
    // The watcher sees it within its batch window (at most 250 ms).
    std::thread::sleep(std::time::Duration::from_millis(600));
    read_everything(&srv, &fence, "huge.ics", "running");
    if let (Some(before), Some(after)) = (before, peak_rss_kib(&srv)) {
        println!("peak RSS {before} KiB before the file, {after} KiB after");
        assert!(
            after < before + 6 * 1024,
            "peak RSS grew from {before} KiB to {after} KiB: the file was read"
        );
    } else {
        println!("peak RSS not measured: no /proc/PID/status here");
    }
    let logged = srv.log().matches("huge.ics: file is larger").count();
    assert_eq!(logged, 1, "logged once, not per request:\n{}", srv.log());

    let (ok, report) = check_within(&srv.data, &[]);
    assert!(!ok, "check must fail:\n{report}");
    assert!(
        report.contains("huge.ics: file is larger than max_resource_size (10485760 bytes)"),
        "{report}"
    );
    // Within a larger bound it is read, and its NUL bytes make it no object.
    let (ok, report) = check_within(&srv.data, &["--max-resource-size", "20000000"]);
    assert!(!ok, "{report}");
    assert!(
        report.contains("huge.ics:1: control character") && !report.contains("larger than"),
        "{report}"
    );

    // The startup scan skips it the same way.
    srv.restart();
    read_everything(&srv, &fence, "huge.ics", "restarted");
    let r = srv.delete("/demo/personal/huge.ics");
    fence.check("DELETE it", Some(&r));
    r.expect(404);
    // A PUT replaces it with a valid object (created: it was none).
    let r = srv.put_ics("/demo/personal/huge.ics", &event("replaces-huge", "r"));
    fence.check("PUT over it", Some(&r));
    r.expect(201);
    let r = srv.get("/demo/personal/huge.ics");
    fence.check("GET it replaced", Some(&r));
    r.expect(200);
}

/// Makes a FIFO at `path`.
fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o600) },
        0,
        "mkfifo {path:?}"
    );
}

#[test]
fn fifos_and_sockets_named_like_objects_neither_block_nor_are_served() {
    let mut srv = Server::sample();
    let fence = srv.fence();
    srv.stop();
    let personal = srv.file("demo/personal");
    // Present at start: the startup scan must not open (and block on) them.
    mkfifo(&personal.join("fifo-x.ics"));
    let _socket = std::os::unix::net::UnixListener::bind(personal.join("sock-9.ics")).unwrap();
    srv.start_again();
    read_everything(&srv, &fence, "fifo-x.ics", "FIFO at start");
    read_everything(&srv, &fence, "sock-9.ics", "socket at start");
    // Appearing while running: the watcher must not block on it either.
    mkfifo(&personal.join("fifo-y.ics"));
    std::thread::sleep(std::time::Duration::from_millis(600));
    read_everything(&srv, &fence, "fifo-y.ics", "FIFO while running");
    for name in ["fifo-x.ics", "fifo-y.ics", "sock-9.ics"] {
        let r = srv.delete(&format!("/demo/personal/{name}"));
        fence.check(&format!("DELETE {name}"), Some(&r));
        r.expect(404);
    }
    // Not objects, not problems: check passes them by without blocking.
    let (ok, report) = check_within(&srv.data, &[]);
    assert!(ok, "{report}");
    let r = srv.propfind("/demo/", "1", None);
    fence.check("PROPFIND home", Some(&r));
    r.expect(207);
}

#[test]
fn a_hand_edited_dead_property_beyond_the_xml_bounds_is_reported_and_logged_once() {
    let srv = Server::sample();
    let fence = srv.fence();
    let settings = srv.file("demo/personal/.calendar.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    // 100 levels: deeper than the 64 a request body may have.
    let deep = format!(
        "{}{}",
        "<deep xmlns=\"urn:x\">".repeat(100),
        "</deep>".repeat(100)
    );
    text.push_str(&format!(
        "\n[dead]\n\"{{urn:x}}deep\" = '{deep}'\n\"{{urn:x}}fine\" = '<fine xmlns=\"urn:x\">kept</fine>'\n"
    ));
    std::fs::write(&settings, &text).unwrap();
    let named = r#"<D:propfind xmlns:D="DAV:" xmlns:X="urn:x"><D:prop><X:deep/><X:fine/></D:prop></D:propfind>"#;
    for round in 0..3 {
        let r = srv.propfind("/demo/personal/", "0", None);
        fence.check(&format!("allprop PROPFIND {round}"), Some(&r));
        let text = r.expect(207).text();
        assert!(!text.contains("<deep"), "served:\n{text}");
        assert!(
            text.contains(">kept</fine>"),
            "the sound one is served:\n{text}"
        );
        let r = srv.propfind("/demo/personal/", "0", Some(named));
        fence.check(&format!("PROPFIND naming it {round}"), Some(&r));
        let ms = r.multistatus();
        let cal = ms.single();
        assert_eq!(cal.status_of("urn:x", "deep"), Some(404), "round {round}");
        assert_eq!(cal.ok("urn:x", "fine").text, "kept");
        let r = srv.propfind("/demo/", "1", None);
        fence.check(&format!("PROPFIND home {round}"), Some(&r));
        r.expect(207);
    }
    let skipped = |log: &str| log.matches("dead property {urn:x}deep skipped").count();
    assert_eq!(
        skipped(&srv.log()),
        1,
        "once per file version:\n{}",
        srv.log()
    );

    let (ok, report) = check_within(&srv.data, &[]);
    assert!(!ok, "check must fail:\n{report}");
    assert!(
        report.contains(".calendar.toml: dead property {urn:x}deep skipped"),
        "{report}"
    );
    assert!(!report.contains("{urn:x}fine"), "{report}");

    // A new version of the file (edited again) is logged again, once.
    std::fs::write(&settings, text.replace("kept", "edited")).unwrap();
    for round in 0..2 {
        let r = srv.propfind("/demo/personal/", "0", None);
        fence.check(&format!("PROPFIND after edit {round}"), Some(&r));
        assert!(r.expect(207).text().contains(">edited</fine>"));
    }
    assert_eq!(skipped(&srv.log()), 2, "{}", srv.log());
}

#[test]
fn property_files_found_on_disk_are_bounded_confined_and_never_block() {
    let srv = Server::sample();
    let fence = srv.fence();
    let work = srv.file("demo/work");
    let _ = std::fs::remove_file(work.join("displayname"));
    symlink(srv.outside().join("secret.ics"), work.join("displayname")).unwrap();
    let _ = std::fs::remove_file(work.join("color"));
    mkfifo(&work.join("color"));
    let _ = std::fs::remove_file(work.join("description"));
    std::fs::File::create(work.join("description"))
        .unwrap()
        .set_len(12_000_000)
        .unwrap();
    let named = r#"<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="http://apple.com/ns/ical/"><D:prop><D:displayname/><C:calendar-description/><A:calendar-color/></D:prop></D:propfind>"#;
    for round in 0..3 {
        let r = srv.propfind("/demo/work/", "0", Some(named));
        fence.check(&format!("PROPFIND skipped properties {round}"), Some(&r));
        let ms = r.multistatus();
        let cal = ms.single();
        for (ns, name) in [
            (DAV, "displayname"),
            (CALDAV, "calendar-description"),
            (ICAL, "calendar-color"),
        ] {
            assert_eq!(cal.status_of(ns, name), Some(404), "{name}: {cal:?}");
        }
        let r = srv.propfind("/demo/", "1", None);
        fence.check(&format!("PROPFIND home {round}"), Some(&r));
        r.expect(207);
        let r = srv.report("/demo/work/", "1", QUERY_ALL);
        fence.check(&format!("calendar-query {round}"), Some(&r));
        r.expect(207);
    }
    let log = srv.log();
    for needle in [
        "work/displayname: symbolic link leads outside",
        "work/description: file is larger than max_resource_size",
    ] {
        assert_eq!(log.matches(needle).count(), 1, "{needle} once:\n{log}");
    }
    let (ok, report) = check_within(&srv.data, &[]);
    assert!(!ok, "{report}");
    assert!(
        report.contains("work/displayname: symbolic link leads outside"),
        "{report}"
    );
    assert!(
        report.contains("work/description: file is larger"),
        "{report}"
    );
    // A client's new name replaces the link, never writes its target.
    let set = r#"<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>Work</D:displayname></D:prop></D:set></D:propertyupdate>"#;
    let r = srv.proppatch("/demo/work/", set);
    fence.check("PROPPATCH over the link", Some(&r));
    r.expect(207);
    let r = srv.propfind("/demo/work/", "0", Some(named));
    fence.check("PROPFIND after PROPPATCH", Some(&r));
    assert_eq!(r.multistatus().single().ok(DAV, "displayname").text, "Work");
}
