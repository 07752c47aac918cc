//! The calendar phases run against one server: the queries CalDAV clients
//! make, sync and cold/warm start, collected into one `Outcome`.

use super::*;

pub(crate) const METRICS: &[(&str, &str)] = &[
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
    (
        "poll_round",
        "one round of watch = \"poll\" (a stat per object)",
    ),
    (
        "sched_put",
        "PUT of a new event with 3 local attendees (invitations delivered)",
    ),
    ("rss", "peak RSS (VmHWM) after the queries"),
    (
        "rss_end",
        "peak RSS after all phases (incl. 4-client GET/PUT)",
    ),
];

#[derive(Default)]
pub(crate) struct Outcome {
    pub(crate) vals: BTreeMap<&'static str, Val>,
    /// Result sizes (objects / instances / periods) as a sanity check.
    pub(crate) sizes: BTreeMap<&'static str, usize>,
}

pub(crate) fn note(server: &Server, n: usize, msg: &str) {
    eprintln!("[{} {}] {msg}", server.name(), human(n));
}

pub(crate) fn human(n: usize) -> String {
    if n >= 1000 && n.is_multiple_of(1000) {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

/// Records the server's VmHWM so far under `key`.
pub(crate) fn record_rss(server: &Server, n: usize, out: &mut Outcome, key: &'static str) {
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
pub(crate) fn wait_ready(
    server: &mut Server,
    c: &Client,
    n: usize,
    t0: Instant,
    limit: Duration,
) -> Res<f64> {
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

pub(crate) fn sync_token(c: &Client, url: &str) -> Res<String> {
    let r = send(c, "PROPFIND", url, Some("0"), Some(TOKEN_BODY), XML)?;
    expect(&r, &[207], "PROPFIND sync-token")?;
    element_text(&r.body, "sync-token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| "no sync-token property".to_string())
}

/// A variant of an object's text with a new summary (same UID and times).
pub(crate) fn edited(text: &str, tag: &str) -> String {
    text.replacen("SUMMARY:", &format!("SUMMARY:{tag} "), 1)
}

/// A measured request: result key, label, method, body, expected status,
/// result-size counter and its unit.
pub(crate) struct Query<'a>(
    pub(crate) &'static str,
    pub(crate) &'a str,
    pub(crate) &'a str,
    pub(crate) &'a str,
    pub(crate) u16,
    pub(crate) &'a dyn Fn(&str) -> usize,
    pub(crate) &'a str,
);

/// Times each REPORT/PROPFIND of `queries` (Depth 1 on `url`) on one
/// server (`interleaved::time_in_turns` with it alone).
pub(crate) fn time_queries(
    server: &Server,
    c: &Client,
    url: &str,
    n: usize,
    plan: Plan,
    queries: &[Query],
    out: &mut Outcome,
) -> Res<()> {
    let mut alone = [interleaved::Contestant::new(
        server,
        url.to_string(),
        n,
        plan,
        out,
    )];
    interleaved::time_in_turns(c, &mut alone, queries);
    match alone[0].failed.take() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The "sync after one change" phase: each round PUTs one object (its name
/// and body from `next(round)`), then asks sync-collection for the changes
/// since the last token and checks the object is listed. The sync times go
/// under `sync_key` (with the response count), the PUT times under `put_key`.
pub(crate) struct PutThenSync {
    pub(crate) content_type: &'static str,
    pub(crate) sync_key: &'static str,
    pub(crate) put_key: &'static str,
}

impl PutThenSync {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn time(
        &self,
        server: &Server,
        c: &Client,
        url: &str,
        n: usize,
        plan: &Plan,
        token: &mut String,
        mut next: impl FnMut(usize) -> Res<(String, String)>,
        out: &mut Outcome,
    ) -> Res<()> {
        let mut round = 0usize;
        let mut put_times = Vec::new();
        let (s, k) = repeat(plan, || {
            round += 1;
            let (name, body) = next(round)?;
            let (pt, r) = timed(|| {
                send(
                    c,
                    "PUT",
                    &format!("{url}{name}"),
                    None,
                    Some(&body),
                    self.content_type,
                )
            })?;
            expect(&r, &[201, 204], "PUT")?;
            put_times.push(pt);
            let (t, r) = timed(|| xml_report(c, url, &sync_body(token)))?;
            expect(&r, &[207], "sync-collection")?;
            if !r.body.contains(&name) {
                return Err(format!("sync-collection after PUT does not list {name}"));
            }
            *token = element_text(&r.body, "sync-token").ok_or("sync answer without token")?;
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
        out.vals.insert(self.sync_key, Val::Ms(s));
        out.vals.insert(self.put_key, Val::Ms(stat(put_times)));
        out.sizes.insert(self.sync_key, k);
        Ok(())
    }
}

/// Runs the `phases` selected on one server (davdir-only phases skip peers).
pub(crate) fn run_server(
    server: &mut Server,
    ds: &DataSet,
    plan: Plan,
    phases: select::Phases,
) -> Res<Outcome> {
    let n = ds.n;
    let mut out = Outcome::default();
    let c = client();
    let start_limit = Duration::from_secs(600);
    settle_disk();

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
    if phases.has("queries") {
        time_queries(server, &c, &url, n, plan, &queries, &mut out)?;
        record_rss(server, n, &mut out, "rss");
    }

    // sync-collection after one change made over HTTP.
    let mut token = sync_token(&c, &url)?;
    let next = |round: usize| -> Res<(String, String)> {
        let idx = ds.singles[round % ds.singles.len()];
        let body = edited(&server.object_source(idx)?, &format!("sync{round}"));
        Ok((object_name(idx), body))
    };
    let put = PutThenSync {
        content_type: ICS,
        sync_key: "sync",
        put_key: "put1",
    };
    if phases.has("sync") {
        put.time(server, &c, &url, n, &plan, &mut token, next, &mut out)?;
    }

    // A file written on disk by another program → visible in sync-collection,
    // with a client polling every 5 ms, then one polling every 50 ms.
    for (key, poll, first) in [("latency", 5, 0), ("latency50", 50, 100)] {
        if !phases.has("disk") {
            break;
        }
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

    if phases.has("load") {
        // GET throughput.
        let load = throughput(&url, plan.gets, plan.threads, plan.cap, move |_, k| {
            let name = object_name((k * 7919) % n);
            ("GET", name, None)
        })?;
        note(
            server,
            n,
            &format!("GET: {:.0}/s ({})", load.rate, load.describe()),
        );
        out.vals.insert("get_rate", Val::Rate(load));

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
        let load = throughput(&url, puts, plan.threads, plan.cap, move |_, k| {
            let (name, body) = &bodies[k];
            ("PUT", name.clone(), Some(body.clone()))
        })?;
        note(
            server,
            n,
            &format!("PUT: {:.1}/s ({})", load.rate, load.describe()),
        );
        out.vals.insert("put_rate", Val::Rate(load));

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
    }

    if phases.has("export") {
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
        out.vals
            .insert("export_rate", Val::Rate(Load::plain(rate, k)));
        out.sizes.insert("export", k);
    }

    if phases.has("figures") {
        figures::run(server, &c, ds, plan, &mut out)?;
    }
    if phases.has("sharing") {
        sharing::run(server, &c, n, plan, &mut out)?;
    }

    record_rss(server, n, &mut out, "rss_end");

    // Restarts: without the cache, then with it.
    let phase = Instant::now();
    let starts = if phases.has("starts") { plan.starts } else { 0 };
    for _ in 1..starts {
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
    for _ in 0..starts {
        if phase.elapsed() > plan.cap * 2 && !warm.is_empty() {
            break;
        }
        server.stop();
        let t0 = Instant::now();
        server.start()?;
        warm.push(wait_ready(server, &c, n, t0, start_limit)?);
    }
    server.stop();
    if !warm.is_empty() {
        let ws = stat(warm);
        note(server, n, &format!("warm start {:.0} ms", ws.median));
        out.vals.insert("warm", Val::Ms(ws));
    }
    let cold = if cold.is_empty() {
        Val::Na("n/a (loaded over HTTP)".into())
    } else {
        Val::Ms(stat(cold))
    };
    out.vals.insert("cold", cold);
    if server.flavor == Flavor::Davdir && phases.has("poll") {
        let v = poll::rounds(server, &c, n, plan)?;
        note(server, n, &format!("poll round: {}", describe(&v)));
        out.vals.insert("poll_round", v);
    }
    if server.flavor == Flavor::Davdir && phases.has("schedule") {
        let v = schedule::put_with_attendees(server, &c, n, plan)?;
        note(
            server,
            n,
            &format!("PUT with 3 local attendees: {}", describe(&v)),
        );
        out.vals.insert("sched_put", v);
    }
    Ok(out)
}
