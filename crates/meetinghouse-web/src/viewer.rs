//! Who is asking: the signed-in person (from the session cookie), the CSRF
//! token their forms must carry, a one-shot flash message, and their address.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use meetinghouse_core::settings::Settings;
use meetinghouse_core::{Actor, accounts, secrets};

use crate::error::WebError;
use crate::middleware::AnonId;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "mh_session";
pub const ANON_COOKIE: &str = "mh_anon";
/// Set once a browser without an account has taken part somewhere (voted or
/// added a statement): pages may then show its own votes and position, so
/// the page cache never answers it.
pub const TOOK_PART_COOKIE: &str = "mh_took_part";
pub const FLASH_COOKIE: &str = "mh_flash";

#[derive(Clone)]
pub struct Viewer {
    pub actor: Option<Actor>,
    pub session_token: Option<String>,
    pub csrf: String,
    pub flash: Option<String>,
    pub ip: IpAddr,
    pub settings: Arc<Settings>,
    /// Unread notifications of the signed-in person (one indexed count).
    pub unread: i64,
    /// This browser's anonymous token (its cookie, or the one this response
    /// sets): what identifies a participant without an account where a host
    /// allows that. Never shown in a page.
    pub anon: String,
    /// The page asked for (path and query), when it is one to come back to
    /// after signing in: a GET on this site. Sent to the sign-in page as
    /// `next`, which checks it again before following it.
    pub return_to: Option<String>,
}

impl std::fmt::Debug for Viewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Viewer")
            .field("actor", &self.actor.as_ref().map(|a| &a.handle))
            .field("session_token", &self.session_token.as_ref().map(|_| "[redacted]"))
            .field("ip", &self.ip)
            .finish_non_exhaustive()
    }
}

impl Viewer {
    /// Whether a submitted CSRF token is the one issued to this viewer.
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        secrets::constant_time_eq(submitted.as_bytes(), self.csrf.as_bytes())
    }

    /// The signed-in person, or a 401-style redirect to the sign-in page.
    pub fn require(&self) -> Result<&Actor, WebError> {
        self.actor.as_ref().ok_or_else(|| WebError::SignInNeeded(self.return_to.clone()))
    }

    pub fn require_admin(&self) -> Result<&Actor, WebError> {
        let a = self.require()?;
        if a.is_admin { Ok(a) } else { Err(WebError::Forbidden("This page is for the meeting house's admins.".into())) }
    }
}

/// Reads one cookie from the request headers.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    cookie_in(&parts.headers, name)
}

/// Sets one of this site's cookies on a response: whole site, never readable
/// by scripts, not sent on cross-site requests, `Secure` under TLS.
/// `max_age_secs` 0 removes it. Every cookie the site sets goes through here.
pub fn set_cookie(headers: &mut axum::http::HeaderMap, name: &str, value: &str, max_age_secs: i64, tls: bool) {
    let secure = if tls { "; Secure" } else { "" };
    let cookie = format!("{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}");
    // Values are tokens and percent-encoded text, so this always parses.
    if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
        headers.append(axum::http::header::SET_COOKIE, v);
    }
}

/// This browser's anonymous token from its cookie, if it is one the site
/// could have issued (16 to 64 letters, digits, `-` or `_`); anything else is
/// replaced, so a made-up cookie cannot be arbitrarily long or strange.
pub fn anon_cookie(headers: &axum::http::HeaderMap) -> Option<&str> {
    cookie_in(headers, ANON_COOKIE)
        .filter(|v| (16..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// Reads one cookie from a header map.
pub fn cookie_in<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The client's address: the socket peer, or the nearest untrusted address in
/// `X-Forwarded-For` when the peer is a configured proxy.
pub fn client_ip(parts: &Parts, trusted: &[IpAddr]) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded.into_iter().rev().find(|ip| !trusted.contains(ip)).unwrap_or(peer)
}

fn csrf_message(session_token: Option<&str>, anon: &str) -> String {
    match session_token {
        Some(t) => format!("csrf|session|{}", secrets::token_hash(t)),
        None => format!("csrf|anon|{anon}"),
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(v) = parts.extensions.get::<Viewer>() {
            return Ok(v.clone());
        }
        let settings = state.settings().await;
        let token = cookie(parts, SESSION_COOKIE).filter(|t| t.len() == 64).map(str::to_string);
        let (actor, unread) = match &token {
            Some(t) => match accounts::session_actor(&state.db, t).await.map_err(WebError::from)? {
                Some((actor, unread)) => (Some(actor), unread),
                None => (None, 0),
            },
            None => (None, 0),
        };
        let session_token = if actor.is_some() { token } else { None };
        let anon = anon_cookie(&parts.headers)
            .map(str::to_string)
            .or_else(|| parts.extensions.get::<AnonId>().map(|a| a.0.clone()))
            .unwrap_or_default();
        let message = csrf_message(session_token.as_deref(), &anon);
        let csrf = secrets::sign(settings.secret_key.as_bytes(), &message);
        let flash = cookie(parts, FLASH_COOKIE).map(|v| {
            percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned()
        });
        let viewer = Viewer {
            anon: anon.clone(),
            unread,
            actor,
            session_token,
            csrf,
            flash,
            ip: client_ip(parts, &state.config.trusted_proxies),
            settings,
            return_to: (parts.method == axum::http::Method::GET)
                .then(|| parts.uri.path_and_query().map(|p| p.as_str().to_string()))
                .flatten()
                .filter(|p| crate::middleware::is_local_path(p)),
        };
        parts.extensions.insert(viewer.clone());
        Ok(viewer)
    }
}
