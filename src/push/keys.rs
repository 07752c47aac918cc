//! The server's push secrets: the VAPID key pair (RFC 8292) that signs every
//! push message, and the key that turns a collection's path into its topic.
//! Both are made at first start and kept in the state directory, so the
//! public key clients registered with and the topics they know stay valid
//! across restarts.

use std::io;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use web_push_native::jwt_simple::algorithms::{
    ECDSAP256KeyPairLike, ECDSAP256PublicKeyLike, ES256KeyPair,
};
use web_push_native::jwt_simple::claims::Claims;

use super::target::origin;
use crate::state_dir::StateDir;

const VAPID_FILE: &str = "push-vapid.key";
const TOPIC_FILE: &str = "push-topic.key";

pub struct Keys {
    vapid: ES256KeyPair,
    /// The uncompressed public point, base64url: what `vapid-public-key` shows.
    public: String,
    topic_key: Vec<u8>,
}

impl Keys {
    /// Loads the keys from `state`, generating and saving any that is missing.
    pub fn load_or_create(state: &StateDir) -> io::Result<Keys> {
        let vapid = match state.read(VAPID_FILE)? {
            Some(bytes) => {
                let raw = URL_SAFE_NO_PAD
                    .decode(bytes.trim_ascii())
                    .map_err(|e| bad(VAPID_FILE, e))?;
                ES256KeyPair::from_bytes(&raw).map_err(|e| bad(VAPID_FILE, e))?
            }
            None => {
                let pair = ES256KeyPair::generate();
                state.write(
                    VAPID_FILE,
                    URL_SAFE_NO_PAD.encode(pair.to_bytes()).as_bytes(),
                )?;
                pair
            }
        };
        let topic_key = match state.read(TOPIC_FILE)? {
            Some(bytes) if bytes.len() >= 32 => bytes,
            Some(_) => return Err(bad(TOPIC_FILE, "shorter than 32 bytes")),
            None => {
                let key: [u8; 32] = rand::random();
                state.write(TOPIC_FILE, &key)?;
                key.to_vec()
            }
        };
        let public =
            URL_SAFE_NO_PAD.encode(vapid.public_key().public_key().to_bytes_uncompressed());
        Ok(Keys {
            vapid,
            public,
            topic_key,
        })
    }

    /// The `Authorization: vapid t=…, k=…` value (RFC 8292 §3) for a
    /// message to `endpoint`, valid for `valid` (at most 24 hours, §2).
    pub fn vapid_header(
        &self,
        endpoint: &url::Url,
        contact: &str,
        valid: std::time::Duration,
    ) -> Result<String, String> {
        let claims = Claims::create(valid.into())
            // RFC 8292 §2: the push resource's origin, a non-default port
            // included (the push service may refuse any other audience).
            .with_audience(origin(endpoint))
            .with_subject(contact);
        let token = self.vapid.sign(claims).map_err(|e| e.to_string())?;
        Ok(format!("vapid t={token}, k={}", self.public))
    }

    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// The collection's topic: a keyed hash of its path, stable while the
    /// collection keeps its name and telling nothing about it to the push
    /// service (a moved collection gets a new one).
    pub fn topic(&self, user: &str, collection: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.topic_key).expect("any key length");
        mac.update(user.as_bytes());
        mac.update(b"\0");
        mac.update(collection.as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..16])
    }
}

fn bad(file: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("state file {file}: {e}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_survive_reopen_and_topics_differ() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        let a = Keys::load_or_create(&state).unwrap();
        let b = Keys::load_or_create(&state).unwrap();
        assert_eq!(a.public_key(), b.public_key());
        assert_eq!(a.topic("demo", "work"), b.topic("demo", "work"));
        assert_ne!(a.topic("demo", "work"), a.topic("demo", "personal"));
        assert!(!a.topic("demo", "work").contains("work"));
        assert_eq!(URL_SAFE_NO_PAD.decode(a.public_key()).unwrap().len(), 65);
    }

    #[test]
    fn vapid_audience_is_the_origin_with_its_port() {
        use web_push_native::jwt_simple::prelude::{NoCustomClaims, VerificationOptions};
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::load_or_create(&StateDir::open(dir.path()).unwrap()).unwrap();
        for (endpoint, aud) in [
            (
                "https://push.example.net:8443/wpush/v2/x",
                "https://push.example.net:8443",
            ),
            (
                "https://push.example.net:443/x?y",
                "https://push.example.net",
            ),
            ("https://Push.Example.NET/x", "https://push.example.net"),
            ("http://127.0.0.1:8080/up/x", "http://127.0.0.1:8080"),
            ("http://[::1]:80/x", "http://[::1]"),
        ] {
            let url = url::Url::parse(endpoint).unwrap();
            assert_eq!(origin(&url), aud, "{endpoint}");
            let header = keys
                .vapid_header(&url, "mailto:a@b", std::time::Duration::from_secs(3600))
                .unwrap();
            let rest = header.strip_prefix("vapid t=").unwrap();
            let (token, k) = rest.split_once(", k=").unwrap();
            assert_eq!(k, keys.public_key());
            let claims = keys
                .vapid
                .public_key()
                .verify_token::<NoCustomClaims>(token, Some(VerificationOptions::default()))
                .unwrap();
            let audiences = claims.audiences.unwrap().into_set();
            assert_eq!(audiences.into_iter().collect::<Vec<_>>(), [aud.to_string()]);
            assert_eq!(claims.subject.as_deref(), Some("mailto:a@b"));
        }
    }
}
