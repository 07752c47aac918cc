//! davdir benchmark: generates calendars of N objects as real `.ics` files,
//! runs the release server on them over loopback HTTP and measures the
//! requests CalDAV clients make, optionally against peer servers (Radicale,
//! RustiCal) on the same data in the same run. Prints a Markdown table (stdout;
//! progress on stderr).
//!
//! ```sh
//! cargo bench --bench bench -- [--sizes 1000,10000,100000] [--quick]
//!     [--peer radicale=/work/scratch/radvenv/bin/radicale] [--peer-max 10000]
//!     [--peer rustical=/work/scratch/rustical/src/target/release/rustical]
//!     [--davdir target/release/davdir] [--tmp DIR] [--out results.md]
//! cargo bench --bench bench -- --sizes 100000 --generate DATA_DIR   # data only
//! cargo bench --bench bench -- --sizes 100000 --contacts 10000 [--only-contacts] [--peer ..]
//! ```
//!
//! `--contacts N` adds an address book of N contacts, served by davdir next
//! to the largest calendar and benchmarked in its own table (`contacts/`).
//!
//! Cargo builds `target/release/davdir` (the bench profile inherits release)
//! before running this; `--davdir` points at another binary. Everything runs
//! on 127.0.0.1 and every phase is bounded in count and time; the peer gets
//! fewer repetitions, a time cap per phase and no sizes above `--peer-max`.
//!
//! Data: ~10% recurring VEVENTs (weekly/monthly; COUNT, UNTIL or unbounded;
//! some EXDATEs), ~20% VTODOs with DUE, the rest single VEVENTs over
//! 2025–2027; about a fifth of the events in Europe/Berlin with a VTIMEZONE.
//! The generator is deterministic, so runs are comparable.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use reqwest::blocking::Client;
use reqwest::Method;

mod contacts;
#[path = "bench/figures.rs"]
mod figures;
#[path = "peers/rustical.rs"]
mod rustical;

type Res<T> = Result<T, String>;

const USER: &str = "bench";
const CAL: &str = "cal";

// Query windows (the data spans 2025-01-01 .. 2027-12-31).
const WEEK: (&str, &str) = ("20260302T000000Z", "20260309T000000Z");
const YEAR: (&str, &str) = ("20260101T000000Z", "20270101T000000Z");
const MONTH: (&str, &str) = ("20260301T000000Z", "20260401T000000Z");

// ---------------------------------------------------------------- options

struct Opts {
    sizes: Vec<usize>,
    /// Peer servers, each run after davdir on the same data.
    peers: Vec<(Flavor, PathBuf)>,
    peer_max: usize,
    quick: bool,
    davdir: PathBuf,
    tmp: Option<PathBuf>,
    out: Option<PathBuf>,
    /// Only write the data set (largest size) into this data dir and exit.
    generate: Option<PathBuf>,
    /// Contacts in the address book of the CardDAV phases (0: none).
    contacts: usize,
    /// Skip the calendar phases (the calendars are still generated and served).
    only_contacts: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: cargo bench --bench bench -- [--sizes 1000,10000] [--quick] \
         [--peer radicale=BIN] [--peer rustical=BIN] [--peer-max N] [--davdir BIN] [--tmp DIR] [--out FILE] \
         [--generate DATA_DIR (write the largest data set there and exit)] \
         [--contacts N (an address book of N contacts, at the largest size)] \
         [--only-contacts (skip the calendar phases)]"
    );
    std::process::exit(2)
}

fn parse_opts() -> Opts {
    let mut o = Opts {
        sizes: Vec::new(),
        peers: Vec::new(),
        peer_max: 10_000,
        quick: false,
        davdir: PathBuf::from(env!("CARGO_BIN_EXE_davdir")),
        tmp: None,
        out: None,
        generate: None,
        contacts: 0,
        only_contacts: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--bench" => {} // added by `cargo bench`
            "--quick" => o.quick = true,
            "--sizes" => {
                o.sizes = val()
                    .split(',')
                    .map(|s| {
                        s.trim()
                            .replace('_', "")
                            .parse()
                            .unwrap_or_else(|_| usage())
                    })
                    .collect()
            }
            "--peer" => {
                let v = val();
                match v.split_once('=') {
                    Some(("radicale", bin)) => o.peers.push((Flavor::Radicale, PathBuf::from(bin))),
                    Some(("rustical", bin)) => o.peers.push((Flavor::Rustical, PathBuf::from(bin))),
                    _ => {
                        eprintln!("--peer takes radicale=BIN or rustical=BIN");
                        usage()
                    }
                }
            }
            "--peer-max" => o.peer_max = val().parse().unwrap_or_else(|_| usage()),
            "--davdir" => o.davdir = PathBuf::from(val()),
            "--tmp" => o.tmp = Some(PathBuf::from(val())),
            "--out" => o.out = Some(PathBuf::from(val())),
            "--generate" => o.generate = Some(PathBuf::from(val())),
            "--contacts" => o.contacts = val().parse().unwrap_or_else(|_| usage()),
            "--only-contacts" => o.only_contacts = true,
            "-h" | "--help" => usage(),
            _ if a.starts_with("--") => {
                eprintln!("unknown option {a}");
                usage()
            }
            _ => {} // a cargo bench name filter: ignored
        }
    }
    if o.sizes.is_empty() {
        o.sizes = if o.quick {
            vec![1000]
        } else {
            vec![1000, 10_000]
        };
    }
    o
}

/// How hard to push one server.
#[derive(Clone, Copy)]
struct Plan {
    runs: usize,
    warmup: usize,
    /// Upper bound on the time one phase may take (warm-up included).
    cap: Duration,
    gets: usize,
    puts: usize,
    threads: usize,
    latency_samples: usize,
    /// Restarts measured for cold and for warm start (each).
    starts: usize,
}

impl Plan {
    fn for_server(peer: bool, quick: bool) -> Plan {
        match (peer, quick) {
            (false, false) => Plan {
                runs: 30,
                warmup: 5,
                cap: Duration::from_secs(120),
                gets: 2000,
                puts: 200,
                threads: 4,
                latency_samples: 20,
                starts: 3,
            },
            (false, true) => Plan {
                runs: 10,
                warmup: 2,
                cap: Duration::from_secs(30),
                gets: 500,
                puts: 50,
                threads: 4,
                latency_samples: 10,
                starts: 1,
            },
            (true, false) => Plan {
                runs: 5,
                warmup: 1,
                cap: Duration::from_secs(45),
                gets: 2000,
                puts: 200,
                threads: 4,
                latency_samples: 5,
                starts: 1,
            },
            (true, true) => Plan {
                runs: 3,
                warmup: 1,
                cap: Duration::from_secs(15),
                gets: 300,
                puts: 20,
                threads: 4,
                latency_samples: 3,
                starts: 1,
            },
        }
    }
}

// ---------------------------------------------------------------- data

/// splitmix64: a small deterministic generator, so every run sees the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const VTIMEZONE_BERLIN: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n\
BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n\
DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n\
DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n\
END:VTIMEZONE\r\n";

#[derive(Default, Clone)]
struct DataSet {
    n: usize,
    /// Indexes of plain (non-recurring) VEVENTs, safe to edit in place.
    singles: Vec<usize>,
    recurring: usize,
    todos: usize,
    berlin: usize,
}

fn object_name(i: usize) -> String {
    format!("bench-{i:06}.ics")
}

fn base_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
}

fn fmt_dt(dt: NaiveDateTime) -> String {
    dt.format("%Y%m%dT%H%M%S").to_string()
}

/// A DTSTART/DTEND-style property value: UTC, or local time in Europe/Berlin.
fn dt_prop(name: &str, dt: NaiveDateTime, berlin: bool) -> String {
    if berlin {
        format!("{name};TZID=Europe/Berlin:{}\r\n", fmt_dt(dt))
    } else {
        format!("{name}:{}Z\r\n", fmt_dt(dt))
    }
}

enum Kind {
    Single,
    Recurring,
    Todo,
}

/// The text of object `i` (a pure function of `i`).
fn object_text(i: usize) -> (Kind, bool, String) {
    let mut r = Rng(i as u64 ^ 0x00ca_1d1e);
    let roll = r.below(100);
    let day = base_day() + chrono::Duration::days(r.below(3 * 365) as i64);
    let start = day.and_hms_opt(
        7 + r.below(12) as u32,
        [0, 15, 30, 45][r.below(4) as usize],
        0,
    );
    let start = start.unwrap();
    let minutes = [30, 60, 90, 120][r.below(4) as usize];
    let end = start + chrono::Duration::minutes(minutes);
    let uid = format!("bench-{i:06}@davdir.bench");
    let mut body = String::with_capacity(1024);
    let mut berlin = false;
    let kind;
    if roll < 10 {
        kind = Kind::Recurring;
        berlin = r.below(3) == 0;
        let weekly = r.below(10) < 7;
        // Monthly rules start on a day every month has, so DTSTART is an
        // instance of its rule (RFC 5545 leaves other cases undefined).
        let (start, end) = if !weekly && start.day() > 28 {
            let moved = start.date().with_day(28).unwrap().and_time(start.time());
            (moved, moved + (end - start))
        } else {
            (start, end)
        };
        let mut rule = if weekly {
            "FREQ=WEEKLY".to_string()
        } else {
            format!("FREQ=MONTHLY;BYMONTHDAY={}", start.day())
        };
        match r.below(10) {
            0..=3 => write!(rule, ";COUNT={}", 5 + r.below(26)).unwrap(),
            4..=6 => {
                let until = start + chrono::Duration::days(60 + r.below(340) as i64);
                write!(rule, ";UNTIL={}Z", fmt_dt(until)).unwrap()
            }
            _ => {} // unbounded
        }
        body.push_str("BEGIN:VEVENT\r\n");
        write!(body, "UID:{uid}\r\nDTSTAMP:20250101T000000Z\r\n").unwrap();
        body.push_str(&dt_prop("DTSTART", start, berlin));
        body.push_str(&dt_prop("DTEND", end, berlin));
        write!(body, "RRULE:{rule}\r\n").unwrap();
        if r.below(5) == 0 {
            // Drop the second and third occurrence.
            let step = |k: i64| {
                if weekly {
                    start + chrono::Duration::weeks(k)
                } else {
                    start
                        .date()
                        .checked_add_months(chrono::Months::new(k as u32))
                        .unwrap()
                        .and_time(start.time())
                }
            };
            let ex: Vec<String> = (1..3).map(|k| fmt_dt(step(k))).collect();
            if berlin {
                write!(body, "EXDATE;TZID=Europe/Berlin:{}\r\n", ex.join(",")).unwrap();
            } else {
                write!(body, "EXDATE:{}Z,{}Z\r\n", ex[0], ex[1]).unwrap();
            }
        }
        write!(body, "SUMMARY:Recurring meeting {i}\r\nEND:VEVENT\r\n").unwrap();
    } else if roll < 30 {
        kind = Kind::Todo;
        body.push_str("BEGIN:VTODO\r\n");
        write!(body, "UID:{uid}\r\nDTSTAMP:20250101T000000Z\r\n").unwrap();
        if r.below(2) == 0 {
            body.push_str(&dt_prop(
                "DTSTART",
                start - chrono::Duration::days(2),
                false,
            ));
        }
        body.push_str(&dt_prop("DUE", start, false));
        write!(
            body,
            "SUMMARY:Task {i}\r\nSTATUS:NEEDS-ACTION\r\nPRIORITY:{}\r\nEND:VTODO\r\n",
            1 + r.below(9)
        )
        .unwrap();
    } else {
        kind = Kind::Single;
        body.push_str("BEGIN:VEVENT\r\n");
        write!(body, "UID:{uid}\r\nDTSTAMP:20250101T000000Z\r\n").unwrap();
        if r.below(20) == 0 {
            let d = start.date();
            write!(
                body,
                "DTSTART;VALUE=DATE:{}\r\nDTEND;VALUE=DATE:{}\r\n",
                d.format("%Y%m%d"),
                (d + chrono::Duration::days(1)).format("%Y%m%d")
            )
            .unwrap();
        } else {
            berlin = r.below(5) == 0;
            body.push_str(&dt_prop("DTSTART", start, berlin));
            body.push_str(&dt_prop("DTEND", end, berlin));
        }
        write!(
            body,
            "SUMMARY:Event {i}\r\nLOCATION:Room {}\r\nDESCRIPTION:Generated by the davdir benchmark.\r\nEND:VEVENT\r\n",
            r.below(40)
        )
        .unwrap();
    }
    let mut text = String::with_capacity(body.len() + 600);
    text.push_str("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davdir//bench//EN\r\n");
    if berlin {
        text.push_str(VTIMEZONE_BERLIN);
    }
    text.push_str(&body);
    text.push_str("END:VCALENDAR\r\n");
    (kind, berlin, text)
}

/// Writes `n` objects into `dir` (created).
fn generate(dir: &Path, n: usize) -> Res<DataSet> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut ds = DataSet {
        n,
        ..Default::default()
    };
    for i in 0..n {
        let (kind, berlin, text) = object_text(i);
        match kind {
            Kind::Single => ds.singles.push(i),
            Kind::Recurring => ds.recurring += 1,
            Kind::Todo => ds.todos += 1,
        }
        ds.berlin += berlin as usize;
        fs::write(dir.join(object_name(i)), text).map_err(|e| e.to_string())?;
    }
    fs::write(dir.join("displayname"), "Benchmark").map_err(|e| e.to_string())?;
    Ok(ds)
}

// ---------------------------------------------------------------- servers

#[derive(Clone, Copy, PartialEq)]
enum Flavor {
    Davdir,
    Radicale,
    /// Stores in SQLite: loaded over HTTP, has no files the bench can touch.
    Rustical,
}

/// The password sent with every request: empty means "bench" (davdir and
/// Radicale run without auth); RustiCal's app token while it is measured.
/// Global so that `send` and the client threads keep their signatures.
static PASSWORD: RwLock<String> = RwLock::new(String::new());

fn set_password(p: &str) {
    *PASSWORD.write().unwrap() = p.to_string();
}

struct Server {
    flavor: Flavor,
    bin: PathBuf,
    /// davdir: the data dir; Radicale: the storage folder (holds
    /// collection-root); RustiCal: the dir of its config and SQLite file.
    root: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    _stdout: Option<BufReader<ChildStdout>>,
    base: String,
}

impl Server {
    fn name(&self) -> &'static str {
        match self.flavor {
            Flavor::Davdir => "davdir",
            Flavor::Radicale => "Radicale",
            Flavor::Rustical => "RustiCal",
        }
    }

    /// The calendar's directory (file-backed servers; RustiCal has none).
    fn cal_dir(&self) -> Option<PathBuf> {
        match self.flavor {
            Flavor::Davdir => Some(self.root.join(USER).join(CAL)),
            Flavor::Radicale => Some(self.root.join("collection-root").join(USER).join(CAL)),
            Flavor::Rustical => None,
        }
    }

    /// Whether the bench can write into the calendar's directory itself.
    fn file_backed(&self) -> bool {
        self.cal_dir().is_some()
    }

    /// The calendar's URL path (each server lays out its URLs its own way).
    fn cal_path(&self) -> String {
        match self.flavor {
            Flavor::Davdir | Flavor::Radicale => format!("/{USER}/{CAL}/"),
            Flavor::Rustical => rustical::cal_path(),
        }
    }

    fn cal_url(&self) -> String {
        format!("{}{}", self.base, self.cal_path())
    }

    /// The current text of object `idx`: read from disk for file-backed
    /// servers (earlier phases may have edited it), else as generated.
    fn object_source(&self, idx: usize) -> Res<String> {
        match self.cal_dir() {
            None => Ok(object_text(idx).2),
            Some(dir) => fs::read_to_string(dir.join(object_name(idx))).map_err(|e| e.to_string()),
        }
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    fn log_file(&self) -> Res<fs::File> {
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| e.to_string())
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Spawns the server; returns once it has an address (davdir) or was
    /// started (Radicale: its port is reserved here, readiness is polled).
    fn start(&mut self) -> Res<()> {
        assert!(self.child.is_none());
        match self.flavor {
            Flavor::Davdir => {
                let mut child = Command::new(&self.bin)
                    .arg("serve")
                    .arg("--data")
                    .arg(&self.root)
                    .args(["--listen", "127.0.0.1:0", "--no-auth"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(self.log_file()?)
                    .spawn()
                    .map_err(|e| format!("cannot start {}: {e}", self.bin.display()))?;
                let mut out = BufReader::new(child.stdout.take().unwrap());
                let mut line = String::new();
                let _ = out.read_line(&mut line);
                let Some(url) = line.trim().strip_prefix("listening on ") else {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "davdir did not report its address (got {line:?}); log:\n{}",
                        self.log_tail()
                    ));
                };
                self.base = url.trim_end_matches('/').to_string();
                self.child = Some(child);
                self._stdout = Some(out);
            }
            Flavor::Radicale => {
                let port = TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .map_err(|e| e.to_string())?
                    .port();
                let child = Command::new(&self.bin)
                    .arg("--config") // no config files at all
                    .arg("--storage-filesystem-folder")
                    .arg(&self.root)
                    .args(["--auth-type", "none"])
                    // Its anti-DoS limits would refuse the 10k expand query;
                    // raise them so both servers do the same work.
                    .args(["--reporting-max-expand-occurrence", "10000000"])
                    .args(["--reporting-max-freebusy-occurrence", "10000000"])
                    .args(["--server-hosts", &format!("127.0.0.1:{port}")])
                    // Its default of 8 parallel connections would reset the
                    // 64-connection GET figure's clients.
                    .args([
                        "--server-max-connections",
                        &figures::GET_CONNECTIONS.to_string(),
                    ])
                    .stdin(Stdio::null())
                    .stdout(self.log_file()?)
                    .stderr(self.log_file()?)
                    .spawn()
                    .map_err(|e| format!("cannot start {}: {e}", self.bin.display()))?;
                self.base = format!("http://127.0.0.1:{port}");
                self.child = Some(child);
            }
            Flavor::Rustical => {
                let port = TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .map_err(|e| e.to_string())?
                    .port();
                let config = rustical::write_config(&self.root, port)?;
                let child = Command::new(&self.bin)
                    .arg("--config-file")
                    .arg(config)
                    .arg("serve")
                    .stdin(Stdio::null())
                    .stdout(self.log_file()?)
                    .stderr(self.log_file()?)
                    .spawn()
                    .map_err(|e| format!("cannot start {}: {e}", self.bin.display()))?;
                self.base = format!("http://127.0.0.1:{port}");
                self.child = Some(child);
            }
        }
        Ok(())
    }

    /// SIGTERM (a graceful stop: davdir saves its index), then SIGKILL after 15 s.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self._stdout = None;
    }

    /// Removes the server's derived state (davdir: the cache dir; Radicale:
    /// its `.Radicale.cache` directories).
    fn clear_cache(&self) {
        match self.flavor {
            Flavor::Davdir => {
                let _ = fs::remove_dir_all(self.root.join(".davdir-cache"));
            }
            Flavor::Radicale => remove_named_dirs(&self.root, ".Radicale.cache"),
            Flavor::Rustical => {} // no cache beside its database
        }
    }

    fn exited(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => !matches!(c.try_wait(), Ok(None)),
            None => true,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn remove_named_dirs(dir: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            if e.file_name() == name {
                let _ = fs::remove_dir_all(e.path());
            } else {
                remove_named_dirs(&e.path(), name);
            }
        }
    }
}

fn vm_hwm_mb(pid: u32) -> Option<f64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

// ---------------------------------------------------------------- HTTP

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(300))
        .pool_max_idle_per_host(8)
        .build()
        .expect("http client")
}

struct Reply {
    status: u16,
    body: String,
}

fn send(
    c: &Client,
    method: &str,
    url: &str,
    depth: Option<&str>,
    body: Option<&str>,
    ctype: &str,
) -> Res<Reply> {
    let m = Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let password = PASSWORD.read().unwrap().clone();
    let password = if password.is_empty() {
        "bench"
    } else {
        &password
    };
    let mut rb = c.request(m, url).basic_auth(USER, Some(password));
    if let Some(d) = depth {
        rb = rb.header("Depth", d);
    }
    if let Some(b) = body {
        rb = rb.header("Content-Type", ctype).body(b.to_string());
    }
    let resp = rb.send().map_err(|e| format!("{method} {url}: {e}"))?;
    let status = resp.status().as_u16();
    let body = resp
        .text()
        .map_err(|e| format!("{method} {url}: body: {e}"))?;
    Ok(Reply { status, body })
}

const XML: &str = "application/xml; charset=utf-8";
const ICS: &str = "text/calendar; charset=utf-8";

fn xml_report(c: &Client, url: &str, body: &str) -> Res<Reply> {
    send(c, "REPORT", url, Some("1"), Some(body), XML)
}

fn query_body(expand: Option<(&str, &str)>, range: (&str, &str)) -> String {
    let data = match expand {
        Some((s, e)) => {
            format!("<C:calendar-data><C:expand start=\"{s}\" end=\"{e}\"/></C:calendar-data>")
        }
        None => "<C:calendar-data/>".into(),
    };
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/>{data}</D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{}" end="{}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"#,
        range.0, range.1
    )
}

fn freebusy_body() -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="{}" end="{}"/></C:free-busy-query>"#,
        MONTH.0, MONTH.1
    )
}

const PROPFIND_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getcontenttype/></D:prop></D:propfind>"#;

const TOKEN_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:sync-token/></D:prop></D:propfind>"#;

fn sync_body(token: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:"><D:sync-token>{}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#,
        xml_escape(token)
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Number of elements with this local name (counted by their end tags).
fn count_elements(xml: &str, local: &str) -> usize {
    xml.match_indices("</")
        .filter(|(i, _)| {
            let rest = &xml[i + 2..];
            let name = rest.split('>').next().unwrap_or("").trim();
            name.rsplit(':').next() == Some(local)
        })
        .count()
}

/// The text of the first element with this local name.
fn element_text(xml: &str, local: &str) -> Option<String> {
    let mut from = 0;
    while let Some(pos) = xml[from..].find('<') {
        let at = from + pos + 1;
        from = at;
        let rest = &xml[at..];
        if rest.starts_with('/') || rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
        if rest[..end].rsplit(':').next() != Some(local) {
            continue;
        }
        let open_end = rest.find('>')?;
        if rest[..open_end].ends_with('/') {
            return Some(String::new());
        }
        let text = &rest[open_end + 1..];
        let close = text.find("</")?;
        return Some(xml_unescape(text[..close].trim()));
    }
    None
}

/// Periods in the FREEBUSY properties of a free-busy answer (unfolded).
fn freebusy_periods(ics: &str) -> usize {
    let text = ics.replace("\r\n ", "").replace("\n ", "");
    text.lines()
        .filter(|l| l.starts_with("FREEBUSY"))
        .filter_map(|l| l.split_once(':'))
        .map(|(_, v)| v.split(',').count())
        .sum()
}

fn expect(r: &Reply, status: &[u16], what: &str) -> Res<()> {
    if status.contains(&r.status) {
        Ok(())
    } else {
        let snippet: String = r.body.chars().take(300).collect();
        Err(format!("{what}: HTTP {} {snippet}", r.status))
    }
}

// ---------------------------------------------------------------- stats

#[derive(Clone, Copy, Debug)]
struct Stat {
    median: f64,
    p90: f64,
    max: f64,
    n: usize,
}

fn stat(mut v: Vec<f64>) -> Stat {
    assert!(!v.is_empty());
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    let p90 = v[((n as f64 * 0.9).ceil() as usize).clamp(1, n) - 1];
    Stat {
        median,
        p90,
        max: v[n - 1],
        n,
    }
}

#[derive(Clone, Debug)]
enum Val {
    Ms(Stat),
    /// requests per second, requests done
    Rate(f64, usize),
    Mb(f64),
    Na(String),
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs `f` (warm-ups first) until `plan.runs` measured runs or the cap.
/// `f` returns the time it measured and a result size for the report.
fn repeat(plan: &Plan, mut f: impl FnMut() -> Res<(f64, usize)>) -> Res<(Stat, usize)> {
    let started = Instant::now();
    let mut times = Vec::new();
    let mut size = 0;
    for k in 0..plan.warmup + plan.runs {
        let (t, s) = f()?;
        if k >= plan.warmup {
            times.push(t);
            size = s;
        }
        if started.elapsed() > plan.cap && !times.is_empty() {
            break;
        }
    }
    if times.is_empty() {
        // Only warm-ups fitted: measure once more.
        let (t, s) = f()?;
        times.push(t);
        size = s;
    }
    Ok((stat(times), size))
}

fn timed(f: impl FnOnce() -> Res<Reply>) -> Res<(f64, Reply)> {
    let t = Instant::now();
    let r = f()?;
    Ok((ms(t.elapsed()), r))
}

// ---------------------------------------------------------------- workload

const METRICS: &[(&str, &str)] = &[
    ("week", "one-week calendar-query (getetag + calendar-data)"),
    ("expand", "one-year expand query"),
    ("freebusy", "free-busy-query, one month"),
    ("propfind", "PROPFIND Depth 1 (getetag, getcontenttype)"),
    ("sync", "sync-collection after one change"),
    ("put1", "PUT of one object (before the sync above)"),
    (
        "latency",
        "file written on disk → in sync-collection, polling every 5 ms",
    ),
    (
        "latency50",
        "file written on disk → in sync-collection, polling every 50 ms",
    ),
    ("get_rate", "GET throughput"),
    ("put_rate", "PUT throughput"),
    ("put_rate1", "durable PUT/s, 1 client (median of rounds)"),
    ("put_rate8", "durable PUT/s, 8 clients (median of rounds)"),
    ("export", "GET of the whole calendar (webcal export)"),
    ("export_rate", "webcal export, objects/s"),
    ("cold", "cold start, no cache (to first PROPFIND Depth 1)"),
    ("warm", "warm start, cache kept"),
    ("rss", "peak RSS (VmHWM) after the queries"),
    (
        "rss_end",
        "peak RSS after all phases (incl. 4-client GET/PUT)",
    ),
];

#[derive(Default)]
struct Outcome {
    vals: BTreeMap<&'static str, Val>,
    /// Result sizes (objects / instances / periods) as a sanity check.
    sizes: BTreeMap<&'static str, usize>,
}

fn note(server: &Server, n: usize, msg: &str) {
    eprintln!("[{} {}] {msg}", server.name(), human(n));
}

fn human(n: usize) -> String {
    if n >= 1000 && n.is_multiple_of(1000) {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

/// Records the server's VmHWM so far under `key`.
fn record_rss(server: &Server, n: usize, out: &mut Outcome, key: &'static str) {
    match vm_hwm_mb(server.pid()) {
        Some(mb) => {
            note(server, n, &format!("peak RSS so far {mb:.1} MB"));
            out.vals.insert(key, Val::Mb(mb));
        }
        None => {
            out.vals.insert(key, Val::Na("n/a".into()));
        }
    }
}

/// Waits for the server to answer a PROPFIND Depth 1 on the calendar with at
/// least `n` members; returns the time since `t0`.
fn wait_ready(server: &mut Server, c: &Client, n: usize, t0: Instant, limit: Duration) -> Res<f64> {
    let url = server.cal_url();
    loop {
        match send(c, "PROPFIND", &url, Some("1"), Some(PROPFIND_BODY), XML) {
            Ok(r) if r.status == 207 => {
                let got = count_elements(&r.body, "response").saturating_sub(1);
                if got >= n {
                    return Ok(ms(t0.elapsed()));
                }
                return Err(format!("PROPFIND after start: {got} of {n} objects"));
            }
            Ok(r) => return Err(format!("PROPFIND after start: HTTP {}", r.status)),
            Err(_) if !server.exited() && t0.elapsed() < limit => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => {
                return Err(format!(
                    "{} not ready: {e}\n{}",
                    server.name(),
                    server.log_tail()
                ))
            }
        }
    }
}

fn sync_token(c: &Client, url: &str) -> Res<String> {
    let r = send(c, "PROPFIND", url, Some("0"), Some(TOKEN_BODY), XML)?;
    expect(&r, &[207], "PROPFIND sync-token")?;
    element_text(&r.body, "sync-token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| "no sync-token property".to_string())
}

/// A variant of an object's text with a new summary (same UID and times).
fn edited(text: &str, tag: &str) -> String {
    text.replacen("SUMMARY:", &format!("SUMMARY:{tag} "), 1)
}

/// A measured request: result key, label, method, body, expected status,
/// result-size counter and its unit.
struct Query<'a>(
    &'static str,
    &'a str,
    &'a str,
    &'a str,
    u16,
    &'a dyn Fn(&str) -> usize,
    &'a str,
);

/// Times each REPORT/PROPFIND of `queries` (Depth 1 on `url`), after one
/// probe: a server that refuses a query gets `n/a` with the status for it,
/// the rest of the run goes on.
fn time_queries(
    server: &Server,
    c: &Client,
    url: &str,
    n: usize,
    plan: Plan,
    queries: &[Query],
    out: &mut Outcome,
) -> Res<()> {
    for &Query(key, what, method, body, ok, count, unit) in queries {
        let probe = send(c, method, url, Some("1"), Some(body), XML)?;
        if probe.status != ok {
            let snippet: String = probe.body.chars().take(80).collect();
            note(
                server,
                n,
                &format!("{what}: HTTP {} {snippet:?}: n/a", probe.status),
            );
            out.vals
                .insert(key, Val::Na(format!("n/a (HTTP {})", probe.status)));
            continue;
        }
        let mut p = plan;
        p.warmup = p.warmup.saturating_sub(1);
        let (s, k) = repeat(&p, || {
            let (t, r) = timed(|| send(c, method, url, Some("1"), Some(body), XML))?;
            expect(&r, &[ok], what)?;
            Ok((t, count(&r.body)))
        })?;
        note(
            server,
            n,
            &format!("{what}: median {:.2} ms, {k} {unit}", s.median),
        );
        out.vals.insert(key, Val::Ms(s));
        out.sizes.insert(key, k);
    }
    Ok(())
}

fn run_server(server: &mut Server, ds: &DataSet, plan: Plan) -> Res<Outcome> {
    let n = ds.n;
    let mut out = Outcome::default();
    let c = client();
    let start_limit = Duration::from_secs(600);

    // First start on fresh data: no cache exists, so it counts as a cold start.
    // RustiCal starts empty and is loaded over HTTP first (not a start time).
    let t0 = Instant::now();
    server.start()?;
    let mut cold = Vec::new();
    if server.file_backed() {
        let first = wait_ready(server, &c, n, t0, start_limit)?;
        cold.push(first);
        note(
            server,
            n,
            &format!("up in {first:.0} ms at {}", server.base),
        );
    } else {
        let pid = server.pid();
        let alive = move || fs::metadata(format!("/proc/{pid}")).is_ok();
        let loaded = rustical::load(&c, &server.base, ds, alive)
            .map_err(|e| format!("{e}\n{}", server.log_tail()))?;
        note(
            server,
            n,
            &format!(
                "loaded {n} objects over HTTP in {loaded:.0} ms at {}",
                server.base
            ),
        );
    }
    let url = server.cal_url();

    // Queries. The first request probes whether the server answers it at all
    // (a refusal is reported as n/a) and counts as the first warm-up.
    let week = query_body(None, WEEK);
    let expand = query_body(Some(YEAR), YEAR);
    let fb = freebusy_body();
    let count_responses = |b: &str| count_elements(b, "response");
    let count_instances = |b: &str| b.matches("BEGIN:VEVENT").count();
    let queries: [Query; 4] = [
        Query(
            "week",
            "one-week query",
            "REPORT",
            &week,
            207,
            &count_responses,
            "objects",
        ),
        Query(
            "expand",
            "expand query",
            "REPORT",
            &expand,
            207,
            &count_instances,
            "instances",
        ),
        Query(
            "freebusy",
            "free-busy",
            "REPORT",
            &fb,
            200,
            &freebusy_periods,
            "busy periods",
        ),
        Query(
            "propfind",
            "PROPFIND Depth 1",
            "PROPFIND",
            PROPFIND_BODY,
            207,
            &count_responses,
            "responses",
        ),
    ];
    time_queries(server, &c, &url, n, plan, &queries, &mut out)?;
    record_rss(server, n, &mut out, "rss");

    // sync-collection after one change made over HTTP.
    let mut token = sync_token(&c, &url)?;
    let mut round = 0usize;
    let mut put_times = Vec::new();
    let (s, k) = repeat(&plan, || {
        round += 1;
        let idx = ds.singles[round % ds.singles.len()];
        let name = object_name(idx);
        let text = server.object_source(idx)?;
        let body = edited(&text, &format!("sync{round}"));
        let (pt, r) = timed(|| send(&c, "PUT", &format!("{url}{name}"), None, Some(&body), ICS))?;
        expect(&r, &[201, 204], "PUT")?;
        put_times.push(pt);
        let (t, r) = timed(|| xml_report(&c, &url, &sync_body(&token)))?;
        expect(&r, &[207], "sync-collection")?;
        if !r.body.contains(&name) {
            return Err(format!("sync-collection after PUT does not list {name}"));
        }
        token = element_text(&r.body, "sync-token").ok_or("sync answer without token")?;
        Ok((t, count_elements(&r.body, "response")))
    })?;
    note(
        server,
        n,
        &format!(
            "sync after one change: median {:.2} ms ({k} responses)",
            s.median
        ),
    );
    out.vals.insert("sync", Val::Ms(s));
    out.vals.insert("put1", Val::Ms(stat(put_times)));
    out.sizes.insert("sync", k);

    // A file written on disk by another program → visible in sync-collection,
    // with a client polling every 5 ms, then one polling every 50 ms.
    for (key, poll, first) in [("latency", 5, 0), ("latency50", 50, 100)] {
        let Some(dir) = server.cal_dir() else {
            out.vals.insert(key, Val::Na("n/a (no files)".into()));
            continue;
        };
        let v = disk_latency(&c, &url, &dir, ds, &mut token, plan, poll, first)?;
        note(
            server,
            n,
            &format!("disk → sync, polling every {poll} ms: {}", describe(&v)),
        );
        out.vals.insert(key, v);
    }

    // GET throughput.
    let (rate, done) = throughput(&url, plan.gets, plan.threads, plan.cap, move |_, k| {
        let name = object_name((k * 7919) % n);
        ("GET", name, None)
    })?;
    note(server, n, &format!("GET: {rate:.0}/s ({done} requests)"));
    out.vals.insert("get_rate", Val::Rate(rate, done));

    // PUT throughput: updates of distinct existing objects.
    let bodies: Arc<Vec<(String, String)>> = Arc::new(
        ds.singles
            .iter()
            .rev()
            .skip(100)
            .take(plan.puts)
            .map(|&i| {
                let text = server.object_source(i).unwrap_or_default();
                (object_name(i), edited(&text, "put"))
            })
            .collect(),
    );
    let puts = bodies.len();
    let (rate, done) = throughput(&url, puts, plan.threads, plan.cap, move |_, k| {
        let (name, body) = &bodies[k];
        ("PUT", name.clone(), Some(body.clone()))
    })?;
    note(server, n, &format!("PUT: {rate:.1}/s ({done} requests)"));
    out.vals.insert("put_rate", Val::Rate(rate, done));

    // Durable PUT rate with 1 and with 8 clients, on objects not yet edited.
    // (Servers without files get the same figure from `figures::run`.)
    let mut offset = 100 + plan.puts;
    let rounds = match server.cal_dir() {
        Some(dir) => vec![("put_rate1", 1, dir.clone()), ("put_rate8", 8, dir)],
        None => Vec::new(),
    };
    for (key, clients, dir) in rounds {
        let v = put_rounds(&url, &dir, ds, plan, clients, &mut offset)?;
        note(
            server,
            n,
            &format!("PUT, {clients} clients: {}", cell(Some(&v))),
        );
        out.vals.insert(key, v);
    }

    // The whole calendar as one VCALENDAR (webcal subscription).
    let (s, k) = repeat(&plan, || {
        let (t, r) = timed(|| send(&c, "GET", &url, None, None, ICS))?;
        expect(&r, &[200], "GET of the calendar")?;
        if !r.body.ends_with("END:VCALENDAR\r\n") {
            return Err("calendar export does not end with END:VCALENDAR".into());
        }
        Ok((t, r.body.matches("\nUID:").count()))
    })?;
    let rate = k as f64 / (s.median / 1000.0);
    note(
        server,
        n,
        &format!(
            "export: median {:.0} ms, {k} UIDs, {rate:.0} objects/s",
            s.median
        ),
    );
    out.vals.insert("export", Val::Ms(s));
    out.vals.insert("export_rate", Val::Rate(rate, k));
    out.sizes.insert("export", k);

    figures::run(server, &c, ds, plan, &mut out)?;

    record_rss(server, n, &mut out, "rss_end");

    // Restarts: without the cache, then with it.
    let phase = Instant::now();
    for _ in 1..plan.starts {
        if phase.elapsed() > plan.cap * 2 || !server.file_backed() {
            break;
        }
        server.stop();
        server.clear_cache();
        let t0 = Instant::now();
        server.start()?;
        cold.push(wait_ready(server, &c, n, t0, start_limit)?);
    }
    let mut warm = Vec::new();
    for _ in 0..plan.starts {
        if phase.elapsed() > plan.cap * 2 && !warm.is_empty() {
            break;
        }
        server.stop();
        let t0 = Instant::now();
        server.start()?;
        warm.push(wait_ready(server, &c, n, t0, start_limit)?);
    }
    server.stop();
    let ws = stat(warm);
    note(server, n, &format!("warm start {:.0} ms", ws.median));
    let cold = if cold.is_empty() {
        Val::Na("n/a (loaded over HTTP)".into())
    } else {
        Val::Ms(stat(cold))
    };
    out.vals.insert("cold", cold);
    out.vals.insert("warm", Val::Ms(ws));
    Ok(out)
}

fn describe(v: &Val) -> String {
    match v {
        Val::Ms(s) => format!(
            "median {:.1} ms, p90 {:.1} ms, worst {:.1} ms",
            s.median, s.p90, s.max
        ),
        other => cell(Some(other)),
    }
}

/// Writes files into the calendar directory as an editor would (hidden temp
/// file, then rename) and polls sync-collection every `poll` ms until each
/// shows up. A sample not seen within 2 s counts as missed; after two misses
/// the phase stops. Sample numbers start at `first` (file names differ).
#[allow(clippy::too_many_arguments)]
fn disk_latency(
    c: &Client,
    url: &str,
    dir: &Path,
    ds: &DataSet,
    token: &mut String,
    plan: Plan,
    poll: u64,
    first: usize,
) -> Res<Val> {
    let mut times = Vec::new();
    let mut missed = 0;
    let started = Instant::now();
    let mut rng = Rng(ds.n as u64 + first as u64);
    let poll_limit = Duration::from_secs(2);
    for k in first..first + plan.latency_samples {
        let (name, text) = if k % 2 == 0 {
            let name = format!("hand-{k}.ics");
            let idx = ds.singles[k % ds.singles.len()];
            let src = fs::read_to_string(dir.join(object_name(idx))).map_err(|e| e.to_string())?;
            let uid_old = format!("bench-{idx:06}@davdir.bench");
            (
                name,
                src.replace(&uid_old, &format!("hand-{k}@davdir.bench")),
            )
        } else {
            let name = object_name(ds.singles[ds.singles.len() - 1 - k % ds.singles.len()]);
            let src = fs::read_to_string(dir.join(&name)).map_err(|e| e.to_string())?;
            (name, edited(&src, &format!("hand{k}")))
        };
        let tmp = dir.join(format!(".{name}.tmp"));
        let t0 = Instant::now();
        fs::write(&tmp, &text).map_err(|e| e.to_string())?;
        fs::rename(&tmp, dir.join(&name)).map_err(|e| e.to_string())?;
        let mut seen = false;
        while t0.elapsed() < poll_limit {
            let r = xml_report(c, url, &sync_body(token))?;
            expect(&r, &[207], "sync-collection")?;
            if r.body.contains(&name) {
                times.push(ms(t0.elapsed()));
                *token = element_text(&r.body, "sync-token").ok_or("sync answer without token")?;
                seen = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(poll));
        }
        if !seen {
            missed += 1;
            // Stop polling and let the server catch up, then carry on from
            // a token that includes the change.
            std::thread::sleep(Duration::from_millis(500));
            *token = sync_token(c, url)?;
            if missed >= 2 {
                break;
            }
        }
        if started.elapsed() > plan.cap {
            break;
        }
        std::thread::sleep(Duration::from_millis(20 + rng.below(40)));
    }
    if missed > 0 {
        return Ok(Val::Na(format!(
            "not seen within 2 s while polling every {poll} ms ({missed} of {} samples)",
            missed + times.len()
        )));
    }
    Ok(Val::Ms(stat(times)))
}

/// Rounds of `plan.puts` durable PUTs (edits of distinct existing objects)
/// from `clients` clients; the median rate. `offset` moves past the objects
/// used, so no round edits an object twice.
fn put_rounds(
    url: &str,
    dir: &Path,
    ds: &DataSet,
    plan: Plan,
    clients: usize,
    offset: &mut usize,
) -> Res<Val> {
    const ROUNDS: usize = 5;
    let mut rates = Vec::new();
    let mut done = 0;
    for _ in 0..ROUNDS {
        let bodies: Vec<(String, String)> = ds
            .singles
            .iter()
            .rev()
            .skip(*offset)
            .take(plan.puts)
            .map(|&i| {
                let name = object_name(i);
                let text = fs::read_to_string(dir.join(&name)).unwrap_or_default();
                (name, edited(&text, "rate"))
            })
            .collect();
        if bodies.len() < plan.puts {
            break; // too few objects left for a full round
        }
        *offset += bodies.len();
        let bodies = Arc::new(bodies);
        let (rate, k) = throughput(url, bodies.len(), clients, plan.cap, move |_, k| {
            let (name, body) = &bodies[k];
            ("PUT", name.clone(), Some(body.clone()))
        })?;
        rates.push(rate);
        done += k;
    }
    if rates.is_empty() {
        return Ok(Val::Na("n/a (too few objects)".into()));
    }
    rates.sort_by(f64::total_cmp);
    Ok(Val::Rate(rates[rates.len() / 2], done))
}

/// `total` requests from `threads` clients; `make(thread, k)` gives request k.
/// Returns (requests per second, requests done); stops early at `cap`.
fn throughput(
    url: &str,
    total: usize,
    threads: usize,
    cap: Duration,
    make: impl Fn(usize, usize) -> (&'static str, String, Option<String>) + Send + Sync + 'static,
) -> Res<(f64, usize)> {
    throughput_as(url, total, threads, cap, ICS, make)
}

/// [`throughput`] with bodies of media type `ctype`.
fn throughput_as(
    url: &str,
    total: usize,
    threads: usize,
    cap: Duration,
    ctype: &'static str,
    make: impl Fn(usize, usize) -> (&'static str, String, Option<String>) + Send + Sync + 'static,
) -> Res<(f64, usize)> {
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (next, done, make, url) =
                (next.clone(), done.clone(), make.clone(), url.to_string());
            std::thread::spawn(move || -> Res<()> {
                let c = client();
                loop {
                    let k = next.fetch_add(1, Ordering::SeqCst);
                    if k >= total || started.elapsed() > cap {
                        return Ok(());
                    }
                    let (method, name, body) = make(t, k);
                    let r = send(
                        &c,
                        method,
                        &format!("{url}{name}"),
                        None,
                        body.as_deref(),
                        ctype,
                    )?;
                    expect(&r, &[200, 201, 204], method)?;
                    done.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for h in handles {
        h.join()
            .map_err(|_| "client thread panicked".to_string())??;
    }
    let secs = started.elapsed().as_secs_f64();
    let done = done.load(Ordering::SeqCst);
    Ok((done as f64 / secs, done))
}

// ---------------------------------------------------------------- report

fn fmt_ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn cell(v: Option<&Val>) -> String {
    match v {
        None => "—".into(),
        Some(Val::Ms(s)) => format!("{} ms", fmt_ms(s.median)),
        Some(Val::Rate(r, _)) => format!("{r:.0} /s"),
        Some(Val::Mb(m)) => format!("{m:.1} MB"),
        Some(Val::Na(t)) => t.clone(),
    }
}

fn spread(v: Option<&Val>) -> String {
    match v {
        Some(Val::Ms(s)) if s.n > 1 => format!("{} / {} (n={})", fmt_ms(s.p90), fmt_ms(s.max), s.n),
        Some(Val::Ms(s)) => format!("n={}", s.n),
        Some(Val::Rate(_, done)) => format!("{done} requests"),
        _ => String::new(),
    }
}

/// How many times better davdir is (>1: davdir faster / higher / smaller).
fn advantage(ours: Option<&Val>, peer: Option<&Val>) -> String {
    let r = match (ours, peer) {
        (Some(Val::Ms(a)), Some(Val::Ms(b))) => b.median / a.median,
        (Some(Val::Rate(a, _)), Some(Val::Rate(b, _))) => a / b,
        (Some(Val::Mb(a)), Some(Val::Mb(b))) => b / a,
        _ => return "—".into(),
    };
    if r >= 10.0 {
        format!("{r:.0}×")
    } else {
        format!("{r:.1}×")
    }
}

struct Run {
    n: usize,
    ds: DataSet,
    ours: Outcome,
    /// Each peer asked for, by name: its outcome, or None when skipped.
    peers: Vec<(&'static str, Option<Result<Outcome, String>>)>,
}

fn report(runs: &[Run], opts: &Opts) -> String {
    let mut md = String::new();
    for run in runs {
        let ds = &run.ds;
        writeln!(
            md,
            "\n### {} objects ({} recurring, {} VTODOs, {} single VEVENTs; {} with TZID=Europe/Berlin)\n",
            run.n,
            ds.recurring,
            ds.todos,
            ds.singles.len(),
            ds.berlin
        )
        .unwrap();
        let peers: Vec<(&str, &Outcome)> = run
            .peers
            .iter()
            .filter_map(|(name, r)| match r {
                Some(Ok(p)) => Some((*name, p)),
                _ => None,
            })
            .collect();
        let mut head = String::from("| | davdir median | davdir p90 / max |");
        let mut rule = String::from("|---|---:|---:|");
        for (name, _) in &peers {
            write!(
                head,
                " {name} median | {name} p90 / max | davdir ÷ {name} |"
            )
            .unwrap();
            rule.push_str("---:|---:|---:|");
        }
        writeln!(md, "{head}\n{rule}").unwrap();
        for (key, label) in METRICS.iter().chain(figures::METRICS) {
            let a = run.ours.vals.get(key);
            let mut line = format!("| {label} | {} | {} |", cell(a), spread(a));
            for (_, p) in &peers {
                let b = p.vals.get(key);
                write!(line, " {} | {} | {} |", cell(b), spread(b), advantage(a, b)).unwrap();
            }
            writeln!(md, "{line}").unwrap();
        }
        let names: String = peers.iter().map(|(name, _)| format!(" / {name}")).collect();
        let mut sizes = format!("\nResult sizes (davdir{names}): ");
        for (key, what) in [
            ("week", "week query responses"),
            ("expand", "expanded VEVENTs"),
            ("freebusy", "busy periods"),
            ("propfind", "PROPFIND responses"),
            ("multiget", "multiget responses"),
            ("sync0", "initial sync responses"),
        ] {
            let size = |o: &Outcome| {
                o.sizes
                    .get(key)
                    .map(|v| v.to_string())
                    .unwrap_or("—".into())
            };
            write!(sizes, "{what} {}", size(&run.ours)).unwrap();
            for (_, p) in &peers {
                write!(sizes, " / {}", size(p)).unwrap();
            }
            sizes.push_str("; ");
        }
        writeln!(md, "{}", sizes.trim_end_matches("; ")).unwrap();
        for (name, r) in &run.peers {
            if let Some(Err(e)) = r {
                writeln!(md, "\n{name} failed: {e}").unwrap();
            }
        }
    }
    let (ours, peer) = (
        Plan::for_server(false, opts.quick),
        Plan::for_server(true, opts.quick),
    );
    writeln!(
        md,
        "\nMedians over {} runs ({} warm-up) for davdir{}; throughput with {} concurrent \
         clients ({} GETs, {} PUTs) unless the row says otherwise; \"÷\" is how many times \
         better davdir is (peer time ÷ davdir time, davdir rate ÷ peer rate, peer RSS ÷ davdir \
         RSS). Start times include process start; \"cold\" means no server cache (the OS page \
         cache is warm).",
        ours.runs,
        ours.warmup,
        if opts.peers.is_empty() {
            String::new()
        } else {
            format!(
                ", {} runs ({} warm-up) for each peer, each phase capped at {} s",
                peer.runs,
                peer.warmup,
                peer.cap.as_secs()
            )
        },
        ours.threads,
        ours.gets,
        ours.puts,
    )
    .unwrap();
    md.push_str(&targets(runs));
    md
}

/// The targets from the issue tracker (issues 3 and 4; see docs/benchmarks.md),
/// checked against davdir's figures.
fn targets(runs: &[Run]) -> String {
    let mut md = String::from("\n#### Targets\n\n");
    let med = |run: &Run, key: &str| match run.ours.vals.get(key) {
        Some(Val::Ms(s)) => Some(*s),
        _ => None,
    };
    let mut line = |ok: bool, what: String| {
        writeln!(md, "- {} {what}", if ok { "met:" } else { "MISSED:" }).unwrap();
    };
    for run in runs {
        let n = human(run.n);
        if let Some(s) = med(run, "week") {
            let limit = match run.n {
                10_000 => Some(10.0),
                100_000 => Some(100.0),
                _ => None,
            };
            if let Some(l) = limit {
                line(
                    s.median < l,
                    format!("one-week query at {n} < {l} ms: {} ms", fmt_ms(s.median)),
                );
            }
        }
        if let Some(s) = med(run, "sync") {
            line(
                s.median < 5.0,
                format!(
                    "sync after one change at {n} < 5 ms: {} ms",
                    fmt_ms(s.median)
                ),
            );
        }
        for (key, poll) in [("latency", 5), ("latency50", 50)] {
            match run.ours.vals.get(key) {
                Some(Val::Ms(s)) => line(
                    s.median < 300.0 && s.max < 1000.0,
                    format!(
                        "disk → sync at {n}, polling every {poll} ms: median {} ms (< 300), worst {} ms (< 1000)",
                        fmt_ms(s.median),
                        fmt_ms(s.max)
                    ),
                ),
                Some(Val::Na(t)) => line(false, format!("disk → sync at {n}: {t}")),
                _ => {}
            }
        }
        if let Some(Val::Rate(r, _)) = run.ours.vals.get("put_rate8") {
            if run.n == 10_000 {
                line(
                    *r >= 1000.0,
                    format!("durable PUT/s with 8 clients at {n} >= 1,000: {r:.0}"),
                );
            }
        }
        if run.n == 100_000 {
            if let Some(s) = med(run, "export") {
                line(
                    s.median < 2000.0,
                    format!("webcal export at 100k < 2 s: {} ms", fmt_ms(s.median)),
                );
            }
            if let Some(Val::Mb(mb)) = run.ours.vals.get("rss") {
                line(*mb < 40.0, format!("RSS at 100k < 40 MB: {mb:.1} MB"));
            }
            if let Some(s) = med(run, "cold") {
                line(
                    s.median < 5000.0,
                    format!("cold start at 100k < 5 s: {} ms", fmt_ms(s.median)),
                );
            }
            if let Some(s) = med(run, "warm") {
                line(
                    s.median < 1000.0,
                    format!("warm start at 100k < 1 s: {} ms", fmt_ms(s.median)),
                );
            }
        }
    }
    md
}

// ---------------------------------------------------------------- main

/// Prepares a peer's store for `n` objects (the same objects, generated
/// afresh, since davdir's run edited some) and measures it.
fn run_peer(server: &mut Server, n: usize, ds: &DataSet, quick: bool) -> Res<Outcome> {
    match server.flavor {
        Flavor::Davdir => return Err("davdir is not a peer".into()),
        Flavor::Radicale => {
            let cal = server.cal_dir().expect("Radicale keeps files");
            generate(&cal, n)?;
            let _ = fs::remove_file(cal.join("displayname"));
            fs::write(
                cal.join(".Radicale.props"),
                r#"{"tag": "VCALENDAR", "D:displayname": "Benchmark"}"#,
            )
            .map_err(|e| e.to_string())?;
        }
        Flavor::Rustical => {
            let config = rustical::write_config(&server.root, 0)?;
            set_password(&rustical::create_user(&server.bin, &config)?);
        }
    }
    run_server(server, ds, Plan::for_server(true, quick))
}

fn main() {
    let opts = parse_opts();
    if !opts.davdir.is_file() {
        eprintln!(
            "{} missing: build it with `cargo build --release` (cargo bench normally does)",
            opts.davdir.display()
        );
        std::process::exit(2);
    }
    for (_, p) in &opts.peers {
        if !p.is_file() {
            eprintln!("peer binary {} not found", p.display());
            std::process::exit(2);
        }
    }
    if let Some(data) = &opts.generate {
        let n = opts.sizes.iter().copied().max().unwrap_or(1000);
        let dir = data.join(USER).join(CAL);
        match generate(&dir, n) {
            Ok(_) => eprintln!("wrote {n} objects to {}", dir.display()),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1)
            }
        }
        return;
    }
    let tmp = match &opts.tmp {
        Some(d) => tempfile::Builder::new()
            .prefix("davdir-bench-")
            .tempdir_in(d),
        None => tempfile::Builder::new().prefix("davdir-bench-").tempdir(),
    }
    .expect("temp dir");
    eprintln!(
        "davdir bench: sizes {:?}{}, data in {}",
        opts.sizes,
        if opts.quick { " (quick)" } else { "" },
        tmp.path().display()
    );
    let mut runs = Vec::new();
    let mut contact_run = None;
    for &n in &opts.sizes {
        let root = tmp.path().join(format!("n{n}"));
        let data = root.join("davdir");
        let t = Instant::now();
        let ds = match generate(&data.join(USER).join(CAL), n) {
            Ok(ds) => ds,
            Err(e) => {
                eprintln!("generating {n} objects failed: {e}");
                let _ = fs::remove_dir_all(tmp.path());
                std::process::exit(1);
            }
        };
        eprintln!(
            "generated {n} objects in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        if opts.only_contacts {
            contacts::at_largest(&opts, &root, &data, n, &mut contact_run);
            let _ = fs::remove_dir_all(&root);
            continue;
        }
        let mut ours = Server {
            flavor: Flavor::Davdir,
            bin: opts.davdir.clone(),
            root: data.clone(),
            log: root.join("davdir.log"),
            child: None,
            _stdout: None,
            base: String::new(),
        };
        let ours_out = match run_server(&mut ours, &ds, Plan::for_server(false, opts.quick)) {
            Ok(o) => o,
            Err(e) => {
                eprintln!(
                    "davdir at {n} failed: {e}\n--- log tail ---\n{}",
                    ours.log_tail()
                );
                ours.stop();
                let _ = fs::remove_dir_all(tmp.path()); // exit() skips destructors
                std::process::exit(1);
            }
        };
        drop(ours);
        let mut peers = Vec::new();
        for (flavor, bin) in &opts.peers {
            let mut server = Server {
                flavor: *flavor,
                bin: bin.clone(),
                root: root.join("peer"),
                log: root.join("peer.log"),
                child: None,
                _stdout: None,
                base: String::new(),
            };
            let name = server.name();
            if n > opts.peer_max {
                eprintln!(
                    "skipping {name} at {n} objects (--peer-max {})",
                    opts.peer_max
                );
                peers.push((name, None));
                continue;
            }
            let _ = fs::remove_dir_all(&server.root);
            let _ = fs::remove_file(&server.log);
            let result = run_peer(&mut server, n, &ds, opts.quick);
            if let Err(e) = &result {
                eprintln!(
                    "{name} at {n} failed: {e}\n--- log tail ---\n{}",
                    server.log_tail()
                );
            }
            drop(server);
            set_password("");
            peers.push((name, Some(result)));
        }
        contacts::at_largest(&opts, &root, &data, n, &mut contact_run);
        let _ = fs::remove_dir_all(&root);
        runs.push(Run {
            n,
            ds,
            ours: ours_out,
            peers,
        });
    }
    let mut md = if runs.is_empty() {
        String::new()
    } else {
        report(&runs, &opts)
    };
    if let Some(run) = &contact_run {
        md.push_str(&contacts::contact_report(run));
    }
    println!("{md}");
    if let Some(path) = &opts.out {
        if let Err(e) = fs::write(path, &md) {
            eprintln!("cannot write {}: {e}", path.display());
        }
    }
}
