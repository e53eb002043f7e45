//! Password hashing (argon2id), random tokens, token hashing and HMAC
//! signatures. Every secret the app makes comes from here.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::{CoreError, Result};

/// Hashes a password with argon2id and its default (OWASP-level) parameters.
pub fn hash_password(password: &str) -> Result<String> {
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Internal(format!("password hashing failed: {e}")))
}

/// Checks a password against a stored hash; false on any mismatch or bad hash.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the account does not exist, so a wrong
/// email takes as long as a wrong password.
pub fn dummy_verify(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash_password("not a real password at all").unwrap_or_default());
    let _ = verify_password(password, stored);
}

/// 32 random bytes as 64 hex characters.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source is unavailable");
    hex(&bytes)
}

/// SHA-256 of a token, hex: what the database stores instead of the token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// HMAC-SHA256 of `message` under `key`, hex.
pub fn sign(key: &[u8], message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(message.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// Checks an HMAC in constant time.
pub fn verify_signature(key: &[u8], message: &str, signature_hex: &str) -> bool {
    let Some(sig) = unhex(signature_hex) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(message.as_bytes());
    mac.verify_slice(&sig).is_ok()
}

/// Compares two byte strings without an early exit, so timing reveals nothing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn signatures() {
        let s = sign(b"key", "hello");
        assert!(verify_signature(b"key", "hello", &s));
        assert!(!verify_signature(b"key", "hellO", &s));
        assert!(!verify_signature(b"other", "hello", &s));
        assert!(!verify_signature(b"key", "hello", "zz"));
        assert_eq!(random_token().len(), 64);
    }
}
