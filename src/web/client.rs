//! What the web page needs to know about the browser's connection: whether
//! it came over TLS (the cookie's `Secure`), which client it is (login
//! backoff), and the origin the user reaches the server at (URLs shown and
//! written into Apple profiles).

use std::net::IpAddr;

use actix_web::http::header;
use actix_web::HttpRequest;

/// Scheme, host and port the server is reached at, with the base path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub https: bool,
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// `scheme://host[:port]` (the port only when not the scheme's default).
    pub fn url(&self, scheme: &str) -> String {
        let default = if self.https { 443 } else { 80 };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == default {
            format!("{scheme}://{host}")
        } else {
            format!("{scheme}://{host}:{}", self.port)
        }
    }

    pub fn http(&self) -> String {
        self.url(if self.https { "https" } else { "http" })
    }

    /// The same origin as a `webcal://` subscription URL (calendar apps
    /// fetch it over HTTPS when the server offers it).
    pub fn webcal(&self) -> String {
        self.url("webcal")
    }
}

/// Whether the browser's request came over TLS: a TLS listener, or a
/// trusted proxy saying so in `X-Forwarded-Proto` (anyone else's claim is
/// ignored, or a plain-HTTP client could make the cookie look secure).
pub fn is_tls(req: &HttpRequest, proxies: &[IpAddr]) -> bool {
    if req.app_config().secure() {
        return true;
    }
    let from_proxy = req.peer_addr().is_some_and(|p| proxies.contains(&p.ip()));
    from_proxy
        && req
            .headers()
            .get_all("x-forwarded-proto")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// The client a request comes from, as the DAV login backoff counts it.
pub fn address(req: &HttpRequest, proxies: &[IpAddr]) -> Option<IpAddr> {
    crate::http::auth::client_address(req.peer_addr().map(|a| a.ip()), proxies, req.headers())
}

/// The configured public URL's origin, else the one the browser used
/// (its `Host` header and the connection's scheme).
pub fn origin(req: &HttpRequest, public: Option<&url::Url>, proxies: &[IpAddr]) -> Origin {
    if let Some(u) = public {
        let https = u.scheme() == "https";
        return Origin {
            https,
            host: u
                .host_str()
                .unwrap_or("localhost")
                .trim_matches(['[', ']'])
                .to_string(),
            port: u
                .port_or_known_default()
                .unwrap_or(if https { 443 } else { 80 }),
        };
    }
    let https = is_tls(req, proxies);
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_else(|| req.app_config().host());
    let scheme = if https { "https" } else { "http" };
    match url::Url::parse(&format!("{scheme}://{host}/")) {
        Ok(u) if u.host_str().is_some() => Origin {
            https,
            host: u
                .host_str()
                .unwrap_or_default()
                .trim_matches(['[', ']'])
                .to_string(),
            port: u.port_or_known_default().unwrap_or(80),
        },
        _ => Origin {
            https,
            host: req.app_config().local_addr().ip().to_string(),
            port: req.app_config().local_addr().port(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_leave_out_default_ports() {
        let o = Origin {
            https: true,
            host: "dav.example.org".into(),
            port: 443,
        };
        assert_eq!(o.http(), "https://dav.example.org");
        assert_eq!(o.webcal(), "webcal://dav.example.org");
        let local = Origin {
            https: false,
            host: "::1".into(),
            port: 5232,
        };
        assert_eq!(local.http(), "http://[::1]:5232");
    }
}
