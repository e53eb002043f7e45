//! Accounts: sign up, sign in, sign out, verify email, reset password.
pub mod login;
pub mod logout;
pub mod reset;
pub mod signup;
pub mod verify;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::viewer::SESSION_COOKIE;

/// Redirects with the session cookie set (HttpOnly, SameSite=Lax, Secure under TLS).
pub fn signed_in_redirect(location: &str, token: &str, tls: bool) -> Response {
    let secure = if tls { "; Secure" } else { "" };
    let max_age = meetinghouse_core::accounts::SESSION_TTL_SECS;
    let mut resp = Redirect::to(location).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    )) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// Only same-site paths are followed after sign-in.
pub fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') { next } else { "/me" }
}
