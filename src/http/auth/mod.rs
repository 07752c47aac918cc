//! Who a request comes from: HTTP Basic against an htpasswd file or one of
//! the user's app passwords, or, with `--no-auth`, the Basic user name as
//! given (if it can name a home). The web login takes the account
//! (htpasswd) password only: `verify_account_password`.
//!
//! Guessing is slowed per (client address, user name), per address and per
//! name (`backoff`) without locking a user out from elsewhere, and password
//! hashing runs on a few permits only, so a flood of wrong passwords cannot
//! take the blocking threads every other request needs.

pub mod access;
mod backoff;
mod htpasswd;

pub use htpasswd::{Fingerprint, Htpasswd};

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{self, HeaderMap};
use base64::Engine;
use tokio::sync::Semaphore;

use backoff::{Admission, Backoff};

use crate::accounts::{AccountError, AppPasswords, HtpasswdFile};

/// User name used with `--no-auth` when a request carries no credentials.
pub const ANONYMOUS: &str = "anonymous";
/// Longest wait for a hashing permit before the client is told to come back.
const HASH_QUEUE_WAIT: Duration = Duration::from_secs(10);

pub enum Authenticator {
    /// Anyone may connect; the Basic user name (if any) is trusted as given.
    Open,
    Htpasswd(Box<Checked>),
}

/// htpasswd authentication with its guessing defences.
pub struct Checked {
    file: Arc<Htpasswd>,
    apps: Arc<AppPasswords>,
    backoff: Backoff,
    hashing: Semaphore,
    /// Peers whose `X-Forwarded-For` names the client (reverse proxies).
    proxies: Vec<IpAddr>,
}

/// Why a request is not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("authentication required")]
    Missing,
    #[error("wrong user name or password")]
    Rejected,
    #[error("user name {0:?} cannot name a calendar home")]
    InvalidUser(String),
    #[error("too many failed logins; retry in {} s", whole_seconds(*.0))]
    Throttled(Duration),
    #[error("too many logins being checked at once")]
    Busy,
}

impl AuthError {
    /// Seconds for a `Retry-After` header, where the client should retry later.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AuthError::Throttled(d) => Some(whole_seconds(*d)),
            AuthError::Busy => Some(1),
            _ => None,
        }
    }
}

/// A wait in seconds, rounded up: a client retrying then is not refused again.
fn whole_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl Authenticator {
    /// The htpasswd file, which says who the accounts are (shares name
    /// them); None when access is open.
    pub fn users_file(&self) -> Option<Arc<Htpasswd>> {
        match self {
            Authenticator::Open => None,
            Authenticator::Htpasswd(checked) => Some(checked.file.clone()),
        }
    }

    pub fn htpasswd(
        file: Htpasswd,
        apps: Arc<AppPasswords>,
        proxies: Vec<IpAddr>,
    ) -> Authenticator {
        // Leave most cores (and the blocking pool) to everything else.
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Authenticator::Htpasswd(Box::new(Checked {
            file: Arc::new(file),
            apps,
            backoff: Backoff::default(),
            hashing: Semaphore::new((cores / 2).max(1)),
            proxies,
        }))
    }

    /// The user a request's `Authorization` header (if any) authenticates;
    /// `peer` is the address the connection comes from.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
    ) -> Result<String, AuthError> {
        let creds = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| parse_basic(v.as_bytes()));
        match (self, creds) {
            (Authenticator::Open, None) => Ok(ANONYMOUS.to_string()),
            (Authenticator::Open, Some((user, _))) => {
                if open_user_is_valid(&user) {
                    Ok(user)
                } else {
                    Err(AuthError::InvalidUser(user))
                }
            }
            (Authenticator::Htpasswd(_), None) => Err(AuthError::Missing),
            (Authenticator::Htpasswd(c), Some((user, pass))) => {
                let client = client_address(peer, &c.proxies, headers);
                c.check(user, pass, client, Accepts::AppPasswords).await
            }
        }
    }

    /// Checks a user's account password, never an app password: the web
    /// login. Failures count toward the same backoff as DAV logins.
    /// With `--no-auth` any user name that can name a home is accepted.
    pub async fn verify_account_password(
        &self,
        user: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<(), AuthError> {
        match self {
            Authenticator::Open if open_user_is_valid(user) => Ok(()),
            Authenticator::Open => Err(AuthError::InvalidUser(user.to_string())),
            Authenticator::Htpasswd(c) => c
                .check(user.into(), password.into(), client, Accepts::AccountOnly)
                .await
                .map(drop),
        }
    }

    /// The fingerprint of the user's account entry now; None when the user
    /// does not exist. With `--no-auth` every name has one that never changes.
    pub fn fingerprint(&self, user: &str) -> Option<Fingerprint> {
        match self {
            Authenticator::Open => Some(Fingerprint::default()),
            Authenticator::Htpasswd(c) => c.file.fingerprint(user),
        }
    }

    /// Changes a user's htpasswd password after checking the old one, and
    /// returns the fingerprint of the entry written (the session that made
    /// the change lives on under it). Blocking (two hashes and a file
    /// write): call it off the async threads.
    pub fn change_password(
        &self,
        user: &str,
        old: &str,
        new: &str,
    ) -> Result<Fingerprint, AccountError> {
        let Authenticator::Htpasswd(c) = self else {
            return Err(AccountError::NoHtpasswd);
        };
        crate::accounts::users::check_new_password(new)?;
        // The web page checked `old` like a login just before (backoff
        // included): that check is remembered, so it is not hashed twice.
        if !c.file.recall(user, old).verified && !c.file.verify(user, old) {
            return Err(AccountError::WrongPassword);
        }
        HtpasswdFile::new(c.file.path().to_path_buf())
            .set_password(user, new)
            .map(|hash| htpasswd::fingerprint_of(&hash))
    }
}

/// Which passwords a check accepts.
#[derive(Clone, Copy, PartialEq)]
enum Accepts {
    AccountOnly,
    AppPasswords,
}

impl Checked {
    async fn check(
        &self,
        user: String,
        pass: String,
        client: Option<IpAddr>,
        accepts: Accepts,
    ) -> Result<String, AuthError> {
        let recalled = self.file.recall(&user, &pass);
        // App passwords belong to htpasswd users: removing the user ends them.
        let apps = accepts == Accepts::AppPasswords && recalled.known;
        // An app password verified a moment ago passes without hashing, even
        // during a flood: its 129 random bits are not what is being guessed.
        if let Some(label) = apps.then(|| self.apps.remembered(&user, &pass)).flatten() {
            self.backoff.succeeded(client, &user);
            if self.apps.touch_due(&user, &label) {
                let (a, u) = (self.apps.clone(), user.clone());
                tokio::task::spawn_blocking(move || touch(&a, &u, &label));
            }
            return Ok(user);
        }
        let admitted = self.backoff.admit(client, &user);
        let account = match admitted {
            Admission::Refused(left) => return Err(AuthError::Throttled(left)),
            Admission::AppPasswordsOnly(left) if !apps => return Err(AuthError::Throttled(left)),
            Admission::AppPasswordsOnly(_) => false,
            Admission::Open => true,
        };
        // The account password verified a moment ago passes without hashing,
        // but only where it may be tried at all: a refused guesser must not
        // learn from the cache what it may not have checked.
        if account && recalled.verified {
            self.backoff.succeeded(client, &user);
            return Ok(user);
        }
        let _permit = tokio::time::timeout(HASH_QUEUE_WAIT, self.hashing.acquire())
            .await
            .map_err(|_| AuthError::Busy)?
            .map_err(|_| AuthError::Busy)?;
        let (file, app_passwords) = (self.file.clone(), self.apps.clone());
        let (u, p) = (user.clone(), pass);
        let ok = actix_web::web::block(move || {
            if account && file.verify(&u, &p) {
                return true;
            }
            match apps.then(|| app_passwords.verify(&u, &p)).flatten() {
                Some(label) => {
                    touch(&app_passwords, &u, &label);
                    true
                }
                None => false,
            }
        })
        .await
        .map_err(|_| AuthError::Busy)?;
        if ok {
            self.backoff.succeeded(client, &user);
            return Ok(user);
        }
        let from = client.map_or_else(|| "unknown address".to_string(), |c| c.to_string());
        let shown: String = user.chars().take(64).collect();
        tracing::warn!("failed login for user {shown:?} from {from}");
        let started = self.backoff.failed(client, &user, admitted);
        if let Some(block) = started.here {
            tracing::warn!("refusing logins for user {shown:?} and from {from} for {block:?}");
        }
        if let Some(block) = started.name {
            tracing::warn!(
                "refusing the account password of user {shown:?} from new addresses for {block:?} \
                 (app passwords and addresses it logged in from still pass)"
            );
        }
        match admitted {
            Admission::AppPasswordsOnly(left) => {
                Err(AuthError::Throttled(started.here.unwrap_or(left).max(left)))
            }
            _ => Err(AuthError::Rejected),
        }
    }
}

/// Records an app password's use; a failure to write costs only the time.
fn touch(apps: &AppPasswords, user: &str, label: &str) {
    if let Err(e) = apps.touch(user, label) {
        tracing::warn!("cannot record the use of an app password: {e}");
    }
}

/// The client a request comes from: the peer, or, when the peer is a
/// trusted proxy, the last address in `X-Forwarded-For` (the one the proxy
/// added; earlier ones are the client's own claims).
pub(crate) fn client_address(
    peer: Option<IpAddr>,
    proxies: &[IpAddr],
    headers: &HeaderMap,
) -> Option<IpAddr> {
    let peer = peer?;
    if !proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .last()
        .and_then(|a| a.trim().parse().ok());
    Some(forwarded.unwrap_or(peer))
}

/// With `--no-auth` the user name becomes a directory name, so it must be
/// one; `%` is refused too, so no decoding of any depth can make it `..`.
fn open_user_is_valid(user: &str) -> bool {
    crate::store::names::check_segment(user).is_ok() && !user.contains('%')
}

/// User name and password from an `Authorization: Basic` header.
pub fn parse_basic(header: &[u8]) -> Option<(String, String)> {
    let header = std::str::from_utf8(header).ok()?;
    let (scheme, data) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header() {
        assert_eq!(
            parse_basic(b"Basic ZGVtbzpkZTpt"),
            Some(("demo".into(), "de:m".into()))
        );
        assert_eq!(parse_basic(b"Bearer x"), None);
        assert_eq!(parse_basic(b"Basic !!!"), None);
        assert_eq!(parse_basic(b"Basic \xff"), None);
    }

    #[test]
    fn open_user_names() {
        for good in ["dave", "Zoë", "a.b@example.org"] {
            assert!(open_user_is_valid(good), "{good}");
        }
        for bad in ["", "..", ".x", "%2e%2e", "%252e", "a/b", "a\\b", "x\u{1}"] {
            assert!(!open_user_is_valid(bad), "{bad}");
        }
        assert!(!open_user_is_valid(&"u".repeat(256)));
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.append(
            header::HeaderName::from_static("x-forwarded-for"),
            header::HeaderValue::from_static("1.1.1.1, 203.0.113.7"),
        );
        let client = "203.0.113.7".parse().ok();
        assert_eq!(client_address(Some(proxy), &[proxy], &headers), client);
        assert_eq!(client_address(Some(proxy), &[], &headers), Some(proxy));
        let bare = HeaderMap::new();
        assert_eq!(client_address(Some(proxy), &[proxy], &bare), Some(proxy));
    }

    /// An app password opens DAV for its own user only and never the web
    /// login; a password change needs the old account password.
    #[actix_web::test]
    async fn app_passwords_are_for_dav_only() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("htpasswd");
        let users = HtpasswdFile::new(path.clone());
        users.add("demo", "demo").unwrap();
        users.add("alice", "alice").unwrap();
        let apps = Arc::new(AppPasswords::open(
            crate::state_dir::StateDir::open(&tmp.path().join("state")).unwrap(),
        ));
        let secret = apps.create("demo", "phone").unwrap();
        let auth = Authenticator::htpasswd(Htpasswd::load(path).unwrap(), apps, Vec::new());
        let basic = |u: &str, p: &str| {
            let mut h = HeaderMap::new();
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            h.insert(
                header::AUTHORIZATION,
                header::HeaderValue::from_str(&format!("Basic {token}")).unwrap(),
            );
            h
        };
        let dav = |u: &'static str, p: String| {
            let auth = &auth;
            let h = basic(u, &p);
            async move { auth.authenticate(&h, None).await.is_ok() }
        };
        assert!(dav("demo", secret.clone()).await);
        assert!(dav("demo", "demo".into()).await);
        assert!(!dav("alice", secret.clone()).await);
        let web = |u: &'static str, p: String| {
            let auth = &auth;
            async move { auth.verify_account_password(u, &p, None).await.is_ok() }
        };
        assert!(web("demo", "demo".into()).await);
        assert!(
            !web("demo", secret.clone()).await,
            "app password at the web login"
        );
        assert!(matches!(
            auth.change_password("demo", &secret, "new-password"),
            Err(AccountError::WrongPassword)
        ));
        auth.change_password("demo", "demo", "new-password")
            .unwrap();
        assert!(!web("demo", "demo".into()).await);
        assert!(web("demo", "new-password".into()).await);
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(
            AuthError::Throttled(Duration::from_millis(1500)).retry_after(),
            Some(2)
        );
        assert_eq!(
            AuthError::Throttled(Duration::from_secs(4)).retry_after(),
            Some(4)
        );
        assert_eq!(AuthError::Rejected.retry_after(), None);
        assert_eq!(
            AuthError::Throttled(Duration::from_millis(200)).to_string(),
            "too many failed logins; retry in 1 s"
        );
    }
}
