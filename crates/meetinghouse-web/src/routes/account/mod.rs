//! Accounts: sign up, sign in, sign out, verify email, reset password.
pub mod known_device;
pub mod login;
pub mod logout;
pub mod reset;
pub mod signup;
pub mod verify;

use axum::response::{IntoResponse, Redirect, Response};

use crate::viewer::{SESSION_COOKIE, set_cookie};

/// Redirects with the session cookie set (HttpOnly, SameSite=Lax, Secure under TLS).
pub fn signed_in_redirect(location: &str, token: &str, tls: bool) -> Response {
    let mut resp = Redirect::to(location).into_response();
    set_cookie(resp.headers_mut(), SESSION_COOKIE, token, meetinghouse_core::accounts::SESSION_TTL_SECS, tls);
    resp
}

/// After a completed password reset or a confirmed change of address: the
/// wrong passwords counted against the account are forgotten, so its owner
/// signs in again at once (`RateLimits::lift_account`). A failure to look
/// the account up is logged; what was done stands.
pub async fn lift_sign_in_lock(state: &crate::state::AppState, person: i64, ip: std::net::IpAddr) {
    match meetinghouse_core::accounts::sign_in_address(&state.db, person).await {
        Ok(Some(address)) => state.limits.lift_account(&address, ip).await,
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, person_id = person, "could not lift an account's sign-in lock"),
    }
}

/// Only same-site paths are followed after sign-in.
pub fn safe_next(next: &str) -> &str {
    if crate::middleware::is_local_path(next) { next } else { "/me" }
}

#[cfg(test)]
mod tests {
    /// After sign-in a browser goes only to a page on this site.
    #[test]
    fn sign_in_sends_people_only_to_this_site() {
        for (next, to) in [
            ("/stories/new?x=1", "/stories/new?x=1"),
            ("/", "/"),
            ("", "/me"),
            ("https://evil.example/", "/me"),
            ("//evil.example/", "/me"),
            ("/\\evil.example/", "/me"),
            ("/\t/evil.example/x", "/me"),
            ("/\n/evil.example/x", "/me"),
            ("/caf\u{e9}", "/me"),
        ] {
            assert_eq!(super::safe_next(next), to, "{next:?}");
        }
    }
}
