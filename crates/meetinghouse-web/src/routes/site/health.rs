//! `GET /healthz` (is the database reachable?) and `GET /metrics` (Prometheus).

use axum::extract::{Request, State};
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
    // A proxy on the same machine makes every visitor look local, so a
    // forwarded request never counts as local.
    let forwarded = parts.headers.contains_key("x-forwarded-for") || parts.headers.contains_key(header::FORWARDED);
    !forwarded && client_ip(parts, &state.config.trusted_proxies).is_loopback()
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
/// proxy header), or a scraper presenting the configured bearer token.
/// Anyone else gets the ordinary "not found".
pub async fn metrics(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    if !may_read_metrics(&parts, &state) {
        return WebError::NotFound.into_response();
    }
    let body = state.metrics.render(state.db.pool_stats(), state.db.max_connections());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body).into_response()
}
