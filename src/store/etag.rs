//! Strong ETags: the SHA-256 of a file's bytes, so any edit (ours or by hand)
//! changes it. Kept as 32 raw bytes in the index (100k objects add up); shown
//! as lowercase hex, the HTTP layer adds the quotes.

use std::fmt;

use sha2::{Digest, Sha256};

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Etag([u8; 32]);

impl Etag {
    pub fn of_bytes(bytes: &[u8]) -> Etag {
        Etag(Sha256::digest(bytes).into())
    }

    pub fn parse_hex(text: &str) -> Option<Etag> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).ok()?;
        Some(Etag(out))
    }
}

impl fmt::Display for Etag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // On the stack: listings show one per member.
        let mut buf = [0u8; 64];
        hex::encode_to_slice(self.0, &mut buf).map_err(|_| fmt::Error)?;
        f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Etag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Etag({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::Etag;

    #[test]
    fn known_value_and_round_trip() {
        let e = Etag::of_bytes(b"abc");
        assert_eq!(
            e.to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Etag::parse_hex(&e.to_string()), Some(e));
        assert_eq!(Etag::parse_hex("xyz"), None);
    }
}
