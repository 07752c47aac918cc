//! Strong ETags: the SHA-256 of a file's bytes, so any edit (ours or by hand) changes it.

use sha2::{Digest, Sha256};

/// Hex SHA-256 of the bytes; the HTTP layer adds the quotes.
pub fn of_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_value() {
        assert_eq!(
            super::of_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
