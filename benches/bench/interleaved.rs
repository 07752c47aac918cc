//! Timing the same queries on several servers, their samples taken in
//! turns. This VM's speed drifts over minutes (and from run to run): timed
//! one after the other, each server met a different machine and their
//! ratio carried the drift. In turns, in proportion to each server's
//! planned runs, every server's samples are spread over the same minutes.
//! A turn of short requests starts with untimed ones, so every timed
//! sample is of a server as busy as when it is timed alone.

use super::*;

/// Untimed requests opening a turn of short requests.
const TURN_WARMUP: usize = 3;

/// One server taking part: where its queries go, its plan, what it got.
pub(crate) struct Contestant<'a> {
    pub(crate) server: &'a Server,
    pub(crate) url: String,
    /// Objects in the collection (for the notes).
    pub(crate) n: usize,
    pub(crate) plan: Plan,
    pub(crate) out: &'a mut Outcome,
    /// Why it dropped out (a failed request); it is then left alone.
    pub(crate) failed: Option<String>,
}

impl<'a> Contestant<'a> {
    pub(crate) fn new(
        server: &'a Server,
        url: String,
        n: usize,
        plan: Plan,
        out: &'a mut Outcome,
    ) -> Contestant<'a> {
        Contestant {
            server,
            url,
            n,
            plan,
            out,
            failed: None,
        }
    }
}

/// One contestant's samples of one query.
struct Samples {
    direct: direct::Direct,
    warmup: usize,
    wanted: usize,
    done: usize,
    times: Vec<f64>,
    size: usize,
    started: Instant,
}

impl Samples {
    fn finished(&self, plan: &Plan) -> bool {
        self.done >= self.wanted || plan.capped(self.started, self.times.len())
    }
}

/// Times each query (Depth 1 on each contestant's URL) after one probe
/// each: a server that refuses a query gets `n/a` with the status for it.
/// The contestant furthest behind its plan goes next, so a server planned
/// for 5 runs takes one turn in every few of one planned for 30.
pub(crate) fn time_in_turns(c: &Client, who: &mut [Contestant], queries: &[Query]) {
    for &Query(key, what, method, body, ok, count, unit) in queries {
        let mut samples: Vec<Option<Samples>> = Vec::new();
        for w in who.iter_mut() {
            samples.push(start(c, w, key, what, method, body, ok));
        }
        let mut last: Option<usize> = None;
        loop {
            let next = samples
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    let s = s.as_ref()?;
                    (!s.finished(&who[i].plan)).then_some((i, s.done as f64 / s.wanted as f64))
                })
                .min_by(|a, b| a.1.total_cmp(&b.1));
            let Some((i, _)) = next else { break };
            // A server may go on working after its answer (Radicale's
            // garbage collection after a large one): that work must not
            // land in the next server's sample.
            let switched = last != Some(i);
            if let Some(j) = last.filter(|&j| j != i) {
                wait_quiet(who[j].server.pid());
            }
            last = Some(i);
            let s = samples[i].as_mut().expect("chosen among the present");
            // A turn opens with untimed requests, as a run opens with its
            // warm-ups: a server idle since its last turn (its vCPU halted,
            // its caches cold) answers its first requests up to twice as
            // slowly on this VM, which timing one server alone never saw.
            let mut take = || {
                timed(|| s.direct.send(method, Some("1"), body))
                    .and_then(|(t, r)| expect(&r, &[ok], what).map(|()| (t, count(&r.body))))
            };
            // (Not worth it for a request of more than 100 ms.)
            let short = s.times.last().is_some_and(|&t| t < 100.0);
            let untimed = if switched && short { TURN_WARMUP } else { 0 };
            let sample = (0..untimed)
                .try_for_each(|_| take().map(drop))
                .and_then(|()| take());
            match sample {
                Ok((t, size)) => {
                    s.done += 1;
                    if s.done > s.warmup {
                        s.times.push(t);
                        s.size = size;
                    }
                }
                Err(e) => {
                    who[i].failed = Some(e);
                    samples[i] = None;
                }
            }
        }
        for (w, s) in who.iter_mut().zip(samples) {
            let Some(s) = s else { continue };
            if s.times.is_empty() {
                continue;
            }
            let st = stat(s.times);
            note(
                w.server,
                w.n,
                &format!("{what}: median {:.2} ms, {} {unit}", st.median, s.size),
            );
            w.out.vals.insert(key, Val::Ms(st));
            w.out.sizes.insert(key, s.size);
        }
    }
}

/// Probes `w` with the query; its samples to come, or None when it refuses
/// the query (noted n/a) or has failed.
fn start(
    c: &Client,
    w: &mut Contestant,
    key: &'static str,
    what: &str,
    method: &str,
    body: &str,
    ok: u16,
) -> Option<Samples> {
    if w.failed.is_some() {
        return None;
    }
    let probe = send(c, method, &w.url, Some("1"), Some(body), XML);
    let direct = probe.and_then(|p| direct::Direct::new(&w.url).map(|d| (p, d)));
    let (probe, direct) = match direct {
        Ok(x) => x,
        Err(e) => {
            w.failed = Some(e);
            return None;
        }
    };
    if probe.status != ok {
        let snippet: String = probe.body.chars().take(80).collect();
        note(
            w.server,
            w.n,
            &format!("{what}: HTTP {} {snippet:?}: n/a", probe.status),
        );
        w.out
            .vals
            .insert(key, Val::Na(format!("n/a (HTTP {})", probe.status)));
        return None;
    }
    // The probe was the first warm-up.
    let warmup = w.plan.warmup.saturating_sub(1);
    Some(Samples {
        direct,
        warmup,
        wanted: warmup + w.plan.runs,
        done: 0,
        times: Vec::new(),
        size: 0,
        started: Instant::now(),
    })
}

/// Waits until process `pid` uses no CPU over 30 ms (its user plus system
/// clock ticks stay the same), at most half a second.
fn wait_quiet(pid: u32) {
    let ticks = || -> Option<u64> {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name (which may hold spaces), from state on.
        let rest = stat.rsplit_once(')')?.1;
        let f: Vec<&str> = rest.split_whitespace().collect();
        Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
    };
    let t = Instant::now();
    let mut before = ticks();
    while t.elapsed() < Duration::from_millis(500) {
        std::thread::sleep(Duration::from_millis(30));
        let now = ticks();
        if now.is_none() || now == before {
            return;
        }
        before = now;
    }
}
