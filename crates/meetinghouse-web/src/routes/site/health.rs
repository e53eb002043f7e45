//! `GET /healthz` (is the database reachable?) and `GET /metrics` (Prometheus).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use meetinghouse_core::secrets;

use crate::error::WebError;
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

pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], "ok\n").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
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
    let body = state.metrics.render(state.db.pool_stats(), state.db.max_connections());
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
