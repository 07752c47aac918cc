//! Which push delivery starts next, so that one user's registrations at a
//! slow or silent push service cannot hold up anyone else's. Deliveries
//! wait in one queue per user and users take turns (round-robin); at most
//! [`Limits::per_user`] deliveries of one user, [`Limits::per_host`] to one
//! push service (an origin) and [`Limits::total`] in all are in flight. A
//! delivery waiting for a registration is replaced by a newer one (its sync
//! token supersedes), so a user's queue holds at most one per registration
//! and cannot grow while her push service hangs.
//!
//! Pure bookkeeping, no I/O and no clock of its own: `delivery` drives it.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use super::registrations::Registration;

/// How many deliveries may be in flight at once.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_user: usize,
    pub per_host: usize,
    pub total: usize,
}

/// One message for one registration, perhaps a retry.
#[derive(Debug, Clone)]
pub struct Job {
    pub reg: Registration,
    /// The push service's origin, the unit of `per_host`.
    pub host: String,
    pub body: String,
    /// Attempts already made (0 for a new message).
    pub attempt: u32,
    /// When the first attempt was queued: retries stop a while after it.
    pub first: Instant,
    /// A retry waits until then.
    pub not_before: Instant,
}

pub struct Fair {
    limits: Limits,
    queues: HashMap<String, VecDeque<Job>>,
    /// Users with queued jobs, whose turn is next first.
    turns: VecDeque<String>,
    users_busy: HashMap<String, usize>,
    hosts_busy: HashMap<String, usize>,
    busy: usize,
}

impl Fair {
    pub fn new(limits: Limits) -> Fair {
        Fair {
            limits,
            queues: HashMap::new(),
            turns: VecDeque::new(),
            users_busy: HashMap::new(),
            hosts_busy: HashMap::new(),
            busy: 0,
        }
    }

    /// Queues `job`. A new message replaces one still waiting for the same
    /// registration; a retry is dropped when a newer message waits.
    pub fn push(&mut self, job: Job) {
        let queue = self.queues.entry(job.reg.user.clone()).or_default();
        if let Some(waiting) = queue.iter_mut().find(|j| j.reg.id == job.reg.id) {
            if job.attempt == 0 {
                *waiting = job;
            }
            return;
        }
        if queue.is_empty() {
            self.turns.push_back(job.reg.user.clone());
        }
        queue.push_back(job);
    }

    /// The next job that may start at `now`, counted in flight until
    /// [`Fair::done`]: the first ready one of the first user in turn whose
    /// limits allow it, that user then going to the back of the line.
    pub fn next(&mut self, now: Instant) -> Option<Job> {
        if self.busy >= self.limits.total {
            return None;
        }
        for turn in 0..self.turns.len() {
            let user = &self.turns[turn];
            if count(&self.users_busy, user) >= self.limits.per_user {
                continue;
            }
            let Some(queue) = self.queues.get_mut(user) else {
                continue;
            };
            let Some(at) = queue.iter().position(|j| {
                j.not_before <= now && count(&self.hosts_busy, &j.host) < self.limits.per_host
            }) else {
                continue;
            };
            let job = queue.remove(at)?;
            let user = self.turns.remove(turn)?;
            if queue.is_empty() {
                self.queues.remove(&user);
            } else {
                self.turns.push_back(user);
            }
            *self.users_busy.entry(job.reg.user.clone()).or_default() += 1;
            *self.hosts_busy.entry(job.host.clone()).or_default() += 1;
            self.busy += 1;
            return Some(job);
        }
        None
    }

    /// A job from [`Fair::next`] has finished: its slots are free again.
    pub fn done(&mut self, job: &Job) {
        release(&mut self.users_busy, &job.reg.user);
        release(&mut self.hosts_busy, &job.host);
        self.busy = self.busy.saturating_sub(1);
    }

    /// The earliest time after `now` at which a waiting retry becomes ready;
    /// jobs ready already wait for a slot, which `done` frees.
    pub fn next_wake(&self, now: Instant) -> Option<Instant> {
        self.queues
            .values()
            .flatten()
            .map(|j| j.not_before)
            .filter(|t| *t > now)
            .min()
    }
}

fn count(busy: &HashMap<String, usize>, key: &str) -> usize {
    busy.get(key).copied().unwrap_or(0)
}

fn release(busy: &mut HashMap<String, usize>, key: &str) {
    if let Some(n) = busy.get_mut(key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            busy.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn job(user: &str, id: &str, host: &str, body: &str, now: Instant) -> Job {
        Job {
            reg: Registration {
                id: id.into(),
                user: user.into(),
                collection: "c".into(),
                push_resource: format!("{host}/{id}"),
                public_key: String::new(),
                auth_secret: String::new(),
                expires: u64::MAX,
            },
            host: host.into(),
            body: body.into(),
            attempt: 0,
            first: now,
            not_before: now,
        }
    }

    const LIMITS: Limits = Limits {
        per_user: 2,
        per_host: 3,
        total: 4,
    };

    #[test]
    fn users_take_turns_within_their_limits() {
        let now = Instant::now();
        let mut fair = Fair::new(LIMITS);
        for i in 0..10 {
            fair.push(job("a", &format!("a{i}"), "http://hang", "m", now));
        }
        fair.push(job("b", "b0", "http://ok", "m", now));
        fair.push(job("b", "b1", "http://ok", "m", now));
        let order: Vec<String> = std::iter::from_fn(|| fair.next(now))
            .map(|j| j.reg.id)
            .collect();
        // a and b alternate; a stops at its two, the total at four.
        assert_eq!(order, ["a0", "b0", "a1", "b1"]);
        let first_a = job("a", "a0", "http://hang", "m", now);
        fair.done(&first_a);
        assert_eq!(fair.next(now).unwrap().reg.id, "a2");
        assert!(fair.next(now).is_none());
        // With b's slots taken by a late user c, c still gets its turn.
        let b0 = job("b", "b0", "http://ok", "m", now);
        fair.done(&b0);
        fair.push(job("c", "c0", "http://ok", "m", now));
        assert_eq!(fair.next(now).unwrap().reg.id, "c0");
    }

    #[test]
    fn a_busy_host_lets_other_hosts_of_the_same_user_through() {
        let now = Instant::now();
        let mut fair = Fair::new(Limits {
            per_user: 10,
            per_host: 1,
            total: 10,
        });
        fair.push(job("a", "1", "http://slow", "m", now));
        fair.push(job("a", "2", "http://slow", "m", now));
        fair.push(job("a", "3", "http://fast", "m", now));
        let ids: Vec<String> = std::iter::from_fn(|| fair.next(now))
            .map(|j| j.reg.id)
            .collect();
        assert_eq!(ids, ["1", "3"]);
    }

    #[test]
    fn newer_messages_replace_waiting_ones_and_retries_wait() {
        let now = Instant::now();
        let mut fair = Fair::new(LIMITS);
        fair.push(job("a", "1", "http://h", "old", now));
        fair.push(job("a", "1", "http://h", "new", now));
        let mut retry = job("a", "1", "http://h", "older", now);
        retry.attempt = 1;
        fair.push(retry);
        let sent = fair.next(now).unwrap();
        assert_eq!(sent.body, "new");
        assert!(fair.next(now).is_none());

        let later = now + Duration::from_secs(2);
        let mut retry = job("a", "2", "http://h", "again", now);
        retry.attempt = 1;
        retry.not_before = later;
        fair.push(retry);
        assert!(fair.next(now).is_none());
        assert_eq!(fair.next_wake(now), Some(later));
        assert_eq!(fair.next(later).unwrap().body, "again");
        assert_eq!(fair.next_wake(later), None);
    }
}
