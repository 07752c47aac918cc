//! Web imports run as background jobs: a large file takes minutes, longer
//! than a request should be held open, and goes on whether or not the
//! browser stays. This table knows each job's owner, progress and outcome,
//! lets a user run one import at a time (so one user cannot occupy many
//! blocking threads), and forgets finished jobs after a while.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::error::WebError;
use crate::import::ImportReport;

/// How long a finished job's report can still be looked at.
const KEEP: Duration = Duration::from_secs(60 * 60);
/// Finished jobs kept per user; older ones are forgotten first.
const KEEP_PER_USER: usize = 8;

/// A finished import: the collection it went into and what it did.
pub struct Finished {
    pub collection: String,
    pub report: ImportReport,
}

/// One import, shared by the thread running it and the pages showing it.
pub struct Job {
    pub user: String,
    done: AtomicUsize,
    total: AtomicUsize,
    outcome: Mutex<Option<(Instant, Result<Finished, WebError>)>>,
}

impl Job {
    /// Items written so far and items in the file (0 until it is split).
    pub fn progress(&self) -> (usize, usize) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }

    /// The import's callback: `done` of `total` items written.
    pub fn advance(&self, done: usize, total: usize) {
        self.total.store(total, Ordering::Relaxed);
        self.done.store(done, Ordering::Relaxed);
    }

    /// Records the outcome; the job no longer counts as running.
    pub fn finish(&self, outcome: Result<Finished, WebError>) {
        *self.outcome.lock() = Some((Instant::now(), outcome));
    }

    /// Runs `f` with the outcome, None while the import runs.
    pub fn with_outcome<T>(&self, f: impl FnOnce(Option<&Result<Finished, WebError>>) -> T) -> T {
        f(self.outcome.lock().as_ref().map(|(_, o)| o))
    }

    fn finished_at(&self) -> Option<Instant> {
        self.outcome.lock().as_ref().map(|(at, _)| *at)
    }
}

/// Marks a job failed if its thread ends without an outcome (a panic), so
/// its owner is not locked out of importing.
pub struct FinishGuard(pub Arc<Job>);

impl Drop for FinishGuard {
    fn drop(&mut self) {
        if self.0.finished_at().is_none() {
            self.0
                .finish(Err(WebError::Internal("the import stopped".into())));
        }
    }
}

/// The server's import jobs by id.
#[derive(Default)]
pub struct Jobs {
    table: Mutex<HashMap<String, Arc<Job>>>,
}

impl Jobs {
    /// Refuses when `user` has an import running.
    pub fn check_idle(&self, user: &str) -> Result<(), WebError> {
        idle(&self.table.lock(), user)
    }

    /// A new running job of `user` and its random, unguessable id; refused
    /// while another import of the user runs.
    pub fn start(&self, user: &str) -> Result<(String, Arc<Job>), WebError> {
        self.prune();
        // Checked under the same lock as the insert: two posts at once
        // still start one job.
        let mut table = self.table.lock();
        idle(&table, user)?;
        let id = super::session::random_token();
        let job = Arc::new(Job {
            user: user.to_string(),
            done: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
            outcome: Mutex::new(None),
        });
        table.insert(id.clone(), job.clone());
        Ok((id, job))
    }

    /// The job `id` if it is `user`'s: another user's is not found, as if
    /// it did not exist.
    pub fn get(&self, id: &str, user: &str) -> Option<Arc<Job>> {
        self.prune();
        self.table
            .lock()
            .get(id)
            .filter(|j| j.user == user)
            .cloned()
    }

    /// Forgets finished jobs older than [`KEEP`], and beyond
    /// [`KEEP_PER_USER`] a user's oldest finished ones.
    fn prune(&self) {
        let now = Instant::now();
        let mut table = self.table.lock();
        table.retain(|_, j| j.finished_at().is_none_or(|at| now - at < KEEP));
        let mut finished: HashMap<&str, Vec<(Instant, &str)>> = HashMap::new();
        for (id, j) in table.iter() {
            if let Some(at) = j.finished_at() {
                finished.entry(&j.user).or_default().push((at, id));
            }
        }
        let extra: Vec<String> = finished
            .into_values()
            .flat_map(|mut v| {
                v.sort_unstable_by_key(|&(at, _)| std::cmp::Reverse(at));
                v.into_iter()
                    .skip(KEEP_PER_USER)
                    .map(|(_, id)| id.to_string())
            })
            .collect();
        for id in extra {
            table.remove(&id);
        }
    }
}

/// Refuses when `user` has an import running in `table`.
fn idle(table: &HashMap<String, Arc<Job>>, user: &str) -> Result<(), WebError> {
    if table
        .values()
        .any(|j| j.user == user && j.finished_at().is_none())
    {
        return Err(WebError::BadForm(
            "an import of yours is still running; wait until it has finished, then import again"
                .into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(job: &Job) {
        job.finish(Err(WebError::NotFound));
    }

    #[test]
    fn one_running_import_per_user_and_finished_ones_are_bounded() {
        let jobs = Jobs::default();
        let (first, job) = jobs.start("demo").unwrap();
        assert!(jobs.start("demo").is_err());
        assert!(jobs.check_idle("demo").is_err());
        // Another user is not held up, and does not see the job.
        let (_, other) = jobs.start("alice").unwrap();
        assert!(jobs.get(&first, "alice").is_none());
        assert!(jobs.get(&first, "demo").is_some());
        done(&job);
        done(&other);
        let mut ids = vec![first];
        for _ in 0..KEEP_PER_USER {
            let (id, job) = jobs.start("demo").unwrap();
            done(&job);
            ids.push(id);
        }
        // The oldest finished one is forgotten; the newest are kept.
        assert!(jobs.get(&ids[0], "demo").is_none());
        assert!(ids[1..].iter().all(|id| jobs.get(id, "demo").is_some()));
    }

    #[test]
    fn a_thread_that_ends_without_an_outcome_frees_its_user() {
        let jobs = Jobs::default();
        let (_, job) = jobs.start("demo").unwrap();
        drop(FinishGuard(job));
        assert!(jobs.check_idle("demo").is_ok());
    }
}
