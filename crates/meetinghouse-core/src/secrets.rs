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

/// How many argon2 hashes or verifications run at once in this process:
/// each takes about 30 ms of a CPU and 19 MiB of memory, so a flood of
/// sign-ins, sign-ups or resets waits its turn here instead of taking every
/// core (and the memory) from the pages everyone else is asking for.
pub const PASSWORD_WORK_AT_ONCE: usize = 2;

/// Runs one piece of argon2 work on tokio's blocking threads, never on the
/// threads that serve requests, at most [`PASSWORD_WORK_AT_ONCE`] at a time.
async fn password_work<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    static PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(PASSWORD_WORK_AT_ONCE);
    let permit = PERMITS.acquire().await.map_err(|e| CoreError::Internal(format!("password work: {e}")))?;
    // The permit goes with the work: a request given up on (the browser
    // closed) does not free a turn while its hash is still being made.
    let work = move || {
        let _permit = permit;
        work()
    };
    tokio::task::spawn_blocking(work).await.map_err(|e| CoreError::Internal(format!("password work stopped: {e}")))
}

/// [`hash_password`] off the async threads, queued behind
/// [`PASSWORD_WORK_AT_ONCE`]: what request handlers use.
pub async fn hash_password_queued(password: &str) -> Result<String> {
    let password = password.to_string();
    password_work(move || hash_password(&password)).await?
}

/// [`verify_password`] off the async threads, queued behind
/// [`PASSWORD_WORK_AT_ONCE`]. False also when the work could not run.
pub async fn verify_password_queued(password: &str, stored: &str) -> bool {
    let (password, stored) = (password.to_string(), stored.to_string());
    password_work(move || verify_password(&password, &stored)).await.unwrap_or(false)
}

/// [`dummy_verify`] off the async threads, queued behind
/// [`PASSWORD_WORK_AT_ONCE`].
pub async fn dummy_verify_queued(password: &str) {
    let password = password.to_string();
    let _ = password_work(move || dummy_verify(&password)).await;
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

    #[tokio::test]
    async fn queued_password_work_gives_the_same_answers() {
        let h = hash_password_queued("correct horse battery").await.unwrap();
        assert!(verify_password_queued("correct horse battery", &h).await);
        assert!(!verify_password_queued("wrong horse battery", &h).await);
        // More at once than the permits: all finish, none is refused.
        let all = (0..PASSWORD_WORK_AT_ONCE * 3).map(|_| {
            let h = h.clone();
            tokio::spawn(async move { verify_password_queued("correct horse battery", &h).await })
        });
        for one in all {
            assert!(one.await.unwrap());
        }
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
