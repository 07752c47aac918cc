//! The page's share of the server state, kept in actix's app data beside
//! the HTTP layer's `AppState` (`crate::router`), so that `http` holds
//! nothing of the page.

use std::net::IpAddr;

use crate::config::Config;

use super::session;

/// The page's share of the server state.
pub struct WebState {
    pub(super) sessions: session::Sessions,
    pub(super) proxies: Vec<IpAddr>,
    pub(super) public_url: Option<url::Url>,
    /// Days the trash keeps a deleted collection (config `trash_days`).
    pub(super) trash_days: u32,
    /// Web imports running or recently finished.
    pub(super) imports: super::jobs::Jobs,
}

impl WebState {
    pub fn new(config: &Config) -> WebState {
        WebState {
            sessions: session::Sessions::new(config.session_lifetime),
            proxies: config.trusted_proxies.clone(),
            public_url: config.public_url.clone(),
            trash_days: config.trash_days,
            imports: Default::default(),
        }
    }
}
