//! How the server learns of edits made outside it, as the `watch` key says:
//! `true` (inotify, the default), `false` (every request rescans its
//! collection) or `"poll"` (a rescan by stats every `poll_interval`, for
//! data directories on NFS or SMB, where inotify never hears of changes
//! made by other machines). Its own module so the config reads one word.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// Seconds between two poll rounds when `poll_interval` is not set.
pub const DEFAULT_POLL_INTERVAL: u64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// No watcher: each request rescans the collection it reads.
    Off,
    /// The OS's change notification (inotify on Linux).
    #[default]
    Notify,
    /// A rescan by stats at this interval.
    Poll,
}

impl Mode {
    /// The interval a `poll_interval` setting gives (at least a second).
    pub fn poll_interval(seconds: Option<u64>) -> Duration {
        Duration::from_secs(seconds.unwrap_or(DEFAULT_POLL_INTERVAL).max(1))
    }
}

impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Mode, D::Error> {
        d.deserialize_any(ModeVisitor)
    }
}

struct ModeVisitor;

impl Visitor<'_> for ModeVisitor {
    type Value = Mode;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("true, false or \"poll\"")
    }

    fn visit_bool<E: de::Error>(self, on: bool) -> Result<Mode, E> {
        Ok(if on { Mode::Notify } else { Mode::Off })
    }

    fn visit_str<E: de::Error>(self, word: &str) -> Result<Mode, E> {
        match word {
            "poll" => Ok(Mode::Poll),
            other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Doc {
        watch: Mode,
    }

    fn parse(text: &str) -> Result<Mode, toml::de::Error> {
        toml::from_str::<Doc>(text).map(|d| d.watch)
    }

    #[test]
    fn accepts_booleans_and_poll_only() {
        assert_eq!(parse("watch = true").unwrap(), Mode::Notify);
        assert_eq!(parse("watch = false").unwrap(), Mode::Off);
        assert_eq!(parse("watch = \"poll\"").unwrap(), Mode::Poll);
        let refused = parse("watch = \"inotify\"").unwrap_err().to_string();
        assert!(refused.contains("true, false or \"poll\""), "{refused}");
        assert!(parse("watch = 1").is_err());
        assert_eq!(Mode::poll_interval(None), Duration::from_secs(10));
        assert_eq!(Mode::poll_interval(Some(0)), Duration::from_secs(1));
    }
}
