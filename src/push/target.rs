//! Which push services the server may send to. A registration names any URL,
//! so without a check a user could make the server post into its local
//! network; push-resource URLs that are not https, or whose host resolves to
//! a loopback, private or link-local address, are refused unless the
//! administrator allows them (`push_allow_private_targets`), and the hosts
//! can be limited to a list (`push_allowed_hosts`). The same check runs on
//! every address the delivery client connects to, so a name that later
//! resolves elsewhere is caught too.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use url::{Host, Url};

use super::PushError;

#[derive(Debug, Clone, Default)]
pub struct TargetPolicy {
    /// Loopback, private and link-local targets, and plain http, allowed.
    pub allow_private: bool,
    /// When not empty, the only hosts (exact names) a push may go to.
    pub allowed_hosts: Vec<String>,
}

/// Longest push-resource URL accepted; real ones are a few hundred bytes.
pub const MAX_URL: usize = 2048;

impl TargetPolicy {
    /// Checks a push-resource URL before it is stored: scheme, host list,
    /// and the addresses its host resolves to now (blocking lookup).
    pub fn check(&self, text: &str) -> Result<Url, PushError> {
        let url = self.check_url(text)?;
        if let Some(Host::Domain(name)) = url.host() {
            let port = url.port_or_known_default().unwrap_or(443);
            let addrs: Vec<SocketAddr> = (name, port)
                .to_socket_addrs()
                .map_err(|e| refused(format!("cannot resolve {name}: {e}")))?
                .collect();
            if addrs.is_empty() {
                return Err(refused(format!("{name} has no address")));
            }
            for addr in addrs {
                self.check_ip(addr.ip())?;
            }
        }
        Ok(url)
    }

    /// The checks that need no lookup: length, scheme, host list, and an
    /// address written in the URL itself.
    pub fn check_url(&self, text: &str) -> Result<Url, PushError> {
        if text.len() > MAX_URL {
            return Err(refused("push-resource URL too long".into()));
        }
        let url = Url::parse(text.trim())
            .map_err(|e| PushError::InvalidSubscription(format!("push-resource: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_private => {}
            other => return Err(refused(format!("scheme {other} not allowed"))),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refused("credentials in push-resource".into()));
        }
        let host = url
            .host()
            .ok_or_else(|| refused("push-resource has no host".into()))?;
        if !self.allowed_hosts.is_empty() {
            let name = host.to_string();
            let name = name.trim_start_matches('[').trim_end_matches(']');
            if !self
                .allowed_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name))
            {
                return Err(refused(format!("host {name} not in push_allowed_hosts")));
            }
        }
        match host {
            Host::Ipv4(ip) => self.check_ip(IpAddr::V4(ip))?,
            Host::Ipv6(ip) => self.check_ip(IpAddr::V6(ip))?,
            Host::Domain(_) => {}
        }
        Ok(url)
    }

    pub fn check_ip(&self, ip: IpAddr) -> Result<(), PushError> {
        if !self.allow_private && is_local(ip) {
            return Err(refused(format!("{ip} is a local or private address")));
        }
        Ok(())
    }
}

/// A push resource's origin, `scheme://host[:port]` with the port only when
/// not the scheme's default: the VAPID audience (RFC 8292 §2) and the unit
/// that delivery limits per push service.
pub fn origin(endpoint: &Url) -> String {
    endpoint.origin().ascii_serialization()
}

/// [`origin`] of a stored push-resource URL (checked when registered; the
/// text itself should one no longer parse).
pub fn origin_of(endpoint: &str) -> String {
    Url::parse(endpoint).map_or_else(|_| endpoint.to_string(), |u| origin(&u))
}

fn refused(why: String) -> PushError {
    PushError::TargetRefused(why)
}

/// Addresses inside a host or its network: loopback, private, link-local,
/// shared (CGNAT), unspecified, multicast and broadcast.
pub fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_local(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// The delivery client's resolver: drops every address the policy refuses,
/// so a DNS answer that changed since registration cannot reach inside.
pub struct GuardedResolver(pub Arc<TargetPolicy>);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> =
                found.filter(|a| policy.check_ip(a.ip()).is_ok()).collect();
            if allowed.is_empty() {
                return Err(format!("no allowed address for {host}").into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_targets_refused_by_default() {
        let strict = TargetPolicy::default();
        for bad in [
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://192.168.0.1/x",
            "https://169.254.169.254/latest",
            "https://[::1]/x",
            "https://[fe80::1]/x",
            "https://[fd00::1]/x",
            "https://[::ffff:127.0.0.1]/x",
            "http://push.example.net/x",
            "ftp://push.example.net/x",
            "https://user:pw@push.example.net/x",
            "https://localhost/x",
        ] {
            assert!(strict.check(bad).is_err(), "{bad}");
        }
        assert!(strict.check_url("https://push.example.net/x").is_ok());
        let lax = TargetPolicy {
            allow_private: true,
            allowed_hosts: vec![],
        };
        assert!(lax.check("http://127.0.0.1:9/x").is_ok());
        let listed = TargetPolicy {
            allow_private: false,
            allowed_hosts: vec!["push.example.net".into()],
        };
        assert!(listed.check_url("https://push.example.net/x").is_ok());
        assert!(listed.check_url("https://other.example.net/x").is_err());
    }
}
