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
//! cargo bench --bench bench -- --sizes 100000 [--contacts 10000] --generate DATA_DIR   # data only
//! cargo bench --bench bench -- --sizes 100000 --contacts 10000 [--only-contacts] [--peer ..]
//! cargo bench --bench bench -- --quick --sizes 10000 --phases sharing,schedule   # some phases
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
#[path = "bench/data.rs"]
mod data;
#[path = "bench/direct.rs"]
mod direct;
#[path = "bench/figures.rs"]
mod figures;
#[path = "bench/http.rs"]
mod http;
#[path = "bench/interleaved.rs"]
mod interleaved;
#[path = "bench/load.rs"]
mod load;
#[path = "bench/opts.rs"]
mod opts;
#[path = "bench/phases.rs"]
mod phases;
#[path = "bench/poll.rs"]
mod poll;
#[path = "bench/report.rs"]
mod report;
#[path = "peers/rustical.rs"]
mod rustical;
#[path = "bench/schedule.rs"]
mod schedule;
#[path = "bench/select.rs"]
mod select;
#[path = "bench/server.rs"]
mod server;
#[path = "bench/sharing.rs"]
mod sharing;
#[path = "bench/stats.rs"]
mod stats;
#[path = "bench/throughput.rs"]
mod throughput;

use data::*;
use http::*;
use load::*;
use opts::*;
use phases::*;
use report::*;
use server::*;
use stats::*;
use throughput::*;

type Res<T> = Result<T, String>;

const USER: &str = "bench";
const CAL: &str = "cal";

// Query windows (the data spans 2025-01-01 .. 2027-12-31).
const WEEK: (&str, &str) = ("20260302T000000Z", "20260309T000000Z");
const YEAR: (&str, &str) = ("20260101T000000Z", "20270101T000000Z");
const MONTH: (&str, &str) = ("20260301T000000Z", "20260401T000000Z");
/// Prepares a peer's store for `n` objects (the same objects, generated
/// afresh, since davdir's run edited some) and measures it.
fn run_peer(
    server: &mut Server,
    n: usize,
    ds: &DataSet,
    quick: bool,
    phases: select::Phases,
) -> Res<Outcome> {
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
    run_server(server, ds, Plan::for_server(true, quick), phases)
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
        let written = generate(&dir, n).and_then(|_| {
            eprintln!("wrote {n} objects to {}", dir.display());
            if opts.contacts > 0 {
                let book = contacts::write_book(data, opts.contacts)?;
                eprintln!(
                    "wrote {} contacts ({} with photos) to {}",
                    book.n,
                    book.photos,
                    data.join(USER).join(contacts::BOOK).display()
                );
            }
            Ok(())
        });
        if let Err(e) = written {
            eprintln!("{e}");
            std::process::exit(1)
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
        let ours_out = match run_server(
            &mut ours,
            &ds,
            Plan::for_server(false, opts.quick),
            opts.phases,
        ) {
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
            let result = run_peer(&mut server, n, &ds, opts.quick, opts.phases);
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
