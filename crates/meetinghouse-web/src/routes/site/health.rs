//! `GET /healthz` (does the database answer and take writes?) and
//! `GET /metrics` (Prometheus).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use meetinghouse_core::secrets;
use meetinghouse_store::health::{self, Unwritable};

use crate::error::WebError;
use crate::metrics::{HEALTH_REUSE, Read};
use crate::state::AppState;
use crate::viewer::client_ip;

fn may_read_metrics(parts: &Parts, state: &AppState) -> bool {
    let bearer = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if let (Some(given), Some(token)) = (bearer, state.config.metrics_token.as_ref()) {
        return secrets::constant_time_eq(given.trim().as_bytes(), token.0.as_bytes());
    }
    local_operator(parts, &state.config.trusted_proxies)
}

/// Whether a request comes from a client on this machine talking to the
/// server directly. A proxy on the same machine makes every visitor look
/// local, so a forwarded request (`X-Forwarded-For` or `Forwarded`) never
/// counts, and neither does anything arriving from a configured trusted
/// proxy's address, with or without those headers: a proxy that adds none
/// (nginx's `proxy_pass` on its own) cannot be told from a local client,
/// so behind one the figures need the token.
fn local_operator(parts: &Parts, trusted_proxies: &[IpAddr]) -> bool {
    let forwarded = parts.headers.contains_key("x-forwarded-for") || parts.headers.contains_key(header::FORWARDED);
    // The socket's peer, as `client_ip` reads it.
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
    !forwarded && !trusted_proxies.contains(&peer) && client_ip(parts, trusted_proxies).is_loopback()
}

/// `ok` (200) while the database answers and takes writes; otherwise 503
/// with the reason on one line: `database unavailable`, `database out of
/// disk space: …` or `database not writable: …` (store
/// `health::check_writable`: a write rolled back, and on SQLite a
/// megabyte written beside the database and removed). A finding is reused
/// for [`HEALTH_REUSE`], so asking often never writes often.
pub async fn healthz(State(state): State<AppState>) -> Response {
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    if let Err(e) = state.db.ping().await {
        tracing::error!(error = %e, "health check: database unreachable");
        return (StatusCode::SERVICE_UNAVAILABLE, no_store, "database unavailable\n").into_response();
    }
    match writable(&state).await {
        Ok(()) => (StatusCode::OK, no_store, "ok\n").into_response(),
        Err(why) => {
            let line = match &why {
                Unwritable::DiskFull(detail) => format!("database out of disk space: {detail}\n"),
                Unwritable::Other(detail) => format!("database not writable: {detail}\n"),
            };
            (StatusCode::SERVICE_UNAVAILABLE, no_store, line).into_response()
        }
    }
}

/// Whether the database takes writes, found at most every [`HEALTH_REUSE`]
/// per app server (one check at a time; the others wait for its finding).
async fn writable(state: &AppState) -> Result<(), Unwritable> {
    let mut last = state.metrics.health.lock().await;
    if let Some((at, found)) = last.as_ref()
        && at.elapsed() < HEALTH_REUSE
    {
        return found.clone();
    }
    let found = health::check_writable(&state.db).await;
    if let Err(why) = &found {
        tracing::error!(error = %why, "health check: the database takes no writes");
    }
    *last = Some((std::time::Instant::now(), found.clone()));
    found
}

/// The figures name every route and its traffic, so they are for the
/// operator: a client on this machine talking to the server directly (no
/// proxy header, and not from a trusted proxy's address: [`local_operator`]),
/// or a scraper presenting the configured bearer token.
/// Anyone else gets the ordinary "not found".
pub async fn metrics(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    if !may_read_metrics(&parts, &state) {
        return WebError::NotFound.into_response();
    }
    let read = Read { outbox: health::outbox_counts(&state.db).await.ok(), writable: Some(writable(&state).await.is_ok()) };
    let body = state.metrics.render(state.db.pool_stats(), state.db.max_connections(), &read);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(peer: &str, headers: &[(&str, &str)]) -> Parts {
        let mut req = axum::http::Request::get("/metrics");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let (mut parts, ()) = req.body(()).unwrap().into_parts();
        parts.extensions.insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        parts
    }

    #[test]
    fn nothing_from_a_trusted_proxy_counts_as_the_operator_on_this_machine() {
        let proxy = [IpAddr::from([127, 0, 0, 1])];
        // No proxy configured: a direct local client is the operator, a forwarded request never.
        assert!(local_operator(&from("127.0.0.1:50000", &[]), &[]));
        assert!(local_operator(&from("[::1]:50000", &[]), &[]));
        assert!(!local_operator(&from("127.0.0.1:50000", &[("x-forwarded-for", "127.0.0.1")]), &[]));
        assert!(!local_operator(&from("127.0.0.1:50000", &[("forwarded", "for=127.0.0.1")]), &[]));
        assert!(!local_operator(&from("203.0.113.5:50000", &[]), &[]));
        // The proxy on 127.0.0.1 adds no header (nginx's proxy_pass alone): not the operator.
        assert!(!local_operator(&from("127.0.0.1:50000", &[]), &proxy));
        assert!(!local_operator(&from("127.0.0.1:50000", &[("x-forwarded-for", "127.0.0.1")]), &proxy));
        // A local client that is not the proxy's address still is.
        assert!(local_operator(&from("[::1]:50000", &[]), &proxy));
    }
}
