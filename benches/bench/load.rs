//! Load phases: latency of a file written on disk reaching sync-collection,
//! and rounds of durable PUTs from several clients at once (the client that
//! drives them is in `throughput.rs`).

use super::*;

pub(crate) fn describe(v: &Val) -> String {
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
pub(crate) fn disk_latency(
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
pub(crate) fn put_rounds(
    url: &str,
    dir: &Path,
    ds: &DataSet,
    plan: Plan,
    clients: usize,
    offset: &mut usize,
) -> Res<Val> {
    const ROUNDS: usize = 5;
    let mut rates: Vec<Load> = Vec::new();
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
        let load = throughput(url, bodies.len(), clients, plan.cap, move |_, k| {
            let (name, body) = &bodies[k];
            ("PUT", name.clone(), Some(body.clone()))
        })?;
        rates.push(load);
    }
    if rates.is_empty() {
        return Ok(Val::Na("n/a (too few objects)".into()));
    }
    // The median round's rate, with the requests, retries and reconnects
    // of all rounds.
    let sum = |f: fn(&Load) -> usize| rates.iter().map(f).sum::<usize>();
    let all = Load {
        done: sum(|l| l.done),
        retries: sum(|l| l.retries),
        connect_retries: sum(|l| l.connect_retries),
        reopened: sum(|l| l.reopened),
        ..rates[0]
    };
    rates.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    Ok(Val::Rate(Load {
        rate: rates[rates.len() / 2].rate,
        ..all
    }))
}
