//! `GET /robots.txt` — crawlers are welcome on the public pages and pointed
//! at the sitemap; kept out of the admin pages, people's own pages, forms
//! and search results, which hold nothing to index and would only cost the
//! server (rules are prefixes; `*` and `$` as RFC 9309 has them).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::CACHE_CONTROL;
use crate::state::AppState;

/// Addresses no crawler needs: `/me$` and `/me/` rather than `/me`, which
/// would also match `/media/`, the images public stories show.
const DISALLOWED: &[&str] = &[
    "/admin",
    "/me$",
    "/me/",
    "/notifications",
    "/moderation",
    "/login",
    "/logout",
    "/signup",
    "/reset",
    "/verify",
    "/unsubscribe",
    "/report",
    "/search",
    "/stories/new",
    "/orgs/new",
    "/groups/new",
    "/prompts/new",
    "/common-ground/new",
    "/orgs/*/import",
    "/common-ground/*/mine",
    "/conversations/*/reply",
    "/*/edit",
];

pub async fn show(State(state): State<AppState>) -> Response {
    let mut out = String::from("User-agent: *\nAllow: /\n");
    for path in DISALLOWED {
        out += &format!("Disallow: {path}\n");
    }
    out += &format!("\nSitemap: {}/sitemap.xml\n", state.config.base_url);
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, CACHE_CONTROL)], out).into_response()
}
