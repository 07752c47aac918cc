//! What a newcomer does first, in README's order: the demo command (with a
//! client writing to it and a web login), then the tests, which copy the
//! sample. The demo must leave the tracked `data-sample/` exactly as it was,
//! and a second server on the same data directory must refuse to start.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_davdir");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The arguments (after `cargo run --release --`) of README's first command.
fn readme_demo_args() -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("The two commands"))
        .expect("README has a section 'The two commands'");
    let block = section.split("```sh\n").nth(1).expect("a sh block");
    let line = block.lines().next().unwrap();
    let args = line
        .strip_prefix("cargo run --release -- ")
        .unwrap_or_else(|| panic!("README's first command is a cargo run: {line}"));
    args.split_whitespace().map(str::to_string).collect()
}

/// Every file below `dir` (hidden ones too) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                todo.push(e.path());
            } else {
                out.insert(e.path(), std::fs::read(e.path()).unwrap());
            }
        }
    }
    out
}

/// A running server, killed (and reaped) when dropped.
struct Running(Child);

impl Running {
    fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary in `cwd` and waits for its `listening on` line.
fn start(args: &[String], cwd: &Path) -> (Running, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let child = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server prints its listening line");
        if let Some(url) = line.strip_prefix("listening on ") {
            return (child, url.trim_end_matches('/').to_string());
        }
    }
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[test]
fn the_demo_leaves_the_sample_untouched_and_owns_its_directory() {
    let sample = repo().join("data-sample");
    let before = snapshot(&sample);
    let work = tempfile::tempdir().unwrap();
    let mut args = readme_demo_args();
    args.extend(["--listen", "127.0.0.1:0", "--into"].map(String::from));
    args.push(work.path().display().to_string());
    let (demo, base) = start(&args, &repo());
    let http = client();

    // A client writes an event, and a person logs in on the web page.
    let event = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:newcomer-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20261207T100000Z\r\nDTEND:20261207T110000Z\r\nSUMMARY:First try\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let put = http
        .put(format!("{base}/demo/personal/newcomer-1.ics"))
        .basic_auth("demo", Some("demo"))
        .header("Content-Type", "text/calendar")
        .body(event)
        .send()
        .unwrap();
    assert_eq!(put.status().as_u16(), 201);
    let login = http
        .post(format!("{base}/.web/login"))
        .header("Accept", "text/html")
        .form(&[("username", "demo"), ("password", "demo")])
        .send()
        .unwrap();
    assert_eq!(login.status().as_u16(), 303, "the web login succeeds");
    assert!(login.headers().get("set-cookie").is_some());
    let copy = work.path().join("data/demo/personal/newcomer-1.ics");
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), event);

    // A second server on the demo's data directory refuses (exits rather
    // than waiting for the lock: polled with a generous bound), naming the
    // directory and the running server.
    let data = work.path().join("data");
    let second_err = work.path().join("second.err");
    let mut second = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--htpasswd"])
        .arg(data.join("htpasswd"))
        .arg("--data")
        .arg(&data)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&second_err).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut status = second.try_wait().unwrap();
    while status.is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        status = second.try_wait().unwrap();
    }
    let Some(status) = status else {
        let _ = second.kill();
        let _ = second.wait();
        panic!("a second server on the same data directory still runs after 30 s");
    };
    assert!(!status.success());
    let err = std::fs::read_to_string(&second_err).unwrap();
    assert!(err.contains(&data.display().to_string()), "{err}");
    assert!(err.contains(&format!("pid {}", demo.id())), "{err}");
    // ...while a CLI command that writes works beside it.
    let ics = work.path().join("more.ics");
    std::fs::write(&ics, event.replace("newcomer-1", "newcomer-2")).unwrap();
    let import = Command::new(BIN)
        .args([
            "import",
            "--user",
            "demo",
            "--collection",
            "personal",
            "--data",
        ])
        .arg(&data)
        .arg(&ics)
        .output()
        .unwrap();
    assert!(import.status.success(), "{import:?}");
    assert!(data.join("demo/personal/newcomer-2.ics").exists());

    drop(demo);
    assert_eq!(
        snapshot(&sample),
        before,
        "the demo changed files in data-sample/"
    );
    assert!(!sample.join(".davdir-cache").exists());

    // Started again, the demo keeps what was written (until --fresh).
    let (again, base) = start(&args, &repo());
    let get = http
        .get(format!("{base}/demo/personal/newcomer-1.ics"))
        .basic_auth("demo", Some("demo"))
        .send()
        .unwrap();
    assert_eq!(get.status().as_u16(), 200);
    drop(again);
    args.push("--fresh".into());
    let (fresh, base) = start(&args, &repo());
    let get = http
        .get(format!("{base}/demo/personal/newcomer-1.ics"))
        .basic_auth("demo", Some("demo"))
        .send()
        .unwrap();
    assert_eq!(get.status().as_u16(), 404);
    drop(fresh);
}

#[test]
fn serve_names_what_failed_and_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let missing_parent = tmp.path().join("no/such/data");
    let err = run(&[
        "serve",
        "--no-auth",
        "--listen",
        "127.0.0.1:0",
        "--data",
        missing_parent.to_str().unwrap(),
    ]);
    assert!(err.contains("does not exist"), "{err}");
    assert!(!missing_parent.parent().unwrap().exists(), "nothing made");
    let data = tmp.path().join("data");
    let htpasswd = tmp.path().join("htpasswd");
    let err = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data",
        data.to_str().unwrap(),
        "--htpasswd",
        htpasswd.to_str().unwrap(),
    ]);
    assert!(err.contains("davdir user add"), "{err}");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().to_string();
    let err = run(&[
        "serve",
        "--no-auth",
        "--listen",
        &port,
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(err.contains(&format!("cannot listen on {port}")), "{err}");
    assert!(err.contains("--listen"), "{err}");
}

#[test]
fn serve_tells_systemd_it_is_ready_once_it_answers() {
    use std::os::unix::net::UnixDatagram;
    let tmp = tempfile::tempdir().unwrap();
    let socket_path = tmp.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let data = tmp.path().join("data");
    let mut child = Command::new(BIN)
        .args(["serve", "--no-auth", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .env("NOTIFY_SOCKET", &socket_path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let child = Running(child);
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    let mut buf = [0u8; 256];
    let n = socket.recv(&mut buf).expect("a notification within 30 s");
    let message = String::from_utf8_lossy(&buf[..n]);
    assert!(message.lines().any(|l| l == "READY=1"), "{message}");
    // Ready means answering.
    let r = client()
        .request(reqwest::Method::OPTIONS, &base)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    drop(child);
}

/// The subcommands `--help` lists (recursively), e.g. `["user", "add"]`.
fn subcommands(prefix: &[String]) -> Vec<Vec<String>> {
    let out = Command::new(BIN)
        .args(prefix)
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let Some(list) = text.split("Commands:\n").nth(1) else {
        return vec![prefix.to_vec()];
    };
    list.lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .flat_map(|name| {
            let mut path = prefix.to_vec();
            path.push(name.to_string());
            subcommands(&path)
        })
        .collect()
}

#[test]
fn every_command_describes_each_of_its_own_flags() {
    let top = Command::new(BIN).arg("--help").output().unwrap();
    assert!(String::from_utf8_lossy(&top.stdout).contains("CalDAV and CardDAV"));
    let commands = subcommands(&[]);
    assert!(commands.len() >= 15, "{commands:?}");
    for command in commands {
        let out = Command::new(BIN)
            .args(&command)
            .arg("--help")
            .output()
            .unwrap();
        assert!(out.status.success(), "{command:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        let mut in_list = false;
        for line in text.lines() {
            if line == "Arguments:" || line == "Options:" {
                in_list = true;
                continue;
            }
            if !in_list || !line.starts_with("  ") {
                continue;
            }
            // "  -x, --flag <VALUE>  What it does": a flag and its words.
            let words: Vec<&str> = line.split("  ").filter(|w| !w.trim().is_empty()).collect();
            assert!(words.len() >= 2, "{command:?}: undescribed {line:?}");
        }
        let serving = ["serve", "demo"].contains(&command[0].as_str());
        for flag in ["--listen", "--no-auth", "--base-path", "--tls-cert"] {
            if !serving {
                assert!(!text.contains(flag), "{command:?} lists {flag}:\n{text}");
            }
        }
    }
}

#[test]
fn check_reads_the_config_and_says_each_problem_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(data.join("ann/cal")).unwrap();
    std::fs::write(
        data.join("ann/cal/broken.ics"),
        "BEGIN:VCALENDAR\r\nEND:VEVENT\r\n",
    )
    .unwrap();
    std::fs::write(data.join("ann/cal/big.ics"), vec![b'x'; 2000]).unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "data = {:?}\nmax_resource_size = 1000\n",
            data.display().to_string()
        ),
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["check", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.iter().any(|l| l.contains("broken.ics")), "{text}");
    assert!(
        lines.iter().any(|l| l.contains("big.ics")),
        "max_resource_size from the config: {text}"
    );
    let unique: std::collections::BTreeSet<&&str> = lines.iter().collect();
    assert_eq!(unique.len(), lines.len(), "a problem said twice: {text}");
}
