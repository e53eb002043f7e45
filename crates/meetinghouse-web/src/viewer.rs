//! Who is asking: the signed-in person (from the session cookie), the CSRF
//! token their forms must carry, a one-shot flash message, and their address;
//! and the site's cookies: their names (`__Host-` under TLS), the one writer,
//! and the anonymous token's signature.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use meetinghouse_core::settings::Settings;
use meetinghouse_core::{Actor, accounts, secrets};

use crate::error::WebError;
use crate::middleware::AnonId;
use crate::state::AppState;

// The site's cookies by their plain names: under TLS each is named with the
// `__Host-` prefix instead (see [`cookie_name`]).
pub const SESSION_COOKIE: &str = "mh_session";
/// This browser's anonymous token, as the site issued it: a random value and
/// its signature (see [`signed_anon`]).
pub const ANON_COOKIE: &str = "mh_anon";
/// Set once a browser without an account has taken part somewhere (voted or
/// added a statement): pages may then show its own votes and position, so
/// the page cache never answers it.
pub const TOOK_PART_COOKIE: &str = "mh_took_part";
pub const FLASH_COOKIE: &str = "mh_flash";
/// Every cookie the site sets (for telling a browser that keeps none).
const SITE_COOKIES: [&str; 4] = [SESSION_COOKIE, ANON_COOKIE, TOOK_PART_COOKIE, FLASH_COOKIE];
/// Browsers accept a cookie with this prefix only from the host itself, over
/// HTTPS, for the whole site and without `Domain`: another site on the same
/// domain cannot set or overwrite it.
const HOST_PREFIX: &str = "__Host-";

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
    /// Whether the signed-in person has a moderation queue (an instance
    /// moderator, or a host of a group, an organisation or a prompt): the
    /// header links to it.
    pub has_queue: bool,
    /// This browser's anonymous token (from a cookie this site issued, or the
    /// one this response sets), without its signature: what identifies a
    /// participant without an account where a host allows that. Never shown
    /// in a page.
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

/// The name a site cookie goes by: under TLS with the `__Host-` prefix, so
/// that only this host can set it; without TLS (local use) the plain name,
/// since browsers take the prefix only on a `Secure` cookie.
pub fn cookie_name(name: &str, tls: bool) -> String {
    if tls { format!("{HOST_PREFIX}{name}") } else { name.to_string() }
}

/// Reads one of the site's cookies (by its plain name) from the request
/// headers: under TLS only the prefixed one, never the plain name, which any
/// site on the same domain could have set.
pub fn site_cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str, tls: bool) -> Option<&'a str> {
    cookie_in(headers, &cookie_name(name, tls))
}

/// Sets one of this site's cookies on a response: whole site, this host
/// only (no `Domain`), never readable by scripts, not sent on cross-site
/// requests; under TLS `Secure` and named with the `__Host-` prefix.
/// `max_age_secs` 0 removes it. Every cookie the site sets goes through here.
pub fn set_cookie(headers: &mut axum::http::HeaderMap, name: &str, value: &str, max_age_secs: i64, tls: bool) {
    let secure = if tls { "; Secure" } else { "" };
    let name = cookie_name(name, tls);
    let cookie = format!("{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}");
    // Values are tokens and percent-encoded text, so this always parses.
    if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
        headers.append(axum::http::header::SET_COOKIE, v);
    }
}

/// Whether a response already sets one of the site's cookies (by its plain name).
pub fn sets_cookie(headers: &axum::http::HeaderMap, name: &str, tls: bool) -> bool {
    let name = cookie_name(name, tls);
    headers
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split_once('=').is_some_and(|(k, _)| k == name))
}

/// A new anonymous token: 128 random bits.
pub fn new_anon_token() -> String {
    secrets::random_token()[..32].to_string()
}

/// What the anonymous cookie holds: the token, a dot, and the token's
/// signature under the instance's secret key. Only the token identifies the
/// browser (its SHA-256 is what a participant without an account is stored
/// as); the signature shows this site issued it.
pub fn signed_anon(secret_key: &str, token: &str) -> String {
    format!("{token}.{}", secrets::sign(secret_key.as_bytes(), &anon_message(token)))
}

// Not the message of any other signature made with the same key
// (`csrf|…`, `unsubscribe|…`).
fn anon_message(token: &str) -> String {
    format!("anon|{token}")
}

/// This browser's anonymous token, from a cookie this site issued: a token
/// of 16 to 64 letters, digits, `-` or `_`, and its valid signature. A value
/// planted by another site on the same domain, made up, or altered is not
/// used (and the browser is sent a new one). When the browser sends several
/// cookies of that name (one set by another site), the first issued here
/// counts.
pub fn anon_cookie<'a>(headers: &'a axum::http::HeaderMap, secret_key: &str, tls: bool) -> Option<&'a str> {
    let name = cookie_name(ANON_COOKIE, tls);
    cookies_in(headers)
        .filter(|(k, _)| *k == name)
        .filter_map(|(_, v)| v.split_once('.'))
        .find(|(token, signature)| {
            (16..=64).contains(&token.len())
                && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && signature.len() == 64
                && secrets::verify_signature(secret_key.as_bytes(), &anon_message(token), signature)
        })
        .map(|(token, _)| token)
}

/// Whether the request carries any of the site's cookies, by either name
/// (a browser that blocks cookies sends none). Plain names count under TLS
/// too: a browser still holding one from before the site used the prefix
/// keeps cookies.
pub fn carries_site_cookie(headers: &axum::http::HeaderMap) -> bool {
    cookies_in(headers).any(|(k, _)| SITE_COOKIES.contains(&k.strip_prefix(HOST_PREFIX).unwrap_or(k)))
}

/// Reads one cookie from a header map (by its exact name).
pub fn cookie_in<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    cookies_in(headers).find(|(k, _)| *k == name).map(|(_, v)| v)
}

/// Every cookie in a header map, as (name, value).
fn cookies_in(headers: &axum::http::HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
}

/// The client's address: the socket peer, or, when the peer is a configured
/// proxy, the address `X-Forwarded-For` gives for the first hop that is not
/// one. The header is read from the right, the end our own proxies wrote:
/// each trusted proxy vouches for the entry before it, and nothing further
/// left is trusted. An entry that cannot be read as an address (`ip:port`
/// and `[v6]:port` can) ends the walk, and the last trusted proxy's address
/// is the client's: entries to its left were written by whoever connected
/// to it, so skipping one would let a made-up entry further left pass as
/// the client.
pub fn client_ip(parts: &Parts, trusted: &[IpAddr]) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded = parts.headers.get_all("x-forwarded-for").iter().collect::<Vec<_>>();
    // A header that is not text cannot be read at all: the proxy's address.
    let Some(entries) = forwarded.iter().map(|v| v.to_str().ok()).collect::<Option<Vec<_>>>() else { return peer };
    let mut client = peer;
    for entry in entries.iter().flat_map(|v| v.split(',')).rev() {
        match forwarded_address(entry) {
            Some(ip) if trusted.contains(&ip) => client = ip,
            Some(ip) => return ip,
            None => return client,
        }
    }
    client
}

/// One `X-Forwarded-For` entry as an address: `ip`, `ip:port`, `[v6]` or
/// `[v6]:port`. Anything else (`unknown`, a name, rubbish) is `None`.
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = entry.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    entry.strip_prefix('[')?.strip_suffix(']')?.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)
}

/// Where the [`Viewer`] a handler worked out is left for the middleware,
/// which shows error pages as that person (signed in, the site's name)
/// without asking the database again: see `middleware::observe`.
#[derive(Clone, Default)]
pub struct ViewerSlot(pub Arc<std::sync::OnceLock<Viewer>>);

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
        let tls = state.config.tls;
        let token = site_cookie(&parts.headers, SESSION_COOKIE, tls).filter(|t| t.len() == 64).map(str::to_string);
        let (actor, unread, has_queue) = match &token {
            Some(t) => match accounts::session_actor(&state.db, t).await.map_err(WebError::from)? {
                Some((actor, unread, has_queue)) => (Some(actor), unread, has_queue),
                None => (None, 0, false),
            },
            None => (None, 0, false),
        };
        let session_token = if actor.is_some() { token } else { None };
        let anon = anon_cookie(&parts.headers, &settings.secret_key, tls)
            .map(str::to_string)
            .or_else(|| parts.extensions.get::<AnonId>().map(|a| a.0.clone()))
            .unwrap_or_default();
        let message = csrf_message(session_token.as_deref(), &anon);
        let csrf = secrets::sign(settings.secret_key.as_bytes(), &message);
        let flash = site_cookie(&parts.headers, FLASH_COOKIE, tls).map(|v| {
            percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned()
        });
        let viewer = Viewer {
            anon: anon.clone(),
            unread,
            has_queue,
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
        if let Some(slot) = parts.extensions.get::<ViewerSlot>() {
            let _ = slot.0.set(viewer.clone());
        }
        parts.extensions.insert(viewer.clone());
        Ok(viewer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookie: &str) -> axum::http::HeaderMap {
        let mut h = axum::http::HeaderMap::new();
        h.insert(axum::http::header::COOKIE, axum::http::HeaderValue::from_str(cookie).unwrap());
        h
    }

    #[test]
    fn only_signed_anonymous_tokens_are_read() {
        let key = "instance secret";
        let token = new_anon_token();
        let value = signed_anon(key, &token);
        assert_eq!(anon_cookie(&headers(&format!("mh_anon={value}")), key, false), Some(token.as_str()));
        assert_eq!(anon_cookie(&headers(&format!("mh_anon={value}")), "another key", false), None);
        assert_eq!(anon_cookie(&headers(&format!("mh_anon={token}")), key, false), None);
        // One planted by another site and sent first does not hide ours.
        let both = headers(&format!("mh_anon=attackerchosen00001; mh_anon={value}"));
        assert_eq!(anon_cookie(&both, key, false), Some(token.as_str()));
        // Under TLS only the prefixed name is read.
        assert_eq!(anon_cookie(&headers(&format!("mh_anon={value}")), key, true), None);
        assert_eq!(anon_cookie(&headers(&format!("__Host-mh_anon={value}")), key, true), Some(token.as_str()));
        // A CSRF token is no anonymous cookie's signature.
        let csrf = secrets::sign(key.as_bytes(), &csrf_message(None, &token));
        assert_eq!(anon_cookie(&headers(&format!("mh_anon={token}.{csrf}")), key, false), None);
    }

    /// A request from `peer` with these `X-Forwarded-For` headers.
    fn from(peer: &str, forwarded: &[&str]) -> Parts {
        let mut req = axum::http::Request::builder();
        for f in forwarded {
            req = req.header("x-forwarded-for", *f);
        }
        let (mut parts, ()) = req.body(()).unwrap().into_parts();
        parts.extensions.insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 443)));
        parts
    }

    #[test]
    fn forwarded_addresses_are_read_from_the_right_over_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let inner: IpAddr = "10.0.0.2".parse().unwrap();
        let trusted = [proxy, inner];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let client = |peer: &str, forwarded: &[&str]| client_ip(&from(peer, forwarded), &trusted);
        // Not through a trusted proxy: the peer, whatever the header says.
        assert_eq!(client("203.0.113.9", &["198.51.100.1"]), ip("203.0.113.9"));
        assert_eq!(client("10.0.0.1", &["198.51.100.1"]), ip("198.51.100.1"));
        // The nearest untrusted hop, past our own proxies; earlier entries are the client's to make up.
        assert_eq!(client("10.0.0.1", &["1.1.1.1, 198.51.100.1, 10.0.0.2"]), ip("198.51.100.1"));
        assert_eq!(client("10.0.0.1", &["1.1.1.1", "198.51.100.1"]), ip("198.51.100.1"));
        // A proxy that appends `ip:port` (or `[v6]:port`) is read as well.
        assert_eq!(client("10.0.0.1", &["1.1.1.1, 198.51.100.1:51234"]), ip("198.51.100.1"));
        assert_eq!(client("10.0.0.1", &["1.1.1.1, [2001:db8::7]:443"]), ip("2001:db8::7"));
        assert_eq!(client("10.0.0.1", &["[2001:db8::7]"]), ip("2001:db8::7"));
        assert_eq!(client("10.0.0.1", &["10.0.0.2:80, 198.51.100.1"]), ip("198.51.100.1"));
        // An entry that cannot be read ends the walk: never an address forged to its left.
        assert_eq!(client("10.0.0.1", &["1.1.1.1, bogus"]), proxy);
        assert_eq!(client("10.0.0.1", &["1.1.1.1, unknown, 10.0.0.2"]), inner);
        assert_eq!(client("10.0.0.1", &["1.1.1.1, 198.51.100.1:port"]), proxy);
        // Only trusted proxies all the way: the furthest of them.
        assert_eq!(client("10.0.0.1", &["10.0.0.2"]), inner);
        assert_eq!(client("10.0.0.1", &[]), proxy);
    }

    #[test]
    fn site_cookies_by_either_name() {
        assert!(carries_site_cookie(&headers("mh_flash=x")));
        assert!(carries_site_cookie(&headers("other=1; __Host-mh_session=abc")));
        assert!(!carries_site_cookie(&headers("_ga=1; __Host-other=2")));
        assert!(!carries_site_cookie(&axum::http::HeaderMap::new()));
        assert_eq!(cookie_name(SESSION_COOKIE, true), "__Host-mh_session");
        assert_eq!(cookie_name(SESSION_COOKIE, false), "mh_session");
    }
}
