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
use web_push_native::jwt_simple::algorithms::{ECDSAP256PublicKeyLike, ES256KeyPair};

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

    pub fn vapid(&self) -> &ES256KeyPair {
        &self.vapid
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
}
