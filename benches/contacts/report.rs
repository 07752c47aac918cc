//! The Markdown section of the contact run: davdir beside the peer, result
//! sizes, and the issue 10 targets met or missed.

use super::*;

/// The Markdown section of the contact run, with the issue 10 targets.
pub fn contact_report(run: &ContactRun) -> String {
    let mut md = String::new();
    let b = &run.book;
    writeln!(
        md,
        "\n### {} contacts ({} vCard 3.0, {} 4.0; {} with a photo, {:.1} MB of photo data), \
         davdir also serving a calendar of {} objects\n",
        b.n,
        b.v3,
        b.n - b.v3,
        b.photos,
        b.photo_bytes as f64 / 1e6,
        run.cal_n
    )
    .unwrap();
    let peer = match &run.peer {
        Some(Ok(p)) => Some(p),
        _ => None,
    };
    if peer.is_some() {
        writeln!(md, "| | davdir median | davdir p90 / max | Radicale median | Radicale p90 / max | Radicale ÷ davdir |").unwrap();
        writeln!(md, "|---|---:|---:|---:|---:|---:|").unwrap();
    } else {
        writeln!(
            md,
            "| | davdir median | davdir p90 / max |\n|---|---:|---:|"
        )
        .unwrap();
    }
    for (key, label) in CONTACT_METRICS {
        let a = run.ours.vals.get(key);
        let mut line = format!("| {label} | {} | {} |", cell(a), spread(a));
        if let Some(p) = peer {
            let v = p.vals.get(key);
            write!(line, " {} | {} | {} |", cell(v), spread(v), advantage(a, v)).unwrap();
        }
        writeln!(md, "{line}").unwrap();
    }
    let mut sizes = String::from("\nResult sizes (davdir / Radicale): ");
    for (key, what) in [
        ("c_propfind", "PROPFIND responses".to_string()),
        ("c_multiget", "multiget responses".to_string()),
        ("c_query_fn", format!("FN contains {FN_NEEDLE:?}")),
        ("c_query_email", format!("EMAIL contains {EMAIL_NEEDLE:?}")),
    ] {
        let get = |o: Option<&Outcome>| {
            o.and_then(|o| o.sizes.get(key))
                .map(|v| v.to_string())
                .unwrap_or("—".into())
        };
        write!(sizes, "{what} {} / {}; ", get(Some(&run.ours)), get(peer)).unwrap();
    }
    writeln!(md, "{}", sizes.trim_end_matches("; ")).unwrap();
    md.push_str(&load_note());
    if let Some(Err(e)) = &run.peer {
        writeln!(md, "\nRadicale failed: {}", e.lines().next().unwrap_or("")).unwrap();
    }
    md.push_str("\n#### Targets (issue 10)\n\n");
    if let Some(p) = peer {
        for key in RATIO_KEYS {
            let label = CONTACT_METRICS.iter().find(|m| m.0 == *key).unwrap().1;
            let (a, v) = (run.ours.vals.get(key), p.vals.get(key));
            let ratio = match (a, v) {
                (Some(Val::Ms(a)), Some(Val::Ms(b))) => Some(b.median / a.median),
                (Some(Val::Rate(a)), Some(Val::Rate(b))) => Some(a.rate / b.rate),
                _ => None,
            };
            match ratio {
                Some(r) => writeln!(
                    md,
                    "- {} {label} ≥ 30× Radicale: {}",
                    if r >= 30.0 { "met:" } else { "MISSED:" },
                    advantage(a, v)
                ),
                None => writeln!(md, "- not measured: {label}: davdir {}", cell(a)),
            }
            .unwrap();
        }
    }
    if let Some(Val::Mb(mb)) = run.ours.vals.get("c_rss_end") {
        writeln!(
            md,
            "- {} peak RSS with {} calendar objects and {} contacts < 40 MB: {mb:.1} MB",
            if *mb < 40.0 { "met:" } else { "MISSED:" },
            run.cal_n,
            b.n
        )
        .unwrap();
    }
    md
}
