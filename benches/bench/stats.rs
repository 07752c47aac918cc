//! Timing and summarising samples (median, p90, max), bounded in count and
//! time by the plan, so every phase reports the same way.

use super::*;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Stat {
    pub(crate) median: f64,
    pub(crate) p90: f64,
    pub(crate) max: f64,
    pub(crate) n: usize,
}

pub(crate) fn stat(mut v: Vec<f64>) -> Stat {
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
pub(crate) enum Val {
    Ms(Stat),
    /// Requests per second, with the requests done and the retries they took.
    Rate(Load),
    Mb(f64),
    Na(String),
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs `f` (warm-ups first) until `plan.runs` measured runs or the cap.
/// `f` returns the time it measured and a result size for the report.
pub(crate) fn repeat(plan: &Plan, mut f: impl FnMut() -> Res<(f64, usize)>) -> Res<(Stat, usize)> {
    let started = Instant::now();
    let mut times = Vec::new();
    let mut size = 0;
    for k in 0..plan.warmup + plan.runs {
        let (t, s) = f()?;
        if k >= plan.warmup {
            times.push(t);
            size = s;
        }
        if plan.capped(started, times.len()) {
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

pub(crate) fn timed(f: impl FnOnce() -> Res<Reply>) -> Res<(f64, Reply)> {
    let t = Instant::now();
    let r = f()?;
    Ok((ms(t.elapsed()), r))
}
