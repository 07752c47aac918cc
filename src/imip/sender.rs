//! The background sender: takes due messages from the queue, oldest first,
//! and hands them to the relay with lettre's tokio SMTP transport, on a
//! thread of its own so a slow or dead relay never holds up a request.
//! A message is removed once the relay accepts it, or when it is refused
//! for good (a 5xx answer), or after `MAX_TRIES` tries or `MAX_AGE`; any
//! other failure is tried again after a delay that doubles from the
//! configured `smtp_retry_seconds` up to an hour. Each outcome is logged.

use std::sync::Arc;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::sync::Notify;

use super::queue::{unix_now, Meta, Queue};
use super::settings::{Relay, Security, Settings};

/// Tries before a message is given up.
pub const MAX_TRIES: u32 = 30;
/// Age after which a message is given up, whatever its tries: an
/// invitation days late is worse than none.
pub const MAX_AGE: Duration = Duration::from_secs(3 * 24 * 3600);
/// Longest wait between two tries.
const MAX_DELAY: Duration = Duration::from_secs(3600);
/// One SMTP conversation: connect, greeting, each command.
const TIMEOUT: Duration = Duration::from_secs(30);

type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// Starts the sender thread; `wake` tells it a message was queued.
pub fn spawn(queue: Arc<Queue>, settings: Settings, wake: Arc<Notify>) -> std::io::Result<()> {
    let transport = transport(&settings.relay).map_err(std::io::Error::other)?;
    std::thread::Builder::new()
        .name("davdir-imip".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return tracing::error!("mail sender cannot start: {e}"),
            };
            rt.block_on(run(queue, transport, settings.retry, wake));
        })?;
    Ok(())
}

fn transport(relay: &Relay) -> Result<Transport, lettre::transport::smtp::Error> {
    let builder = match relay.security {
        Security::Plain => Transport::builder_dangerous(&relay.host),
        Security::StartTls => Transport::starttls_relay(&relay.host)?,
        Security::Tls => Transport::relay(&relay.host)?,
    };
    let builder = builder.port(relay.port).timeout(Some(TIMEOUT));
    Ok(match &relay.credentials {
        Some((user, password)) => builder
            .credentials(Credentials::new(user.clone(), password.clone()))
            .build(),
        None => builder.build(),
    })
}

async fn run(queue: Arc<Queue>, transport: Transport, retry: Duration, wake: Arc<Notify>) {
    loop {
        for (name, meta) in queue.due(unix_now()) {
            let outcome = send(&queue, &transport, &name, &meta).await;
            settle(&queue, &name, meta, outcome, retry);
        }
        let now = unix_now();
        let wait = queue
            .next_due()
            .map_or(MAX_DELAY, |at| Duration::from_secs(at.saturating_sub(now)));
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(wait.max(Duration::from_millis(200))) => {}
        }
    }
}

/// What became of one try.
enum Outcome {
    Sent,
    /// The relay refused it for good (5xx) or it cannot be read.
    Refused(String),
    /// Worth another try (relay down, 4xx, timeout).
    Failed(String),
}

async fn send(queue: &Queue, transport: &Transport, name: &str, meta: &Meta) -> Outcome {
    let message = match queue.message(name) {
        Ok(m) => m,
        Err(e) => return Outcome::Refused(format!("cannot read it: {e}")),
    };
    let envelope = match envelope(meta) {
        Ok(e) => e,
        Err(e) => return Outcome::Refused(e),
    };
    match transport.send_raw(&envelope, &message).await {
        Ok(_) => Outcome::Sent,
        Err(e) if e.is_permanent() => Outcome::Refused(e.to_string()),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

fn envelope(meta: &Meta) -> Result<Envelope, String> {
    let parse = |a: &str| a.parse::<Address>().map_err(|e| format!("{a:?}: {e}"));
    let to = meta.to.iter().map(|a| parse(a)).collect::<Result<_, _>>()?;
    Envelope::new(Some(parse(&meta.from)?), to).map_err(|e| e.to_string())
}

/// Removes, or reschedules, `name` after a try, and logs what happened.
fn settle(queue: &Queue, name: &str, mut meta: Meta, outcome: Outcome, retry: Duration) {
    let what = format!("{} to {}", meta.label, meta.to.join(", "));
    meta.tries += 1;
    let now = unix_now();
    let give_up = match outcome {
        Outcome::Sent => {
            tracing::info!("mailed {what}");
            true
        }
        Outcome::Refused(why) => {
            tracing::warn!("mail of {what} refused, not tried again: {why}");
            true
        }
        Outcome::Failed(why)
            if meta.tries >= MAX_TRIES || now.saturating_sub(meta.queued) >= MAX_AGE.as_secs() =>
        {
            tracing::warn!("mail of {what} given up after {} tries: {why}", meta.tries);
            true
        }
        Outcome::Failed(why) => {
            let delay = backoff(retry, meta.tries);
            tracing::warn!(
                "mail of {what} failed (try {}), trying again in {}s: {why}",
                meta.tries,
                delay.as_secs()
            );
            meta.next = now + delay.as_secs();
            if let Err(e) = queue.update(name, meta) {
                tracing::error!("mail queue: cannot reschedule {name}: {e}");
            }
            false
        }
    };
    if give_up {
        if let Err(e) = queue.remove(name) {
            tracing::error!("mail queue: cannot remove {name}: {e}");
        }
    }
}

/// `first`, doubled for each try after the first, at most an hour.
fn backoff(first: Duration, tries: u32) -> Duration {
    let factor = 1u32 << tries.saturating_sub(1).min(16);
    first.saturating_mul(factor).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queued(tries: u32, queued: u64) -> (tempfile::TempDir, Queue, String, Meta) {
        let state = tempfile::tempdir().unwrap();
        let q = Queue::open(state.path(), super::super::queue::DEFAULT_LIMITS).unwrap();
        let meta = Meta {
            from: "a@x.org".into(),
            to: vec!["b@y.org".into()],
            label: "REQUEST".into(),
            queued,
            tries,
            next: 0,
        };
        let name = q.add(meta.clone(), b"Subject: t\r\n\r\n").unwrap();
        (state, q, name, meta)
    }

    #[test]
    fn a_failed_try_is_rescheduled_until_the_bounds_then_given_up() {
        let retry = Duration::from_secs(60);
        let (_s, q, name, meta) = queued(0, unix_now());
        settle(&q, &name, meta, Outcome::Failed("down".into()), retry);
        let (_, after) = &q.due(u64::MAX)[0];
        assert_eq!(after.tries, 1);
        assert!(after.next >= unix_now() + 59);
        // The last allowed try, and a message older than MAX_AGE, go.
        let (_s, q, name, meta) = queued(MAX_TRIES - 1, unix_now());
        settle(&q, &name, meta, Outcome::Failed("down".into()), retry);
        assert!(q.is_empty());
        let (_s, q, name, meta) = queued(1, unix_now() - MAX_AGE.as_secs());
        settle(&q, &name, meta, Outcome::Failed("down".into()), retry);
        assert!(q.is_empty());
        // A permanent refusal is not tried again.
        let (_s, q, name, meta) = queued(0, unix_now());
        settle(
            &q,
            &name,
            meta,
            Outcome::Refused("550 no such user".into()),
            retry,
        );
        assert!(q.is_empty());
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let s = Duration::from_secs;
        assert_eq!(backoff(s(60), 1), s(60));
        assert_eq!(backoff(s(60), 2), s(120));
        assert_eq!(backoff(s(60), 5), s(960));
        assert_eq!(backoff(s(60), 7), MAX_DELAY);
        assert_eq!(backoff(s(60), 500), MAX_DELAY);
    }
}
