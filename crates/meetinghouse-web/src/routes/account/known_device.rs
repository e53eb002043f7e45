//! The known-device cookie (OWASP's "device cookie"): after a successful
//! sign-in (or a completed password reset) the browser is given a
//! long-lived cookie naming the account, signed with the instance's secret
//! key. A sign-in from a browser carrying a valid one for the account it
//! names is not held back by that account's or that address's budgets of
//! wrong passwords, only by a small budget of its own
//! (`ratelimit::Browser::Known`): nobody can lock an owner out of their
//! usual browser.
//!
//! The value is `person.generation.issued.nonce.signature`: the person's
//! id, the generation of the browsers their account knows (core
//! `accounts::Devices`), when it was issued (unix seconds), 128 random bits
//! in hex, and an HMAC-SHA-256 of the four under the instance's secret key.
//! A cookie is the account's only while its generation is the account's
//! current one: a new password (a reset, a change, one set from the
//! command line) and "sign out everywhere else" move the generation on, so
//! every cookie issued before, a stolen one too, makes its browser known no
//! more. It signs nobody in and is kept when its browser signs out. A
//! browser holds one, for the account it last signed in to; a new sign-in
//! gives it a new one (a new nonce, so a new budget). Written by the
//! site's one cookie writer (`viewer::set_cookie`: HttpOnly, SameSite=Lax,
//! and `__Host-`, Secure under an https base URL).

use axum::http::HeaderMap;
use meetinghouse_core::{CoreError, Db, accounts, secrets};

use crate::viewer::{set_cookie, site_cookie};

/// The cookie's plain name (`__Host-mh_device` under TLS).
pub const DEVICE_COOKIE: &str = "mh_device";

/// How long a browser stays known after it last signed in: a year.
pub const DEVICE_TTL_SECS: i64 = 365 * 24 * 3600;

/// A clock step this large (another app server's clock ahead) still
/// accepts a cookie issued "in the future".
const CLOCK_SKEW_SECS: i64 = 300;

/// A valid known-device cookie: whose browser it is, of which generation
/// of their account's browsers, and its nonce (the key of its own budget of
/// wrong passwords).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDevice {
    pub person: i64,
    pub generation: i64,
    pub nonce: String,
}

impl KnownDevice {
    /// Whether the cookie is the browser of the account `devices` names,
    /// of its current generation.
    pub fn is_of(&self, devices: &accounts::Devices) -> bool {
        self.person == devices.person && self.generation == devices.generation
    }
}

// Not the message of any other signature made with the same key
// (`anon|…`, `csrf|…`, `unsubscribe|…`), nor of a cookie from before
// generations (`device|person|issued|nonce`), which had one field fewer.
fn message(person: i64, generation: i64, issued: i64, nonce: &str) -> String {
    format!("device|{person}|g{generation}|{issued}|{nonce}")
}

/// A new cookie value for `person`'s browser, of their account's browsers'
/// `generation`, issued at `now`.
pub fn issue(secret_key: &str, person: i64, generation: i64, now: i64) -> String {
    let nonce = &secrets::random_token()[..32];
    format!("{person}.{generation}.{now}.{nonce}.{}", secrets::sign(secret_key.as_bytes(), &message(person, generation, now, nonce)))
}

/// Reads a value: `None` when it is not one this site issued (made up,
/// altered, signed with another key, or from before generations) or it is
/// older than [`DEVICE_TTL_SECS`]. Whether its generation is still the
/// account's is for the caller to ask ([`KnownDevice::is_of`]).
pub fn parse(secret_key: &str, value: &str, now: i64) -> Option<KnownDevice> {
    let mut parts = value.split('.');
    let (person, generation, issued, nonce, signature) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) || signature.len() != 64 {
        return None;
    }
    let (person, generation, issued) = (person.parse::<i64>().ok()?, generation.parse::<i64>().ok()?, issued.parse::<i64>().ok()?);
    let fresh = issued <= now + CLOCK_SKEW_SECS && now - issued <= DEVICE_TTL_SECS;
    (fresh && secrets::verify_signature(secret_key.as_bytes(), &message(person, generation, issued, nonce), signature))
        .then(|| KnownDevice { person, generation, nonce: nonce.to_string() })
}

/// The request's valid known-device cookie, if it carries one.
pub fn read(headers: &HeaderMap, secret_key: &str, tls: bool, now: i64) -> Option<KnownDevice> {
    parse(secret_key, site_cookie(headers, DEVICE_COOKIE, tls)?, now)
}

/// Gives the browser a new known-device cookie for `person`, of their
/// account's current generation of browsers.
pub async fn remember(db: &Db, headers: &mut HeaderMap, secret_key: &str, person: i64, tls: bool) -> Result<(), CoreError> {
    let generation = accounts::device_generation(db, person).await?;
    set(headers, secret_key, person, generation, tls);
    Ok(())
}

/// Sets the cookie for `person`'s browser of `generation`.
fn set(headers: &mut HeaderMap, secret_key: &str, person: i64, generation: i64, tls: bool) {
    let now = meetinghouse_store::now();
    set_cookie(headers, DEVICE_COOKIE, &issue(secret_key, person, generation, now), DEVICE_TTL_SECS, tls);
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "the instance's secret key";

    #[test]
    fn only_a_fresh_value_signed_here_is_a_known_device() {
        let value = issue(KEY, 7, 3, 1_000_000);
        let known = parse(KEY, &value, 1_000_100).expect("valid");
        assert_eq!((known.person, known.generation), (7, 3));
        assert_eq!(known.nonce.len(), 32);
        assert_ne!(parse(KEY, &issue(KEY, 7, 3, 1_000_000), 1_000_100).unwrap().nonce, known.nonce, "each has its own nonce");
        assert_eq!(parse("another instance", &value, 1_000_100), None, "another key");
        assert_eq!(parse(KEY, &value.replacen("7.", "8.", 1), 1_000_100), None, "another person");
        assert_eq!(parse(KEY, &value.replacen("7.3.", "7.4.", 1), 1_000_100), None, "another generation");
        assert_eq!(parse(KEY, &value, 1_000_000 + DEVICE_TTL_SECS + 1), None, "too old");
        assert_eq!(parse(KEY, &value, 1_000_000 - 3600), None, "issued in the future");
        // A cookie from before generations (four fields, signed without one) is not read.
        let nonce = "0123456789abcdef0123456789abcdef";
        let old = format!("7.1000000.{nonce}.{}", secrets::sign(KEY.as_bytes(), &format!("device|7|1000000|{nonce}")));
        assert_eq!(parse(KEY, &old, 1_000_100), None, "an old cookie");
        for bad in ["", "7", "7.1.2.3", "7.1.2.3.4", "a.b.c.d.e", &format!("{value}.x")] {
            assert_eq!(parse(KEY, bad, 1_000_100), None, "{bad}");
        }
        // Only the account's current generation is its browser.
        assert!(known.is_of(&accounts::Devices { person: 7, generation: 3 }));
        assert!(!known.is_of(&accounts::Devices { person: 7, generation: 4 }), "a new password or signing out everywhere else");
        assert!(!known.is_of(&accounts::Devices { person: 8, generation: 3 }), "another account");
    }

    #[test]
    fn the_cookie_is_written_as_the_session_cookie_is() {
        let mut headers = HeaderMap::new();
        set(&mut headers, KEY, 7, 0, true);
        let set = headers[axum::http::header::SET_COOKIE].to_str().unwrap();
        assert!(set.starts_with("__Host-mh_device=7.0.") && set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("; Secure"), "{set}");
        assert!(set.contains(&format!("Max-Age={DEVICE_TTL_SECS}")), "{set}");
    }
}
