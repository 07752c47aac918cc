//! Load phases: latency of a file written on disk reaching sync-collection,
//! and durable PUT and GET throughput from several clients at once.

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
pub(crate) fn throughput(
    url: &str,
    total: usize,
    threads: usize,
    cap: Duration,
    make: impl Fn(usize, usize) -> (&'static str, String, Option<String>) + Send + Sync + 'static,
) -> Res<(f64, usize)> {
    throughput_as(url, total, threads, cap, ICS, make)
}

/// [`throughput`] with bodies of media type `ctype`.
///
/// Every client connection is driven from one thread by one async client:
/// 64 blocking clients each ran a runtime thread of their own and together
/// took more CPU than the server they measured, so the figure was the load
/// generator's. Connections are opened inside the timed window, as before.
pub(crate) fn throughput_as(
    url: &str,
    total: usize,
    threads: usize,
    cap: Duration,
    ctype: &'static str,
    make: impl Fn(usize, usize) -> (&'static str, String, Option<String>) + Send + Sync + 'static,
) -> Res<(f64, usize)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .pool_max_idle_per_host(threads)
        .build()
        .map_err(|e| e.to_string())?;
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let password = password();
    rt.block_on(async {
        let started = Instant::now();
        let mut clients: tokio::task::JoinSet<Res<()>> = tokio::task::JoinSet::new();
        for t in 0..threads {
            let (c, next, done, make, url, password) = (
                c.clone(),
                next.clone(),
                done.clone(),
                make.clone(),
                url.to_string(),
                password.clone(),
            );
            clients.spawn(async move {
                loop {
                    let k = next.fetch_add(1, Ordering::SeqCst);
                    if k >= total || started.elapsed() > cap {
                        return Ok(());
                    }
                    let (method, name, body) = make(t, k);
                    let m = Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
                    let target = format!("{url}{name}");
                    let mut rb = c.request(m, &target).basic_auth(USER, Some(&password));
                    if let Some(b) = body {
                        rb = rb.header("Content-Type", ctype).body(b);
                    }
                    let resp = rb
                        .send()
                        .await
                        .map_err(|e| format!("{method} {target}: {e}"))?;
                    let status = resp.status().as_u16();
                    let body = resp
                        .text()
                        .await
                        .map_err(|e| format!("{method} {target}: body: {e}"))?;
                    expect(&Reply { status, body }, &[200, 201, 204], method)?;
                    done.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        while let Some(joined) = clients.join_next().await {
            joined.map_err(|_| "client task panicked".to_string())??;
        }
        let secs = started.elapsed().as_secs_f64();
        let done = done.load(Ordering::SeqCst);
        Ok((done as f64 / secs, done))
    })
}
