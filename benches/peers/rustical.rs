//! RustiCal (lennart-k/rustical 0.15, built by `benches/peers/rustical.sh`)
//! as a peer of the bench. It keeps calendars in SQLite, not in files, so it
//! cannot be handed the generated directory: this module writes its config,
//! creates the bench principal and an app token with its CLI, then creates
//! the calendar and loads the same generated objects over HTTP.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;

use super::{expect, object_name, object_text, send, throughput, DataSet, Res, CAL, ICS, USER};

/// Concurrent clients loading the objects (setup only, not measured).
const LOAD_CLIENTS: usize = 8;
/// How long RustiCal may take to answer its first request.
const UP_LIMIT: Duration = Duration::from_secs(60);

/// The calendar collection's path on a RustiCal server.
pub fn cal_path() -> String {
    format!("/caldav/principal/{USER}/{CAL}/")
}

/// Config file contents: SQLite under `root`, loopback on `port`, and none
/// of the extras (web frontend, Nextcloud login flow, WebDAV push) that the
/// bench does not exercise.
fn config(root: &Path, port: u16) -> String {
    format!(
        "[data_store.sqlite]\ndb_url = \"sqlite://{}\"\n\n\
         [http]\nbind = \"127.0.0.1:{port}\"\n\n\
         [frontend]\nenabled = false\n\n\
         [dav_push]\nenabled = false\n\n\
         [nextcloud_login]\nenabled = false\n",
        root.join("db.sqlite3").display()
    )
}

/// Writes the config for `port` into `root` and returns its path.
pub fn write_config(root: &Path, port: u16) -> Res<std::path::PathBuf> {
    fs::create_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
    let path = root.join("config.toml");
    fs::write(&path, config(root, port)).map_err(|e| e.to_string())?;
    Ok(path)
}

/// Runs one `rustical principals ...` command; returns its stdout.
fn cli(bin: &Path, config: &Path, args: &[&str]) -> Res<String> {
    let out = Command::new(bin)
        .arg("--config-file")
        .arg(config)
        .arg("principals")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "rustical principals {}: {}\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Creates the bench principal and returns a fresh app token for it. An app
/// token (PBKDF2, 1000 rounds) rather than a password (Argon2) is what its
/// clients are meant to use, and keeps per-request auth cheap.
pub fn create_user(bin: &Path, config: &Path) -> Res<String> {
    cli(bin, config, &["create", USER, "--name", "Bench"])?;
    let out = cli(
        bin,
        config,
        &["app-token", "create", USER, "--name", "bench"],
    )?;
    out.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
        .ok_or_else(|| "rustical printed no app token".to_string())
}

/// Waits for the server to answer, creates the calendar and PUTs the `ds.n`
/// generated objects (the same bytes davdir and Radicale get from disk).
/// Returns the load time in ms (reported, not compared).
pub fn load(c: &Client, base: &str, ds: &DataSet, alive: impl Fn() -> bool) -> Res<f64> {
    let url = format!("{base}{}", cal_path());
    let t0 = Instant::now();
    loop {
        match send(
            c,
            "PROPFIND",
            &format!("{base}/caldav/principal/{USER}/"),
            Some("0"),
            None,
            ICS,
        ) {
            Ok(r) if r.status == 207 => break,
            Ok(r) if r.status == 401 => return Err("RustiCal refused the app token (401)".into()),
            _ if alive() && t0.elapsed() < UP_LIMIT => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Ok(r) => return Err(format!("RustiCal not ready: HTTP {}", r.status)),
            Err(e) => return Err(format!("RustiCal not ready: {e}")),
        }
    }
    let mk = r#"<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
<D:displayname>Benchmark</D:displayname></D:prop></D:set></C:mkcalendar>"#;
    let r = send(c, "MKCALENDAR", &url, None, Some(mk), super::XML)?;
    expect(&r, &[201], "MKCALENDAR")?;
    let t1 = Instant::now();
    let n = ds.n;
    let done = throughput(
        &url,
        n,
        LOAD_CLIENTS,
        Duration::from_secs(3600),
        move |_, k| ("PUT", object_name(k), Some(object_text(k).2)),
    )?
    .done;
    if done != n {
        return Err(format!("loaded {done} of {n} objects"));
    }
    Ok(super::ms(t1.elapsed()))
}
