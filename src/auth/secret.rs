//! Secrets: argon2 password hashes, random bearer tokens stored as SHA-256, one-time codes.
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};

pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default().hash_password(password.as_bytes()).map(|hash| hash.to_string()).map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// The argon2 hash (default parameters) of a password nobody knows: a log-in with an unknown
/// user name is verified against it, so that it costs what a known one does and the answer's
/// timing does not tell which user names exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$qtgkpr5/dFUnyXuqPEGihg$K0k3Mr70ysCc7413IhbuoWKnsc3Xvv2uOBcbK33gDPM";

/// Verifies a password against an account's hash, or against [`DUMMY_HASH`] (always false)
/// when there is no such account: the same argon2 work either way.
pub fn verify_password_or_dummy(password: &str, hash: Option<&str>) -> bool {
    let matched = verify_password(password, hash.unwrap_or(DUMMY_HASH));
    matched && hash.is_some()
}

/// A random 256-bit bearer token, URL-safe.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens and one-time codes are stored only as their SHA-256: a fast hash is right
/// here because they are long random values, not guessable passwords.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A judge's one-time code: 10 characters from an alphabet without look-alikes, easy to
/// type on a tablet (about 50 bits).
pub fn new_login_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..10).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// A generated password for a new organizer account.
pub fn new_password() -> String {
    let bytes: [u8; 15] = rand::rng().random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Normalises what a judge types: case and separators do not matter.
pub fn normalise_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let hash = hash_password("correct horse").unwrap_or_default();
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does_and_matches_nothing() {
        let real = hash_password("correct horse").unwrap_or_default();
        let params = |h: &str| PasswordHash::new(h).map(|p| p.params.to_string()).unwrap_or_default();
        assert!(params(DUMMY_HASH).contains("m="), "{DUMMY_HASH}");
        assert_eq!(params(DUMMY_HASH), params(&real), "same argon2 parameters as a new hash");
        assert!(!verify_password_or_dummy("correct horse", None));
        assert!(verify_password_or_dummy("correct horse", Some(&real)));
        assert!(!verify_password_or_dummy("wrong horse", Some(&real)));
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(sha256_hex("abc").len(), 64);
        assert_eq!(normalise_code("abcd-efgh 23"), "ABCDEFGH23");
    }
}
