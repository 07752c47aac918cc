//! Without logins (`--no-auth`, loopback only), the one thing between a
//! web page in the user's browser and her data is the Host header: a page
//! whose name is made to resolve to 127.0.0.1 (DNS rebinding) reaches the
//! server, but its requests still carry the page's own name. So in that
//! mode a request is served only when it names this server: a loopback
//! name, the listen address, or the host of `public_url`. The port is not
//! compared: a rebinding page cannot choose the host part, whatever port.

use actix_web::HttpRequest;

use crate::config::Config;

/// The host names a no-auth server answers to (lower case, IPv6 without
/// brackets).
#[derive(Debug, Clone)]
pub struct AllowedHosts(Vec<String>);

impl AllowedHosts {
    /// None when logins are required: then any Host is fine.
    pub fn for_config(config: &Config) -> Option<AllowedHosts> {
        if !config.no_auth {
            return None;
        }
        let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
            .iter()
            .map(|h| h.to_string())
            .collect();
        hosts.push(config.listen.ip().to_string());
        if let Some(host) = config.public_url.as_ref().and_then(|u| u.host_str()) {
            hosts.push(bare(host).to_ascii_lowercase());
        }
        let mut seen = std::collections::HashSet::new();
        hosts.retain(|h| seen.insert(h.clone()));
        Some(AllowedHosts(hosts))
    }

    /// Err with the reason when the request's Host names another server. A
    /// request without Host (HTTP/1.0) is served: browsers always send one.
    pub fn check(&self, req: &HttpRequest) -> Result<(), String> {
        let Some(value) = req.headers().get(actix_web::http::header::HOST) else {
            return Ok(());
        };
        let text = value.to_str().unwrap_or("");
        let host = host_part(text).to_ascii_lowercase();
        let host = host.strip_suffix('.').unwrap_or(&host);
        if self.0.iter().any(|h| h == host) {
            return Ok(());
        }
        Err(format!(
            "this server runs without logins, so it answers only to {} (or the host of public_url), not to Host {text:?}",
            self.0.join(", ")
        ))
    }
}

/// `host[:port]` or `[v6][:port]` without the port and brackets.
fn host_part(text: &str) -> &str {
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    text.split(':').next().unwrap_or("")
}

fn bare(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_part_drops_port_and_brackets() {
        assert_eq!(host_part("localhost:8080"), "localhost");
        assert_eq!(host_part("[::1]:5232"), "::1");
        assert_eq!(host_part("127.0.0.1"), "127.0.0.1");
        assert_eq!(host_part("evil.example"), "evil.example");
    }
}
