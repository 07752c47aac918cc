//! Sending push messages without ever holding up a request. Changes arrive
//! on a bounded channel (a full queue drops the news, logged, rather than
//! wait); per collection they are coalesced for one interval, so a burst
//! such as a `git pull` sends one message with the last sync token. Each
//! message is encrypted (RFC 8291) and VAPID-signed (RFC 8292), sent with
//! `TTL` and `Urgency`; 429 and 5xx are retried with backoff, bounded in
//! attempts and time; 404 and 410 remove the registration. Every attempt
//! has a connect and a response timeout, and `fair` decides which message
//! goes next, so a push service that never answers delays only the users
//! registered there (and only within their own share).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tokio::sync::mpsc;
use web_push_native::{p256, Auth, WebPushBuilder};

use super::fair::{Fair, Job, Limits};
use super::registrations::Registration;
use super::{Exclude, Push};

/// Changes waiting for the delivery thread; beyond this they are dropped.
pub const QUEUE: usize = 4096;
/// Messages in flight: one user's, one push service's, and all.
const LIMITS: Limits = Limits {
    per_user: 4,
    per_host: 16,
    total: 64,
};
/// A push service answers in well under a second; one that takes longer
/// than these is down or stalling, and the attempt counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);
const ATTEMPTS: u32 = 5;
/// No retry starts later than this after the first attempt.
const RETRY_WINDOW: Duration = Duration::from_secs(60);
/// How long a push service keeps an undelivered message.
const TTL: Duration = Duration::from_secs(12 * 3600);
/// RFC 8292 §2: a subject the push service can contact.
const CONTACT: &str = "mailto:postmaster@localhost";

/// One new sync token of one collection.
pub struct Event {
    pub user: String,
    pub collection: String,
    pub token: String,
    pub exclude: Exclude,
}

struct Pending {
    token: String,
    ids: HashSet<String>,
    due: Instant,
}

/// Runs the delivery loop on its own thread until the sender side is gone.
pub fn spawn(push: Arc<Push>, mut rx: mpsc::Receiver<Event>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("davdir-push".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return tracing::error!("push delivery cannot start: {e}"),
            };
            rt.block_on(run(push, &mut rx));
        })?;
    Ok(())
}

async fn run(push: Arc<Push>, rx: &mut mpsc::Receiver<Event>) {
    let client = match reqwest::Client::builder()
        .dns_resolver(Arc::new(super::target::GuardedResolver(
            push.policy.clone(),
        )))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(RESPONSE_TIMEOUT)
        .build()
    {
        Ok(c) => c,
        Err(e) => return tracing::error!("push delivery cannot start: {e}"),
    };
    let (finished, mut results) = mpsc::unbounded_channel::<(Job, Outcome)>();
    let mut fair = Fair::new(LIMITS);
    let mut pending: HashMap<(String, String), Pending> = HashMap::new();
    let mut last_sent: HashMap<(String, String), Instant> = HashMap::new();
    loop {
        let now = Instant::now();
        while let Some(job) = fair.next(now) {
            let (push, client, finished) = (push.clone(), client.clone(), finished.clone());
            tokio::spawn(async move {
                let outcome = send_once(&push, &client, &job.reg, &job.body).await;
                let _ = finished.send((job, outcome));
            });
        }
        let wake = pending
            .values()
            .map(|p| p.due)
            .chain(fair.next_wake(now))
            .min()
            .map(tokio::time::Instant::from_std);
        tokio::select! {
            event = rx.recv() => match event {
                Some(ev) => gather(&push, ev, &mut pending, &last_sent),
                None => return,
            },
            Some((job, outcome)) = results.recv() => {
                fair.done(&job);
                if let Some(retry) = settle(&push, job, outcome) {
                    fair.push(retry);
                }
            }
            _ = tokio::time::sleep_until(wake.unwrap_or_else(tokio::time::Instant::now)),
                if wake.is_some() => {}
        }
        let now = Instant::now();
        let ready: Vec<(String, String)> = pending
            .iter()
            .filter(|(_, p)| p.due <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for key in ready {
            let Some(p) = pending.remove(&key) else {
                continue;
            };
            last_sent.insert(key.clone(), now);
            let body = super::xml::push_message(&push.keys.topic(&key.0, &key.1), &p.token);
            for id in p.ids {
                let Some(reg) = push.registrations.by_id(&id) else {
                    continue;
                };
                fair.push(Job {
                    host: super::target::origin_of(&reg.push_resource),
                    reg,
                    body: body.clone(),
                    attempt: 0,
                    first: now,
                    not_before: now,
                });
            }
        }
        last_sent.retain(|_, t| now.duration_since(*t) < push.interval * 2);
    }
}

/// Adds a change to the collection's pending message, or starts one due
/// after the interval.
fn gather(
    push: &Push,
    ev: Event,
    pending: &mut HashMap<(String, String), Pending>,
    last_sent: &HashMap<(String, String), Instant>,
) {
    let ids: HashSet<String> = push
        .registrations
        .ids_for(&ev.user, &ev.collection)
        .into_iter()
        .filter(|id| !ev.exclude.excludes(id))
        .collect();
    let key = (ev.user, ev.collection);
    match pending.get_mut(&key) {
        Some(p) => {
            p.token = ev.token;
            p.ids.extend(ids);
        }
        None if ids.is_empty() => {}
        None => {
            let now = Instant::now();
            // Gathers the rest of a burst; never two per interval.
            let due =
                (now + push.interval).max(last_sent.get(&key).map_or(now, |t| *t + push.interval));
            pending.insert(
                key,
                Pending {
                    token: ev.token,
                    ids,
                    due,
                },
            );
        }
    }
}

/// Acts on an attempt's outcome; the retry to queue, if one is worth it.
fn settle(push: &Push, job: Job, outcome: Outcome) -> Option<Job> {
    let id = &job.reg.id;
    let (after, why) = match outcome {
        Outcome::Done => return None,
        Outcome::Gone => {
            tracing::info!("push service dropped registration {id}; removed");
            if let Err(e) = push.registrations.remove(None, id) {
                tracing::warn!("cannot save push registrations: {e}");
            }
            return None;
        }
        Outcome::GiveUp(why) => {
            tracing::warn!("push to registration {id} failed: {why}");
            return None;
        }
        Outcome::Retry(after, why) => (after, why),
    };
    let attempt = job.attempt + 1;
    tracing::debug!("push attempt {attempt} for {id} failed: {why}");
    let backoff = Duration::from_secs(1 << (attempt - 1).min(5));
    let pause = after.unwrap_or(backoff).min(Duration::from_secs(30));
    let at = Instant::now() + pause;
    if attempt >= ATTEMPTS || at.duration_since(job.first) > RETRY_WINDOW {
        tracing::warn!("push to registration {id} not delivered; giving up");
        return None;
    }
    Some(Job {
        attempt,
        not_before: at,
        ..job
    })
}

enum Outcome {
    Done,
    Gone,
    Retry(Option<Duration>, String),
    GiveUp(String),
}

async fn send_once(
    push: &Push,
    client: &reqwest::Client,
    reg: &Registration,
    body: &str,
) -> Outcome {
    // Checked again: the policy may have changed since registration.
    if let Err(e) = push.policy.check_url(&reg.push_resource) {
        return Outcome::GiveUp(e.to_string());
    }
    let request = (|| -> Result<_, String> {
        let key = URL_SAFE_NO_PAD
            .decode(reg.public_key.trim_end_matches('='))
            .map_err(|e| e.to_string())?;
        let key = p256::PublicKey::from_sec1_bytes(&key).map_err(|e| e.to_string())?;
        let auth = URL_SAFE_NO_PAD
            .decode(reg.auth_secret.trim_end_matches('='))
            .map_err(|e| e.to_string())?;
        if auth.len() != 16 {
            return Err("auth secret is not 16 bytes".into());
        }
        let url = url::Url::parse(&reg.push_resource).map_err(|e| e.to_string())?;
        let endpoint = reg.push_resource.parse().map_err(|e| format!("{e}"))?;
        // Signed here, not by the builder, whose audience drops the port.
        let vapid = push.keys.vapid_header(&url, CONTACT, TTL)?;
        let request = WebPushBuilder::new(endpoint, key, Auth::clone_from_slice(&auth))
            .with_valid_duration(TTL)
            .build(body.as_bytes().to_vec())
            .map_err(|e| e.to_string())?;
        Ok((request, vapid))
    })();
    let (request, vapid) = match request {
        Ok(r) => r,
        Err(e) => return Outcome::GiveUp(e),
    };
    let (parts, payload) = request.into_parts();
    let sent = client
        .post(&reg.push_resource)
        .headers(parts.headers)
        .header(reqwest::header::AUTHORIZATION, vapid)
        .header("Urgency", "normal")
        .body(payload)
        .send()
        .await;
    match sent {
        Ok(resp) => {
            let status = resp.status();
            if status.is_success() {
                Outcome::Done
            } else if status == reqwest::StatusCode::NOT_FOUND
                || status == reqwest::StatusCode::GONE
            {
                Outcome::Gone
            } else if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                let after = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                Outcome::Retry(after, status.to_string())
            } else {
                Outcome::GiveUp(status.to_string())
            }
        }
        Err(e) => Outcome::Retry(None, e.to_string()),
    }
}
