//! The cost of one round of `watch = "poll"` (data directories on NFS or
//! SMB): davdir is started once more with a one-second interval, and the
//! rounds it logs at debug level (`poll round: … files … in X ms`) are read
//! back; only rounds that stat'ed every object count, since the first ones
//! may run before the startup scan has loaded the calendar.

use super::*;

/// Restarts `server` polling, waits for up to `plan.runs` full rounds over
/// `n` objects (bounded by `plan.cap`), stops it and returns their times.
pub(crate) fn rounds(server: &mut Server, c: &Client, n: usize, plan: Plan) -> Res<Val> {
    let config = server
        .log
        .parent()
        .ok_or("log without a directory")?
        .join("poll.toml");
    fs::write(&config, "watch = \"poll\"\npoll_interval = 1\n").map_err(|e| e.to_string())?;
    let from = fs::metadata(&server.log).map_or(0, |m| m.len() as usize);
    let config = config.display().to_string();
    server.start_with(
        &["--config", &config],
        &[(
            "DAVDIR_LOG",
            "davdir=info,davdir::store::watcher::poll=debug",
        )],
    )?;
    wait_ready(server, c, n, Instant::now(), Duration::from_secs(600))?;
    let started = Instant::now();
    let mut times = Vec::new();
    while times.len() < plan.runs && !plan.capped(started, times.len()) {
        std::thread::sleep(Duration::from_millis(200));
        let log = fs::read(&server.log).map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(log.get(from..).unwrap_or_default());
        times = text.lines().filter_map(|l| full_round(l, n)).collect();
    }
    server.stop();
    if times.is_empty() {
        return Ok(Val::Na("n/a (no full round logged)".into()));
    }
    times.truncate(plan.runs);
    Ok(Val::Ms(stat(times)))
}

/// The time of a logged round that stat'ed at least `n` files.
fn full_round(line: &str, n: usize) -> Option<f64> {
    let rest = line.split_once("poll round: ")?.1;
    let files: usize = rest
        .split(", ")
        .nth(1)?
        .strip_suffix(" files")?
        .parse()
        .ok()?;
    let took = rest.rsplit_once(" in ")?.1.strip_suffix(" ms")?.trim();
    (files >= n).then(|| took.parse().ok()).flatten()
}
