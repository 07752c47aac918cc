//! Slows password guessing: after a few failed logins from one client address
//! or for one user name, further attempts are refused without hashing for a
//! time that doubles with each failure, up to a cap.
//!
//! Unknown and known user names are tracked alike (so a 429 does not tell
//! which names exist), names are kept as hashes (so their length costs
//! nothing) and each table holds a bounded number of entries.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

/// Failures allowed before attempts are refused.
pub const FREE_FAILURES: u32 = 5;
/// The first refusal lasts this long; each further failure doubles it.
const FIRST_BLOCK: Duration = Duration::from_secs(1);
/// The longest refusal.
const MAX_BLOCK: Duration = Duration::from_secs(15 * 60);
/// A record is forgotten this long after its last failure.
const WINDOW: Duration = Duration::from_secs(60 * 60);
/// Entries per table; the stalest is evicted beyond it.
const MAX_ENTRIES: usize = 65_536;

#[derive(Default)]
pub struct Backoff {
    clients: Table<IpAddr>,
    users: Table<[u8; 32]>,
}

struct Table<K> {
    records: Mutex<HashMap<K, Record>>,
}

impl<K> Default for Table<K> {
    fn default() -> Self {
        Table {
            records: Mutex::new(HashMap::new()),
        }
    }
}

#[derive(Clone, Copy)]
struct Record {
    failures: u32,
    last: Instant,
    blocked_until: Option<Instant>,
}

impl Backoff {
    /// How long attempts from this client or for this user are still refused.
    pub fn blocked(&self, client: Option<IpAddr>, user: &str) -> Option<Duration> {
        let now = Instant::now();
        let by_client = client.and_then(|c| self.clients.blocked(&client_key(c), now));
        let by_user = self.users.blocked(&user_key(user), now);
        by_client.max(by_user)
    }

    /// Counts a failed login; returns the refusal it starts, if any.
    pub fn failed(&self, client: Option<IpAddr>, user: &str) -> Option<Duration> {
        let now = Instant::now();
        let by_client = client.and_then(|c| self.clients.fail(client_key(c), now));
        let by_user = self.users.fail(user_key(user), now);
        by_client.max(by_user)
    }

    /// A successful login clears the user's and the client's record.
    pub fn succeeded(&self, client: Option<IpAddr>, user: &str) {
        if let Some(c) = client {
            self.clients.records.lock().remove(&client_key(c));
        }
        self.users.records.lock().remove(&user_key(user));
    }
}

impl<K: Hash + Eq + Copy> Table<K> {
    fn blocked(&self, key: &K, now: Instant) -> Option<Duration> {
        let records = self.records.lock();
        let until = records.get(key)?.blocked_until?;
        (until > now).then(|| until - now)
    }

    fn fail(&self, key: K, now: Instant) -> Option<Duration> {
        let mut records = self.records.lock();
        if !records.contains_key(&key) && records.len() >= MAX_ENTRIES {
            records.retain(|_, r| now.duration_since(r.last) < WINDOW);
            if records.len() >= MAX_ENTRIES {
                let stalest = records.iter().min_by_key(|(_, r)| r.last).map(|(k, _)| *k);
                if let Some(k) = stalest {
                    records.remove(&k);
                }
            }
        }
        let r = records.entry(key).or_insert(Record {
            failures: 0,
            last: now,
            blocked_until: None,
        });
        if now.duration_since(r.last) >= WINDOW {
            r.failures = 0;
        }
        r.failures = r.failures.saturating_add(1);
        r.last = now;
        let block = block_after(r.failures)?;
        r.blocked_until = Some(now + block);
        Some(block)
    }
}

/// The refusal that follows the n-th failure in a row.
fn block_after(failures: u32) -> Option<Duration> {
    let extra = failures.checked_sub(FREE_FAILURES)?;
    let factor = 2u32.saturating_pow(extra.min(31));
    Some(FIRST_BLOCK.saturating_mul(factor).min(MAX_BLOCK))
}

/// IPv6 clients are counted by their /64: one host usually holds all of it.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut seg = v6.segments();
                seg[4..].fill(0);
                IpAddr::V6(seg.into())
            }
        },
    }
}

fn user_key(user: &str) -> [u8; 32] {
    Sha256::digest(user.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubling_up_to_the_cap() {
        assert_eq!(block_after(FREE_FAILURES - 1), None);
        assert_eq!(block_after(FREE_FAILURES), Some(FIRST_BLOCK));
        assert_eq!(block_after(FREE_FAILURES + 3), Some(FIRST_BLOCK * 8));
        assert_eq!(block_after(u32::MAX), Some(MAX_BLOCK));
    }

    #[test]
    fn client_and_user_are_each_counted_and_success_clears() {
        let b = Backoff::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        for i in 0..FREE_FAILURES - 1 {
            assert_eq!(b.failed(Some(a), &format!("u{i}")), None);
        }
        assert!(b.failed(Some(a), "last").is_some());
        assert!(b.blocked(Some(a), "anyone").is_some(), "client blocked");
        assert!(b.blocked(Some(other), "anyone").is_none());
        for _ in 0..FREE_FAILURES {
            b.failed(Some(other), "victim");
        }
        let third: IpAddr = "192.0.2.3".parse().unwrap();
        assert!(b.blocked(Some(third), "victim").is_some(), "user blocked");
        b.succeeded(Some(other), "victim");
        assert!(b.blocked(Some(third), "victim").is_none());
        assert!(b.blocked(Some(a), "x").is_some());
    }

    #[test]
    fn ipv6_counted_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn tables_stay_bounded() {
        let t: Table<u32> = Table::default();
        let now = Instant::now();
        for k in 0..(MAX_ENTRIES as u32 + 10) {
            t.fail(k, now);
        }
        assert_eq!(t.records.lock().len(), MAX_ENTRIES);
    }
}
