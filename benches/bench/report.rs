//! The Markdown output: the per-size tables with davdir beside its peers, and
//! the list of targets met or missed.

use super::*;

pub(crate) fn fmt_ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

pub(crate) fn cell(v: Option<&Val>) -> String {
    match v {
        None => "—".into(),
        Some(Val::Ms(s)) => format!("{} ms", fmt_ms(s.median)),
        Some(Val::Rate(l)) => format!("{:.0} /s", l.rate),
        Some(Val::Mb(m)) => format!("{m:.1} MB"),
        Some(Val::Na(t)) => t.clone(),
    }
}

pub(crate) fn spread(v: Option<&Val>) -> String {
    match v {
        Some(Val::Ms(s)) if s.n > 1 => format!("{} / {} (n={})", fmt_ms(s.p90), fmt_ms(s.max), s.n),
        Some(Val::Ms(s)) => format!("n={}", s.n),
        Some(Val::Rate(l)) => l.describe(),
        _ => String::new(),
    }
}

/// How many times better davdir is (>1: davdir faster / higher / smaller).
pub(crate) fn advantage(ours: Option<&Val>, peer: Option<&Val>) -> String {
    let r = match (ours, peer) {
        (Some(Val::Ms(a)), Some(Val::Ms(b))) => b.median / a.median,
        (Some(Val::Rate(a)), Some(Val::Rate(b))) => a.rate / b.rate,
        (Some(Val::Mb(a)), Some(Val::Mb(b))) => b / a,
        _ => return "—".into(),
    };
    if r >= 10.0 {
        format!("{r:.0}×")
    } else {
        format!("{r:.1}×")
    }
}

pub(crate) struct Run {
    pub(crate) n: usize,
    pub(crate) ds: DataSet,
    pub(crate) ours: Outcome,
    /// Each peer asked for, by name: its outcome, or None when skipped.
    pub(crate) peers: Vec<(&'static str, Option<Result<Outcome, String>>)>,
}

pub(crate) fn report(runs: &[Run], opts: &Opts) -> String {
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
        for (key, label) in METRICS
            .iter()
            .chain(figures::METRICS)
            .chain(sharing::METRICS)
        {
            let a = run.ours.vals.get(key);
            // A phase left out by `--phases` has no row.
            if a.is_none() && peers.iter().all(|(_, p)| !p.vals.contains_key(key)) {
                continue;
            }
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
    md.push_str(&load_note());
    md.push_str(&targets(runs));
    md
}

/// The targets from the issue tracker (issues 3 and 4; see docs/benchmarks.md),
/// checked against davdir's figures.
pub(crate) fn targets(runs: &[Run]) -> String {
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
        for (owner, view, what) in sharing::RATIOS {
            if let (Some(o), Some(v)) = (med(run, owner), med(run, view)) {
                let ratio = v.median / o.median;
                line(
                    ratio <= sharing::MAX_RATIO,
                    format!(
                        "a sharee's {what} of the shared calendar at {n} costs <= {}× the \
                         owner's: {ratio:.2}× ({} ms ÷ {} ms)",
                        sharing::MAX_RATIO,
                        fmt_ms(v.median),
                        fmt_ms(o.median)
                    ),
                );
            }
        }
        if let Some(Val::Rate(Load { rate: r, .. })) = run.ours.vals.get("put_rate8") {
            if run.n == 10_000 {
                line(
                    *r >= 1000.0,
                    format!("durable PUT/s with 8 clients at {n} >= 1,000: {r:.0}"),
                );
            }
        }
        if let Some(s) = med(run, "sched_put") {
            if run.n == 10_000 {
                line(
                    s.median < 10.0,
                    format!(
                        "PUT with 3 local attendees at {n} < 10 ms: {} ms",
                        fmt_ms(s.median)
                    ),
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
            // Issue 23: an outside change shows within poll_interval + 1 s.
            if let Some(s) = med(run, "poll_round") {
                line(
                    s.max < 1000.0,
                    format!(
                        "watch = \"poll\" round at 100k < 1 s: worst {} ms",
                        fmt_ms(s.max)
                    ),
                );
            }
        }
    }
    md
}
