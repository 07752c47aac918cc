//! Slows password guessing without handing a guesser a lockout of anyone
//! else: failures are counted per (client address, user name), per client
//! address and per user name, and each count refuses only what it must.
//!
//! - (address, name): after a few failures that address may not try that
//!   name for a time that doubles with each failure, up to a cap.
//! - address: the same, for every name an address has not logged in as
//!   before (guessing many names from one address).
//! - name: a much higher limit per hour, across all addresses (guessing
//!   from many addresses); it never refuses an app password, nor an
//!   address that logged in as that user recently.
//!
//! Only checked passwords count: an attempt refused unchecked adds nothing.
//! Unknown and known user names are tracked alike (so a 429 does not tell
//! which names exist), names are kept as hashes (so their length costs
//! nothing) and each table holds a bounded number of entries.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

/// Failures allowed per (address, name) and per address before refusals.
pub const FREE_FAILURES: u32 = 5;
/// Failures allowed per name and hour, across addresses, before new
/// addresses are refused the account password.
pub const NAME_FREE_FAILURES: u32 = 100;
/// The first refusal lasts this long; each further failure doubles it.
const FIRST_BLOCK: Duration = Duration::from_secs(1);
/// The longest refusal.
const MAX_BLOCK: Duration = Duration::from_secs(15 * 60);
/// How long failures are counted (see `Restart`).
const WINDOW: Duration = Duration::from_secs(60 * 60);
/// How long a successful (address, user) pair is remembered.
const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// Entries per table; the stalest is evicted beyond it.
const MAX_ENTRIES: usize = 65_536;

/// A user name as the tables key it.
type Name = [u8; 32];
/// A client address (IPv6: its /64; `None` when unknown) and a user name.
type Pair = (Option<IpAddr>, Name);

/// What an attempt may try.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Admission {
    /// Any password.
    Open,
    /// Only the user's app passwords: the name is being guessed from many
    /// addresses and this one has not logged in as the user recently.
    AppPasswordsOnly(Duration),
    /// Nothing, for this long: this address guessed too much.
    Refused(Duration),
}

/// Refusals a failure starts.
#[derive(Debug, Default, PartialEq)]
pub struct Started {
    /// For this address (for this name or for all).
    pub here: Option<Duration>,
    /// For this name from addresses it has not logged in from.
    pub name: Option<Duration>,
}

pub struct Backoff {
    pairs: Table<Pair>,
    clients: Table<Option<IpAddr>>,
    names: Table<Name>,
    /// When each (address, user) pair last logged in.
    known: Mutex<HashMap<Pair, Instant>>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            pairs: Table::new(FREE_FAILURES, Restart::AfterQuiet),
            clients: Table::new(FREE_FAILURES, Restart::AfterQuiet),
            names: Table::new(NAME_FREE_FAILURES, Restart::Hourly),
            known: Mutex::new(HashMap::new()),
        }
    }
}

/// When a table's count of failures starts over.
#[derive(Clone, Copy)]
enum Restart {
    /// A window after the last failure: a steady guesser stays refused.
    AfterQuiet,
    /// A window after the first: a rate, so a trickle of failures cannot
    /// keep a name refused for good.
    Hourly,
}

struct Table<K> {
    free: u32,
    restart: Restart,
    records: Mutex<HashMap<K, Record>>,
}

#[derive(Clone, Copy)]
struct Record {
    failures: u32,
    first: Instant,
    last: Instant,
    blocked_until: Option<Instant>,
}

impl Backoff {
    /// What an attempt from this client for this user may try now.
    pub fn admit(&self, client: Option<IpAddr>, user: &str) -> Admission {
        let now = Instant::now();
        let pair = pair_key(client, user);
        if let Some(left) = self.pairs.blocked(&pair, now) {
            return Admission::Refused(left);
        }
        if self.is_known(&pair, now) {
            return Admission::Open;
        }
        if let Some(left) = self.clients.blocked(&pair.0, now) {
            return Admission::Refused(left);
        }
        match self.names.blocked(&pair.1, now) {
            Some(left) => Admission::AppPasswordsOnly(left),
            None => Admission::Open,
        }
    }

    /// Counts a failed attempt that was admitted as `admitted`; the name
    /// counts only what was checked against the account password.
    pub fn failed(&self, client: Option<IpAddr>, user: &str, admitted: Admission) -> Started {
        let now = Instant::now();
        let pair = pair_key(client, user);
        let by_pair = self.pairs.fail(pair, now);
        let by_client = self.clients.fail(pair.0, now);
        let name = match admitted {
            Admission::Open => self.names.fail(pair.1, now),
            Admission::AppPasswordsOnly(_) | Admission::Refused(_) => None,
        };
        Started {
            here: by_pair.max(by_client),
            name,
        }
    }

    /// A successful login clears this pair's failures and remembers the
    /// pair; the address's and the name's counts stay (a guesser's own
    /// account does not wipe them).
    pub fn succeeded(&self, client: Option<IpAddr>, user: &str) {
        let now = Instant::now();
        let pair = pair_key(client, user);
        self.pairs.records.lock().remove(&pair);
        let mut known = self.known.lock();
        if !known.contains_key(&pair) {
            make_room(&mut known, |at| *at, KNOWN_FOR, now);
        }
        known.insert(pair, now);
    }

    fn is_known(&self, pair: &Pair, now: Instant) -> bool {
        self.known
            .lock()
            .get(pair)
            .is_some_and(|at| now.duration_since(*at) < KNOWN_FOR)
    }
}

impl<K: Hash + Eq + Copy> Table<K> {
    fn new(free: u32, restart: Restart) -> Table<K> {
        Table {
            free,
            restart,
            records: Mutex::new(HashMap::new()),
        }
    }

    fn blocked(&self, key: &K, now: Instant) -> Option<Duration> {
        let records = self.records.lock();
        let until = records.get(key)?.blocked_until?;
        (until > now).then(|| until - now)
    }

    fn fail(&self, key: K, now: Instant) -> Option<Duration> {
        let mut records = self.records.lock();
        if !records.contains_key(&key) {
            make_room(&mut records, |r| r.last, WINDOW, now);
        }
        let r = records.entry(key).or_insert(Record {
            failures: 0,
            first: now,
            last: now,
            blocked_until: None,
        });
        let since = match self.restart {
            Restart::AfterQuiet => r.last,
            Restart::Hourly => r.first,
        };
        if now.duration_since(since) >= WINDOW {
            r.failures = 0;
            r.first = now;
        }
        r.failures = r.failures.saturating_add(1);
        r.last = now;
        let block = block_after(r.failures, self.free)?;
        r.blocked_until = Some(now + block);
        Some(block)
    }
}

/// Makes room for one more entry in a bounded table: drops the entries
/// older than `keep`, else the stalest one.
fn make_room<K: Hash + Eq + Copy, V>(
    map: &mut HashMap<K, V>,
    last: impl Fn(&V) -> Instant,
    keep: Duration,
    now: Instant,
) {
    if map.len() < MAX_ENTRIES {
        return;
    }
    map.retain(|_, v| now.duration_since(last(v)) < keep);
    if map.len() >= MAX_ENTRIES {
        let stalest = map.iter().min_by_key(|(_, v)| last(v)).map(|(k, _)| *k);
        if let Some(k) = stalest {
            map.remove(&k);
        }
    }
}

/// The refusal that follows the n-th failure of a count allowing `free`.
fn block_after(failures: u32, free: u32) -> Option<Duration> {
    let extra = failures.checked_sub(free)?;
    let factor = 2u32.saturating_pow(extra.min(31));
    Some(FIRST_BLOCK.saturating_mul(factor).min(MAX_BLOCK))
}

fn pair_key(client: Option<IpAddr>, user: &str) -> Pair {
    (client.map(client_key), user_key(user))
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

fn user_key(user: &str) -> Name {
    Sha256::digest(user.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    fn fail_times(b: &Backoff, client: Option<IpAddr>, user: &str, n: u32) -> Started {
        let mut last = Started::default();
        for _ in 0..n {
            last = b.failed(client, user, b.admit(client, user));
        }
        last
    }

    #[test]
    fn doubling_up_to_the_cap() {
        let free = FREE_FAILURES;
        assert_eq!(block_after(free - 1, free), None);
        assert_eq!(block_after(free, free), Some(FIRST_BLOCK));
        assert_eq!(block_after(free + 3, free), Some(FIRST_BLOCK * 8));
        assert_eq!(block_after(u32::MAX, free), Some(MAX_BLOCK));
    }

    #[test]
    fn a_guesser_is_refused_and_its_victim_is_not() {
        let b = Backoff::default();
        let (a, other) = (ip("192.0.2.1"), ip("192.0.2.2"));
        assert_eq!(fail_times(&b, a, "alice", FREE_FAILURES - 1).here, None);
        assert!(fail_times(&b, a, "alice", 1).here.is_some());
        assert!(matches!(b.admit(a, "alice"), Admission::Refused(_)));
        assert!(matches!(b.admit(a, "bob"), Admission::Refused(_)));
        assert_eq!(b.admit(other, "alice"), Admission::Open);
    }

    #[test]
    fn an_address_that_logged_in_passes_its_own_block_but_not_its_pairs() {
        let b = Backoff::default();
        let a = ip("192.0.2.1");
        b.succeeded(a, "carol");
        for i in 0..FREE_FAILURES {
            b.failed(a, &format!("u{i}"), Admission::Open);
        }
        assert!(matches!(b.admit(a, "dave"), Admission::Refused(_)));
        assert_eq!(b.admit(a, "carol"), Admission::Open, "known pair");
        fail_times(&b, a, "carol", FREE_FAILURES);
        assert!(matches!(b.admit(a, "carol"), Admission::Refused(_)));
        b.succeeded(a, "carol");
        assert_eq!(b.admit(a, "carol"), Admission::Open, "success clears");
        assert!(matches!(b.admit(a, "dave"), Admission::Refused(_)));
    }

    #[test]
    fn a_name_guessed_from_many_addresses_takes_app_passwords_only() {
        let b = Backoff::default();
        let regular = ip("198.51.100.1");
        b.succeeded(regular, "alice");
        let mut started = Started::default();
        for i in 0..NAME_FREE_FAILURES {
            let c = Some(IpAddr::from([10, 0, (i / 250) as u8, (i % 250) as u8]));
            started = b.failed(c, "alice", b.admit(c, "alice"));
        }
        assert_eq!(started.here, None);
        assert_eq!(started.name, Some(FIRST_BLOCK));
        let fresh = ip("203.0.113.9");
        assert!(matches!(
            b.admit(fresh, "alice"),
            Admission::AppPasswordsOnly(_)
        ));
        assert_eq!(b.admit(regular, "alice"), Admission::Open);
        assert_eq!(b.admit(fresh, "bob"), Admission::Open);
        // An attempt refused the account password does not extend the block.
        let admitted = b.admit(fresh, "alice");
        assert_eq!(b.failed(fresh, "alice", admitted).name, None);
    }

    #[test]
    fn name_counts_start_over_hourly_and_pairs_after_a_quiet_hour() {
        let t: Table<u32> = Table::new(2, Restart::Hourly);
        let start = Instant::now();
        t.fail(1, start);
        t.fail(1, start + WINDOW / 2);
        assert!(t.fail(1, start + WINDOW).is_none(), "a new hour");
        let q: Table<u32> = Table::new(2, Restart::AfterQuiet);
        q.fail(1, start);
        q.fail(1, start + WINDOW / 2);
        assert!(q.fail(1, start + WINDOW).is_some(), "not quiet for an hour");
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
        let t: Table<u32> = Table::new(FREE_FAILURES, Restart::AfterQuiet);
        let now = Instant::now();
        for k in 0..(MAX_ENTRIES as u32 + 10) {
            t.fail(k, now);
        }
        assert_eq!(t.records.lock().len(), MAX_ENTRIES);
        let b = Backoff::default();
        for i in 0..(MAX_ENTRIES as u32 + 10) {
            b.succeeded(Some(IpAddr::from(i.to_be_bytes())), "u");
        }
        assert_eq!(b.known.lock().len(), MAX_ENTRIES);
    }
}
