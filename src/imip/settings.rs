//! The mail settings of the config (`smtp_url`, `smtp_from`,
//! `smtp_retry_seconds`), read once at start so a typo stops the server
//! with a reason instead of silently losing every invitation later.
//!
//! Three schemes, each with one meaning and no query options to learn:
//! `smtp://` is plain SMTP (a relay on the same host or LAN, port 25),
//! `smtp+starttls://` must upgrade with STARTTLS (port 587),
//! `smtps://` is TLS from the first byte (port 465). Credentials, when the
//! relay wants them, are the URL's user and password (percent-encoded).

use std::time::Duration;

use lettre::message::Mailbox;

/// First wait before a failed message is tried again; it doubles each time.
pub const DEFAULT_RETRY: Duration = Duration::from_secs(60);

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtp://`: no TLS (a local MTA).
    Plain,
    /// `smtp+starttls://`: STARTTLS is required; a relay without it fails.
    StartTls,
    /// `smtps://`: implicit TLS.
    Tls,
}

/// Where and how mail is handed over.
#[derive(Clone, PartialEq, Eq)]
pub struct Relay {
    pub security: Security,
    pub host: String,
    pub port: u16,
    /// User and password, decoded.
    pub credentials: Option<(String, String)>,
}

/// Credentials never reach a log line through `{:?}`.
impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("security", &self.security)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("credentials", &self.credentials.as_ref().map(|_| "…"))
            .finish()
    }
}

/// The resolved iMIP settings; present only when `smtp_url` is set.
#[derive(Debug, Clone)]
pub struct Settings {
    pub relay: Relay,
    /// When set, every mail is From this address (with the user in Reply-To).
    pub from: Option<Mailbox>,
    /// First retry delay (doubling up to an hour).
    pub retry: Duration,
}

impl Settings {
    /// Reads the three keys; `None` when `smtp_url` is unset (mail is off).
    pub fn from_config(
        url: Option<&str>,
        from: Option<&str>,
        retry_seconds: Option<u64>,
    ) -> Result<Option<Settings>, String> {
        let Some(url) = url else {
            if from.is_some() {
                return Err(
                    "smtp_from is set but smtp_url is not: mail is off without a relay".into(),
                );
            }
            return Ok(None);
        };
        let from = from
            .map(|f| {
                f.parse::<Mailbox>()
                    .map_err(|e| format!("smtp_from {f:?} is no mail address: {e}"))
            })
            .transpose()?;
        Ok(Some(Settings {
            relay: parse_url(url)?,
            from,
            retry: retry_seconds.map_or(DEFAULT_RETRY, |s| Duration::from_secs(s.max(1))),
        }))
    }
}

/// `smtp[+starttls|s]://[user[:password]@]host[:port]`, nothing else.
pub fn parse_url(text: &str) -> Result<Relay, String> {
    let bad = |why: &str| {
        format!("smtp_url: {why} (e.g. smtp://127.0.0.1:25, smtp+starttls://user:password@mail.example.org:587, smtps://mail.example.org)")
    };
    let url = url::Url::parse(text).map_err(|e| bad(&e.to_string()))?;
    let (security, default_port) = match url.scheme() {
        "smtp" => (Security::Plain, 25),
        "smtp+starttls" => (Security::StartTls, 587),
        "smtps" => (Security::Tls, 465),
        other => return Err(bad(&format!("unknown scheme {other:?}"))),
    };
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("no host"))?;
    if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
        return Err(bad("only scheme, credentials, host and port are read"));
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| bad("credentials are not UTF-8"))
    };
    let credentials = match (url.username(), url.password()) {
        ("", None) => None,
        (user, password) => Some((decode(user)?, decode(password.unwrap_or(""))?)),
    };
    if credentials.is_some() && security == Security::Plain {
        return Err(bad(
            "credentials over plain smtp:// would cross the network unencrypted: use smtp+starttls:// or smtps://",
        ));
    }
    Ok(Relay {
        security,
        // An IPv6 literal comes bracketed; the socket wants it bare.
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
        port: url.port().unwrap_or(default_port),
        credentials,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_schemes_and_their_ports() {
        let plain = parse_url("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (plain.security, plain.host.as_str(), plain.port),
            (Security::Plain, "127.0.0.1", 2525)
        );
        assert_eq!(parse_url("smtp://localhost").unwrap().port, 25);
        let starttls = parse_url("smtp+starttls://me%40x.org:p%3Ass@mail.x.org").unwrap();
        assert_eq!(
            (starttls.security, starttls.port),
            (Security::StartTls, 587)
        );
        assert_eq!(
            starttls.credentials,
            Some(("me@x.org".into(), "p:ss".into()))
        );
        assert!(!format!("{starttls:?}").contains("p:ss"));
        let tls = parse_url("smtps://[::1]").unwrap();
        assert_eq!(
            (tls.security, tls.host.as_str(), tls.port),
            (Security::Tls, "::1", 465)
        );
    }

    #[test]
    fn everything_else_is_refused_with_a_reason() {
        for bad in [
            "mail.example.org",
            "http://mail.example.org",
            "smtp://",
            "smtp://host/path",
            "smtp://host?tls=required",
            "smtp://user:pw@host",
        ] {
            let e = parse_url(bad).unwrap_err();
            assert!(e.starts_with("smtp_url: "), "{bad}: {e}");
        }
        assert!(Settings::from_config(None, Some("x@y.org"), None).is_err());
        assert!(Settings::from_config(Some("smtp://h"), Some("no address"), None).is_err());
        assert!(Settings::from_config(None, None, None).unwrap().is_none());
        let s = Settings::from_config(Some("smtp://h"), Some("Cal <cal@y.org>"), Some(0))
            .unwrap()
            .unwrap();
        assert_eq!(s.from.unwrap().email.to_string(), "cal@y.org");
        assert_eq!(s.retry, Duration::from_secs(1));
    }
}
