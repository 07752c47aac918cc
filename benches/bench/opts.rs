//! The bench's command line and how many repetitions each server gets
//! (`Plan`), kept apart so every phase reads one set of options.

use super::*;

pub(crate) struct Opts {
    pub(crate) sizes: Vec<usize>,
    /// Peer servers, each run after davdir on the same data.
    pub(crate) peers: Vec<(Flavor, PathBuf)>,
    pub(crate) peer_max: usize,
    pub(crate) quick: bool,
    pub(crate) davdir: PathBuf,
    pub(crate) tmp: Option<PathBuf>,
    pub(crate) out: Option<PathBuf>,
    /// Only write the data set (largest calendar, and the address book when
    /// `contacts` > 0) into this data dir and exit.
    pub(crate) generate: Option<PathBuf>,
    /// Contacts in the address book of the CardDAV phases (0: none).
    pub(crate) contacts: usize,
    /// Skip the calendar phases (the calendars are still generated and served).
    pub(crate) only_contacts: bool,
    /// The calendar phases run (`--phases`; all by default).
    pub(crate) phases: select::Phases,
}

pub(crate) fn usage() -> ! {
    eprintln!(
        "usage: cargo bench --bench bench -- [--sizes 1000,10000] [--quick] \
         [--peer radicale=BIN] [--peer rustical=BIN] [--peer-max N] [--davdir BIN] [--tmp DIR] [--out FILE] \
         [--generate DATA_DIR (write the largest calendar there, and the address book with --contacts, and exit)] \
         [--contacts N (an address book of N contacts, at the largest size)] \
         [--only-contacts (skip the calendar phases)] \
         [--phases LIST (only these calendar phases, comma-separated; see below)]"
    );
    eprintln!("phases:");
    for (name, what) in select::NAMES {
        eprintln!("  {name:<9} {what}");
    }
    std::process::exit(2)
}

pub(crate) fn parse_opts() -> Opts {
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
        phases: select::Phases::ALL,
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
            "--phases" => {
                o.phases = select::Phases::parse(&val()).unwrap_or_else(|e| {
                    eprintln!("{e}");
                    usage()
                })
            }
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
pub(crate) struct Plan {
    pub(crate) runs: usize,
    pub(crate) warmup: usize,
    /// Upper bound on the time one phase may take (warm-up included).
    pub(crate) cap: Duration,
    pub(crate) gets: usize,
    pub(crate) puts: usize,
    pub(crate) threads: usize,
    pub(crate) latency_samples: usize,
    /// Restarts measured for cold and for warm start (each).
    pub(crate) starts: usize,
}

impl Plan {
    /// Whether timing begun at `started` stops before its planned runs:
    /// past the cap, once at least one sample is timed.
    pub(crate) fn capped(&self, started: Instant, timed: usize) -> bool {
        started.elapsed() > self.cap && timed > 0
    }

    pub(crate) fn for_server(peer: bool, quick: bool) -> Plan {
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
                // At ~10k GETs/s, 500 would be a 50 ms window: noise.
                gets: 2000,
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
