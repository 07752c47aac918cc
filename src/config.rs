//! Server settings: a TOML file (`--config`) with the same keys as the
//! command-line flags; flags given on the command line win.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use serde::Deserialize;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:5232";
/// Largest calendar object accepted (CALDAV:max-resource-size).
pub const DEFAULT_MAX_RESOURCE_SIZE: u64 = crate::store::DEFAULT_MAX_OBJECT_SIZE;
/// Seconds a client has to send a request body once its headers are in.
pub const DEFAULT_REQUEST_TIMEOUT: u64 = 30;
/// Seconds a web-page login lasts when the config does not say.
pub const DEFAULT_SESSION_LIFETIME: u64 = 8 * 60 * 60;

/// Whom a principal search (RFC 3744 §9.4) may find besides the searcher.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum PrincipalSearch {
    /// Only the searching user's own principal: user names stay private.
    #[default]
    #[serde(rename = "self")]
    Own,
    /// Every user with a home, so clients can look up attendees.
    #[serde(rename = "all")]
    All,
}

/// Days a deleted collection stays in the trash when `trash_days` is not set.
pub const DEFAULT_TRASH_DAYS: u32 = 30;
/// Default `upload_memory`: bytes of request bodies held at once.
pub const DEFAULT_UPLOAD_MEMORY: u64 = 128 * 1024 * 1024;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data: Option<PathBuf>,
    pub listen: Option<String>,
    pub htpasswd: Option<PathBuf>,
    pub no_auth: Option<bool>,
    pub cache: Option<PathBuf>,
    pub max_resource_size: Option<u64>,
    /// Command run after each change the server makes (see docs/operations.md).
    pub hook: Option<String>,
    /// How edits made outside the server are found: true (inotify), false
    /// (each request rescans) or "poll" (NFS, SMB).
    pub watch: Option<crate::store::watcher::Mode>,
    /// Seconds between two rescans when `watch = "poll"`.
    pub poll_interval: Option<u64>,
    /// URL path the server is reached under behind a reverse proxy.
    pub base_path: Option<String>,
    /// Seconds allowed for reading a request body (slow clients are dropped).
    pub request_timeout: Option<u64>,
    pub principal_search: Option<PrincipalSearch>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Option<Vec<IpAddr>>,
    /// Serve the derived, read-only calendar `/<user>/birthdays/`.
    pub birthday_calendar: Option<bool>,
    /// File of user groups (`family: alice bob`) that `[share]` tables
    /// name as `"@family"`.
    pub groups: Option<PathBuf>,
    /// Directory for secrets and server state (app passwords, keys, push
    /// registrations), outside the data directory.
    pub state: Option<PathBuf>,
    /// Seconds a web-page login lasts.
    pub session_lifetime: Option<u64>,
    /// `https://host[:port]` the server is reached at from outside (behind
    /// a proxy): the web page's URLs and Apple profiles use it.
    pub public_url: Option<String>,
    /// Days a deleted collection stays in its user's trash.
    pub trash_days: Option<u32>,
    /// Bytes of request bodies (uploads, large PUTs) held in memory at once.
    pub upload_memory: Option<u64>,
    /// WebDAV-Push (on unless false).
    pub push: Option<bool>,
    /// When given, the only push-service hosts messages may go to.
    pub push_allowed_hosts: Option<Vec<String>>,
    /// Allow push-resource URLs on loopback, private and link-local
    /// addresses, and plain http (tests, a push service on the LAN).
    pub push_allow_private_targets: Option<bool>,
    /// Least time between two messages for one collection, in ms.
    pub push_interval_ms: Option<u64>,
    /// Shortest password `user add`, `user passwd` and the web page accept.
    pub min_password_length: Option<usize>,
    /// Display names of the calendar and address book a new user's home
    /// starts with; an empty string makes none.
    pub first_calendar: Option<String>,
    pub first_addressbook: Option<String>,
    /// Domain of the users' calendar-user addresses: `<user>@<email_domain>`
    /// (RFC 6638 scheduling).
    pub email_domain: Option<String>,
    /// PEM certificate chain for built-in TLS (with `tls_key`).
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for built-in TLS (with `tls_cert`).
    pub tls_key: Option<PathBuf>,
    /// SMTP relay for invitations to addresses outside the server
    /// (`smtp://`, `smtp+starttls://`, `smtps://`); unset, no mail goes out.
    pub smtp_url: Option<String>,
    /// Sender of every invitation mail (the user then goes in Reply-To).
    pub smtp_from: Option<String>,
    /// First wait before a failed mail is tried again (doubling to an hour).
    pub smtp_retry_seconds: Option<u64>,
    /// Most mails waiting in the queue at once.
    pub smtp_queue_limit: Option<usize>,
}

/// The resolved settings the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub data: PathBuf,
    pub listen: SocketAddr,
    pub htpasswd: Option<PathBuf>,
    pub no_auth: bool,
    pub cache: Option<PathBuf>,
    pub max_resource_size: u64,
    pub hook: Option<String>,
    pub watch: crate::store::watcher::Mode,
    /// Time between two rescans by stats (`watch = "poll"`).
    pub poll_interval: std::time::Duration,
    /// `/caldav` style, or empty when served at the root.
    pub base_path: String,
    /// Longest time for reading one request body (at least a second).
    pub request_timeout: std::time::Duration,
    pub principal_search: PrincipalSearch,
    /// Login backoff counts the client a trusted proxy names, not the proxy.
    pub trusted_proxies: Vec<IpAddr>,
    /// Each home has the read-only birthday calendar made from its contacts,
    /// and its name is reserved; off, `birthdays` is an ordinary name.
    pub birthday_calendar: bool,
    /// The groups file `[share]` tables may name (`store::shares`).
    pub groups: Option<PathBuf>,
    /// Secrets and server state; [`crate::state_dir::default_for`] the data
    /// directory when not configured.
    pub state: PathBuf,
    /// How long a web-page login lasts.
    pub session_lifetime: std::time::Duration,
    /// Scheme, host and port for URLs shown to users; else the request's.
    pub public_url: Option<url::Url>,
    /// Days a deleted collection stays in its user's trash before it is purged.
    pub trash_days: u32,
    /// Bytes of request bodies held in memory at once (`http::upload_budget`).
    pub upload_memory: u64,
    /// WebDAV-Push settings; None when push is off.
    pub push: Option<crate::push::Settings>,
    pub min_password_length: usize,
    /// What a new home starts with (`None`: no such collection).
    pub first_collections: crate::store::FirstCollections,
    /// Built-in TLS; None serves plain HTTP (alone or behind a proxy).
    pub tls: Option<TlsFiles>,
    /// Domain of the users' calendar-user addresses (`schedule::addresses`).
    pub email_domain: Option<String>,
    /// Mail for outside attendees (iMIP); None when `smtp_url` is unset.
    pub imip: Option<crate::imip::Settings>,
    /// Bounds of the mail queue.
    pub imip_queue: crate::imip::queue::Limits,
}

/// The certificate and key files served over TLS; re-read when renewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("invalid config {0}: {1}")]
    Parse(PathBuf, toml::de::Error),
    #[error("invalid listen address {0:?}")]
    Listen(String),
    #[error("no authentication configured: give --htpasswd FILE, or --no-auth to run without (loopback only)")]
    NoAuth,
    #[error("--no-auth only listens on a loopback address, not {0}")]
    NoAuthPublic(SocketAddr),
    #[error("--htpasswd and --no-auth exclude each other")]
    BothAuth,
    #[error("invalid base path {0:?}: give an absolute URL path like /caldav")]
    BasePath(String),
    #[error("invalid public_url {0:?}: give an http or https URL like https://dav.example.org")]
    PublicUrl(String),
    #[error("{0}")]
    Imip(String),
    #[error("tls_cert and tls_key go together: give both PEM files (certificate chain and private key) for built-in TLS, or neither")]
    TlsPair,
}

impl FileConfig {
    pub fn read(path: &PathBuf) -> Result<FileConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.clone(), e))?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse(path.clone(), e))
    }

    /// Fills unset fields of `self` (the command line) from `file`.
    pub fn or(self, file: FileConfig) -> FileConfig {
        FileConfig {
            data: self.data.or(file.data),
            listen: self.listen.or(file.listen),
            htpasswd: self.htpasswd.or(file.htpasswd),
            no_auth: self.no_auth.or(file.no_auth),
            cache: self.cache.or(file.cache),
            max_resource_size: self.max_resource_size.or(file.max_resource_size),
            hook: self.hook.or(file.hook),
            watch: self.watch.or(file.watch),
            poll_interval: self.poll_interval.or(file.poll_interval),
            base_path: self.base_path.or(file.base_path),
            request_timeout: self.request_timeout.or(file.request_timeout),
            principal_search: self.principal_search.or(file.principal_search),
            trusted_proxies: self.trusted_proxies.or(file.trusted_proxies),
            birthday_calendar: self.birthday_calendar.or(file.birthday_calendar),
            groups: self.groups.or(file.groups),
            state: self.state.or(file.state),
            session_lifetime: self.session_lifetime.or(file.session_lifetime),
            public_url: self.public_url.or(file.public_url),
            trash_days: self.trash_days.or(file.trash_days),
            upload_memory: self.upload_memory.or(file.upload_memory),
            push: self.push.or(file.push),
            push_allowed_hosts: self.push_allowed_hosts.or(file.push_allowed_hosts),
            push_allow_private_targets: self
                .push_allow_private_targets
                .or(file.push_allow_private_targets),
            push_interval_ms: self.push_interval_ms.or(file.push_interval_ms),
            min_password_length: self.min_password_length.or(file.min_password_length),
            first_calendar: self.first_calendar.or(file.first_calendar),
            first_addressbook: self.first_addressbook.or(file.first_addressbook),
            email_domain: self.email_domain.or(file.email_domain),
            tls_cert: self.tls_cert.or(file.tls_cert),
            tls_key: self.tls_key.or(file.tls_key),
            smtp_url: self.smtp_url.or(file.smtp_url),
            smtp_from: self.smtp_from.or(file.smtp_from),
            smtp_retry_seconds: self.smtp_retry_seconds.or(file.smtp_retry_seconds),
            smtp_queue_limit: self.smtp_queue_limit.or(file.smtp_queue_limit),
        }
    }

    /// Checks the combination and applies defaults. Refuses to run without
    /// authentication unless asked to, and then only on loopback.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let listen_text = self.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen: SocketAddr = listen_text
            .parse()
            .map_err(|_| ConfigError::Listen(listen_text.clone()))?;
        let no_auth = self.no_auth.unwrap_or(false);
        match (&self.htpasswd, no_auth) {
            (Some(_), true) => return Err(ConfigError::BothAuth),
            (None, false) => return Err(ConfigError::NoAuth),
            (None, true) if !listen.ip().is_loopback() => {
                return Err(ConfigError::NoAuthPublic(listen))
            }
            _ => {}
        }
        let tls = match (self.tls_cert, self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            _ => return Err(ConfigError::TlsPair),
        };
        let imip = crate::imip::Settings::from_config(
            self.smtp_url.as_deref(),
            self.smtp_from.as_deref(),
            self.smtp_retry_seconds,
        )
        .map_err(ConfigError::Imip)?;
        let imip_queue = crate::imip::queue::Limits {
            messages: self
                .smtp_queue_limit
                .unwrap_or(crate::imip::queue::DEFAULT_LIMITS.messages),
            ..crate::imip::queue::DEFAULT_LIMITS
        };
        let data = self.data.unwrap_or_else(default_data_dir);
        Ok(Config {
            tls,
            email_domain: self.email_domain,
            imip,
            imip_queue,
            trash_days: self.trash_days.unwrap_or(DEFAULT_TRASH_DAYS),
            upload_memory: self.upload_memory.unwrap_or(DEFAULT_UPLOAD_MEMORY),
            state: self
                .state
                .unwrap_or_else(|| crate::state_dir::default_for(&data)),
            data,
            listen,
            htpasswd: self.htpasswd,
            no_auth,
            cache: self.cache,
            max_resource_size: self.max_resource_size.unwrap_or(DEFAULT_MAX_RESOURCE_SIZE),
            hook: self.hook,
            watch: self.watch.unwrap_or_default(),
            poll_interval: crate::store::watcher::Mode::poll_interval(self.poll_interval),
            base_path: base_path(self.base_path.as_deref().unwrap_or(""))?,
            request_timeout: std::time::Duration::from_secs(
                self.request_timeout
                    .unwrap_or(DEFAULT_REQUEST_TIMEOUT)
                    .max(1),
            ),
            principal_search: self.principal_search.unwrap_or_default(),
            trusted_proxies: self.trusted_proxies.unwrap_or_default(),
            birthday_calendar: self.birthday_calendar.unwrap_or(true),
            groups: self.groups,
            push: self.push.unwrap_or(true).then(|| crate::push::Settings {
                policy: crate::push::target::TargetPolicy {
                    allow_private: self.push_allow_private_targets.unwrap_or(false),
                    allowed_hosts: self.push_allowed_hosts.unwrap_or_default(),
                },
                interval: self.push_interval_ms.map_or(
                    crate::push::DEFAULT_INTERVAL,
                    std::time::Duration::from_millis,
                ),
            }),
            session_lifetime: std::time::Duration::from_secs(
                self.session_lifetime
                    .unwrap_or(DEFAULT_SESSION_LIFETIME)
                    .max(1),
            ),
            public_url: self.public_url.as_deref().map(public_url).transpose()?,
            min_password_length: self
                .min_password_length
                .unwrap_or(crate::accounts::users::DEFAULT_MIN_PASSWORD_LENGTH),
            first_collections: crate::store::FirstCollections::named(
                self.first_calendar.as_deref(),
                self.first_addressbook.as_deref(),
            ),
        })
    }
}

/// Normalises a base path: `/caldav/` → `/caldav`, `/` or empty → empty.
/// Segments are limited to URL-safe characters, so hrefs need no escaping.
fn base_path(text: &str) -> Result<String, ConfigError> {
    let trimmed = text.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let valid = trimmed.starts_with('/')
        && trimmed[1..].split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        });
    if valid {
        Ok(trimmed.to_string())
    } else {
        Err(ConfigError::BasePath(text.to_string()))
    }
}

/// An absolute http(s) URL with a host; its path is ignored (the server's
/// own paths, `base_path` included, follow it).
fn public_url(text: &str) -> Result<url::Url, ConfigError> {
    url::Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| ConfigError::PublicUrl(text.to_string()))
}

/// `$XDG_DATA_HOME/davdir` or `~/.local/share/davdir`, else `./davdir-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(x).join("davdir");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".local/share/davdir"),
        None => PathBuf::from("davdir-data"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_rules() {
        let base = FileConfig::default();
        assert!(matches!(base.clone().resolve(), Err(ConfigError::NoAuth)));
        let open = FileConfig {
            no_auth: Some(true),
            ..base.clone()
        };
        assert!(open.clone().resolve().is_ok());
        let public = FileConfig {
            listen: Some("0.0.0.0:5232".into()),
            ..open
        };
        assert!(matches!(
            public.resolve(),
            Err(ConfigError::NoAuthPublic(_))
        ));
        let file = FileConfig {
            htpasswd: Some("x".into()),
            listen: Some("[::1]:1".into()),
            ..base.clone()
        };
        let cfg = FileConfig::default().or(file).resolve().unwrap();
        assert_eq!(cfg.listen.port(), 1);
        assert!(toml::from_str::<FileConfig>("bogus = 1").is_err());
        let all: FileConfig = toml::from_str("principal_search = \"all\"").unwrap();
        assert_eq!(all.principal_search, Some(PrincipalSearch::All));
        assert_eq!(cfg.principal_search, PrincipalSearch::Own);
        assert!(toml::from_str::<FileConfig>("principal_search = \"everyone\"").is_err());
        let proxies: FileConfig = toml::from_str("trusted_proxies = [\"::1\"]").unwrap();
        assert_eq!(proxies.trusted_proxies, Some(vec!["::1".parse().unwrap()]));
        assert!(toml::from_str::<FileConfig>("trusted_proxies = [\"proxy\"]").is_err());
        assert!(cfg.birthday_calendar);
        let off: FileConfig = toml::from_str("birthday_calendar = false").unwrap();
        assert!(
            !FileConfig::default()
                .or(off)
                .or(file_auth())
                .resolve()
                .unwrap()
                .birthday_calendar
        );
    }

    #[test]
    fn tls_files_come_in_pairs() {
        let both: FileConfig = toml::from_str("tls_cert = \"c.pem\"\ntls_key = \"k.pem\"").unwrap();
        let tls = both.clone().or(file_auth()).resolve().unwrap().tls.unwrap();
        assert_eq!((tls.cert, tls.key), ("c.pem".into(), "k.pem".into()));
        assert!(file_auth().resolve().unwrap().tls.is_none());
        for half in [
            FileConfig {
                tls_key: None,
                ..both.clone()
            },
            FileConfig {
                tls_cert: None,
                ..both
            },
        ] {
            assert!(matches!(
                half.or(file_auth()).resolve(),
                Err(ConfigError::TlsPair)
            ));
        }
    }

    fn file_auth() -> FileConfig {
        FileConfig {
            no_auth: Some(true),
            ..FileConfig::default()
        }
    }

    #[test]
    fn base_paths_are_normalised_or_refused() {
        assert_eq!(base_path("").unwrap(), "");
        assert_eq!(base_path("/").unwrap(), "");
        assert_eq!(base_path("/caldav/").unwrap(), "/caldav");
        assert_eq!(base_path("/dav/cal.v2").unwrap(), "/dav/cal.v2");
        for bad in ["caldav", "/a//b", "/a/../b", "/with space", "/ü"] {
            assert!(base_path(bad).is_err(), "{bad}");
        }
        assert!(public_url("https://dav.example.org:8443").is_ok());
        for bad in ["dav.example.org", "ftp://x", "https://"] {
            assert!(public_url(bad).is_err(), "{bad}");
        }
    }
}
