//! App password secrets: random, typeable, and findable without hashing.
//!
//! A secret is six groups of five lowercase letters and digits
//! (`abcde-fghij-...`). The first group is stored in clear as a hint so a
//! login checks only the one argon2 hash it can match; the other 25
//! characters carry log2(36^25) ≈ 129 bits of secret.

use rand::Rng;

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const GROUPS: usize = 6;
const GROUP_LEN: usize = 5;
/// Characters of a normalised secret.
pub const LEN: usize = GROUPS * GROUP_LEN;

/// A fresh secret from the operating system's random source, with dashes.
pub fn generate() -> String {
    let mut rng = rand::rngs::OsRng;
    let chars: Vec<char> = (0..LEN)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(GROUP_LEN)
        .map(|g| g.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The secret as typed, without dashes or spaces and in lower case; `None`
/// when it cannot be an app password (so no hashing is spent on it).
pub fn normalise(typed: &str) -> Option<String> {
    if typed.len() > 2 * LEN {
        return None;
    }
    let s: String = typed
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (s.len() == LEN && s.bytes().all(|b| ALPHABET.contains(&b))).then_some(s)
}

/// The clear part stored beside the hash.
pub fn hint(normalised: &str) -> &str {
    &normalised[..GROUP_LEN]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_and_normalising() {
        let s = generate();
        assert_eq!(s.len(), LEN + GROUPS - 1);
        let n = normalise(&s).unwrap();
        assert_eq!(n, s.replace('-', ""));
        assert_eq!(normalise(&s.to_uppercase()), Some(n.clone()));
        assert_eq!(normalise(&n), Some(n.clone()));
        assert_eq!(normalise("demo"), None);
        assert_eq!(normalise(&"!".repeat(LEN)), None);
        assert_ne!(generate(), s);
        // 25 secret characters of 36 symbols: at least 128 bits.
        assert!((LEN - GROUP_LEN) as f64 * 36f64.log2() >= 128.0);
    }
}
