//! Accounts over the real binary and real files: `davdir user` edits the
//! htpasswd file Apache's `htpasswd -vb` still reads and the running server
//! follows at once; `davdir app-password` secrets work as the Basic password
//! of their own user for DAV only until revoked; the state file is private
//! and outside the data; the access log names method, path, status,
//! duration and user and never a secret.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::common::*;

/// Runs `davdir ARGS` with `stdin` as its standard input.
fn davdir<S: AsRef<std::ffi::OsStr>>(args: &[S], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_davdir"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run davdir");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The flags that point a command at this server's files.
fn flags(srv: &Server) -> Vec<String> {
    vec![
        "--data".into(),
        srv.data.display().to_string(),
        "--htpasswd".into(),
        srv.htpasswd_path().display().to_string(),
    ]
}

fn run(srv: &Server, args: &[&str], stdin: &str) -> Output {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend(flags(srv));
    davdir(&all, stdin)
}

/// The default state directory of the server's data (`<data>.state`).
fn state_dir(data: &Path) -> PathBuf {
    data.with_file_name("data.state")
}

fn status_as(srv: &Server, user: &str, pass: &str) -> u16 {
    srv.request_as(Some((user, pass)), "PROPFIND", &format!("/{user}/"))
        .header("Depth", "0")
        .fetch()
        .status
}

#[test]
fn cli_users_on_files_apache_reads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users");
    std::fs::write(
        &file,
        "# kept\nold:$2y$05$abcdefghijklmnopqrstuu5Yg6Cf5m6iyoNQDkAc/6fAXjHG3oPJW\n",
    )
    .unwrap();
    let path = file.to_str().unwrap().to_string();
    let with = |args: &[&'static str]| -> Vec<String> {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(["--htpasswd".to_string(), path.clone()]);
        all
    };
    ok(&davdir(&with(&["user", "add", "bob"]), "s3cret pw\n"));
    let apache = |user: &str, pw: &str| {
        Command::new("htpasswd")
            .args(["-vb", file.to_str().unwrap(), user, pw])
            .stdin(Stdio::null())
            .output()
            .expect("htpasswd (apache2-utils) is installed")
            .status
            .success()
    };
    assert!(apache("bob", "s3cret pw"));
    assert!(!apache("bob", "wrong"));
    let again = davdir(&with(&["user", "add", "bob"]), "x\n");
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    ok(&davdir(
        &with(&["user", "passwd", "bob"]),
        "n3w passw0rd\r\n",
    ));
    assert!(apache("bob", "n3w passw0rd"));
    assert!(!apache("bob", "s3cret pw"));
    assert_eq!(
        davdir(&with(&["user", "add", "eve"]), "").status.code(),
        Some(1),
        "empty password"
    );
    let short = davdir(&with(&["user", "add", "eve"]), "seven77\n");
    assert_eq!(
        short.status.code(),
        Some(1),
        "shorter than min_password_length"
    );
    assert!(String::from_utf8_lossy(&short.stderr).contains("shorter than 8 characters"));
    assert_eq!(
        davdir(&with(&["user", "add", "../x"]), "pw\n")
            .status
            .code(),
        Some(1)
    );
    assert_eq!(ok(&davdir(&with(&["user", "list"]), "")), "old\nbob\n");
    ok(&davdir(&with(&["user", "remove", "bob"]), ""));
    assert_eq!(
        davdir(&with(&["user", "remove", "bob"]), "").status.code(),
        Some(1)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# kept\nold:$2y$05$"), "{text}");
    assert_eq!(
        davdir(&["user", "list"][..], "").status.code(),
        Some(2),
        "no htpasswd given"
    );
}

#[test]
fn users_added_and_removed_while_serving() {
    let srv = Server::sample();
    assert_eq!(status_as(&srv, "carol", "pw-carol-1"), 401);
    ok(&run(&srv, &["user", "add", "carol"], "pw-carol-1\n"));
    assert_eq!(status_as(&srv, "carol", "pw-carol-1"), 207, "at once");
    ok(&run(&srv, &["user", "passwd", "carol"], "pw-carol-2\n"));
    assert_eq!(status_as(&srv, "carol", "pw-carol-1"), 401, "old password");
    assert_eq!(status_as(&srv, "carol", "pw-carol-2"), 207);
    let out = ok(&run(
        &srv,
        &["app-password", "add", "carol", "--label", "l"],
        "",
    ));
    let secret = out.lines().last().unwrap().to_string();
    assert_eq!(status_as(&srv, "carol", &secret), 207);
    ok(&run(&srv, &["user", "remove", "carol"], ""));
    assert_eq!(status_as(&srv, "carol", "pw-carol-2"), 401, "removed");
    assert_eq!(
        status_as(&srv, "carol", &secret),
        401,
        "app password of a removed user"
    );
    assert_eq!(status_as(&srv, "demo", "demo"), 207);
}

#[test]
fn app_passwords_from_the_cli_while_serving() {
    let srv = Server::sample();
    let out = ok(&run(
        &srv,
        &["app-password", "add", "demo", "--label", "phone"],
        "",
    ));
    let secret = out.lines().last().unwrap().to_string();
    assert!(secret.len() >= 30 && !secret.contains(' '), "{out}");
    assert_eq!(status_as(&srv, "demo", &secret), 207);
    assert_eq!(status_as(&srv, "demo", &secret), 207, "remembered");
    assert_eq!(status_as(&srv, "alice", &secret), 401, "not another user's");
    let dup = run(
        &srv,
        &["app-password", "add", "demo", "--label", "phone"],
        "",
    );
    assert_eq!(dup.status.code(), Some(1));
    let unknown = run(&srv, &["app-password", "add", "nobody", "--label", "x"], "");
    assert_eq!(unknown.status.code(), Some(1));

    let list = ok(&run(&srv, &["app-password", "list", "demo"], ""));
    assert!(list.starts_with("phone\tcreated "), "{list}");
    assert!(!list.contains("last used never"), "use recorded: {list}");
    assert!(!list.contains(&secret));
    assert!(ok(&run(&srv, &["app-password", "list", "alice"], "")).is_empty());

    // Private, outside the data, and holding no secret.
    let state = state_dir(&srv.data);
    let file = state.join("app-passwords.toml");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(!file.starts_with(&srv.data));
    let stored = std::fs::read_to_string(&file).unwrap();
    assert!(!stored.contains(&secret) && stored.contains("$argon2"));

    ok(&run(&srv, &["app-password", "revoke", "demo", "phone"], ""));
    assert_eq!(status_as(&srv, "demo", &secret), 401, "revoked at once");
    let again = run(&srv, &["app-password", "revoke", "demo", "phone"], "");
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(status_as(&srv, "demo", "demo"), 207);
}

#[test]
fn access_log_names_the_request_and_no_secret() {
    let srv = Server::sample();
    srv.request("PROPFIND", "/demo/")
        .header("Depth", "0")
        .header("Cookie", "session=cookie-secret")
        .fetch()
        .expect(207);
    srv.request_as(Some(("alice", "hunter2-wrong")), "GET", "/alice/")
        .fetch()
        .expect(401);
    let log = srv.log();
    let line = log
        .lines()
        .find(|l| l.contains("PROPFIND /demo/ -> 207"))
        .unwrap_or_else(|| panic!("no access line in {log}"));
    assert!(line.ends_with("user=demo"), "{line}");
    assert!(line.contains("ms "), "duration: {line}");
    let refused = log
        .lines()
        .find(|l| l.contains("GET /alice/ -> 401"))
        .unwrap_or_else(|| panic!("no refused line in {log}"));
    assert!(refused.ends_with("user=-"), "{refused}");
    // demo:demo in Basic is ZGVtbzpkZW1v.
    for secret in ["ZGVtbzpkZW1v", "hunter2", "cookie-secret", "Basic "] {
        assert!(!log.contains(secret), "{secret} in the log");
    }
}

/// Edits from commands run at the same time are all kept (the lock).
#[test]
fn concurrent_commands_lose_nothing() {
    let srv = Server::sample();
    std::thread::scope(|s| {
        for i in 0..6 {
            let srv = &srv;
            s.spawn(move || {
                let user = format!("u{i}");
                ok(&run(srv, &["user", "add", &user], "password\n"));
            });
            s.spawn(move || {
                let label = format!("device {i}");
                ok(&run(
                    srv,
                    &["app-password", "add", "demo", "--label", &label],
                    "",
                ));
            });
        }
    });
    let users = ok(&run(&srv, &["user", "list"], ""));
    for i in 0..6 {
        assert!(users.lines().any(|u| u == format!("u{i}")), "{users}");
    }
    let list = ok(&run(&srv, &["app-password", "list", "demo"], ""));
    assert_eq!(list.lines().count(), 6, "{list}");
    assert_eq!(status_as(&srv, "u3", "password"), 207);
}

/// A user made again under a removed user's name starts afresh: her
/// predecessor's app passwords went with the removal, and those left by a
/// removal that bypassed `davdir user` (Apache's `htpasswd -D`) go when the
/// name is added again.
#[test]
fn a_removed_users_app_passwords_go_with_her() {
    let srv = Server::sample();
    let device = |user: &str| {
        let out = ok(&run(
            &srv,
            &["app-password", "add", user, "--label", "phone"],
            "",
        ));
        out.lines().last().unwrap().to_string()
    };
    ok(&run(&srv, &["user", "add", "carol"], "pw-carol-1\n"));
    let secret = device("carol");
    assert_eq!(status_as(&srv, "carol", &secret), 207);
    let removed = ok(&run(&srv, &["user", "remove", "carol"], ""));
    assert!(removed.contains("1 app password"), "{removed}");
    ok(&run(&srv, &["user", "add", "carol"], "pw-new-carol\n"));
    assert_eq!(ok(&run(&srv, &["app-password", "list", "carol"], "")), "");
    assert_eq!(status_as(&srv, "carol", &secret), 401, "not inherited");
    assert_eq!(status_as(&srv, "carol", "pw-new-carol"), 207);

    let secret = device("carol");
    let text = std::fs::read_to_string(srv.htpasswd_path()).unwrap();
    let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("carol:")).collect();
    std::fs::write(srv.htpasswd_path(), kept.join("\n") + "\n").unwrap();
    let added = ok(&run(&srv, &["user", "add", "carol"], "pw-carol-3\n"));
    assert!(added.contains("left by an earlier user"), "{added}");
    assert_eq!(ok(&run(&srv, &["app-password", "list", "carol"], "")), "");
    assert_eq!(status_as(&srv, "carol", &secret), 401, "not inherited");
    assert!(!ok(&run(&srv, &["app-password", "list", "demo"], "")).contains("phone"));
}

/// Two lines naming one user: the first counts for the server as for
/// `user passwd`, and `davdir check` reports the second.
#[test]
fn of_two_lines_for_one_user_the_first_counts_everywhere() {
    let srv = Server::sample();
    let other = srv.data.with_file_name("other-htpasswd");
    ok(&davdir(
        &["user", "add", "x", "--htpasswd", other.to_str().unwrap()],
        "second-pw\n",
    ));
    let hash = std::fs::read_to_string(&other).unwrap();
    let hash = hash.trim().strip_prefix("x:").unwrap();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(srv.htpasswd_path())
        .unwrap();
    writeln!(file, "demo:{hash}").unwrap();
    drop(file);
    assert_eq!(status_as(&srv, "demo", "demo"), 207, "the first line");
    assert_eq!(status_as(&srv, "demo", "second-pw"), 401, "not the second");
    ok(&run(&srv, &["user", "passwd", "demo"], "third-pw\n"));
    assert_eq!(
        status_as(&srv, "demo", "third-pw"),
        207,
        "passwd's edit counts"
    );
    assert_eq!(status_as(&srv, "demo", "second-pw"), 401);
    assert_eq!(ok(&run(&srv, &["user", "list"], "")), "demo\nalice\n");
    let htpasswd = srv.htpasswd_path();
    let check = davdir(
        &[
            "check",
            "--data",
            srv.data.to_str().unwrap(),
            "--htpasswd",
            htpasswd.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(check.status.code(), Some(1));
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(
        report.contains(&format!(
            "{}:3: user \"demo\" is named again (first on line 1)",
            htpasswd.display()
        )),
        "{report}"
    );
    assert!(srv.log().contains("user \"demo\" is named again"));
}
