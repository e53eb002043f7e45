//! What every request passes through: a request id, an anonymous cookie for
//! CSRF before sign-in (signed, so only one the site issued is used), a
//! check that a state-changing request comes from this site itself (not
//! another site, nor another site on the same domain), the page cache
//! (cleared after a change that went through), security headers, metrics,
//! one log line, the 500 page, and the "Go back" link on error pages.

use std::time::Instant;

use askama::Template;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use meetinghouse_core::secrets;

use crate::error::{ErrorShown, InternalCause};
use crate::page::{ErrorPage, render_status};
use crate::state::AppState;
use crate::viewer::{
    ANON_COOKIE, FLASH_COOKIE, SESSION_COOKIE, TOOK_PART_COOKIE, Viewer, anon_cookie, new_anon_token, set_cookie, sets_cookie, signed_anon,
    site_cookie,
};

/// How long the anonymous and took-part cookies last.
const ONE_YEAR_SECS: i64 = 365 * 24 * 3600;

/// A fresh anonymous token (without its signature), when the request had
/// no cookie this site issued.
#[derive(Debug, Clone)]
pub struct AnonId(pub String);

pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                       base-uri 'none'; frame-ancestors 'none'";

pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = secrets::random_token()[..16].to_string();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let path = req.uri().path().to_string();
    let tls = state.config.tls;
    // Images, the stylesheet and the operator's endpoints never need the
    // anonymous cookie, and a response that sets a cookie is one a shared
    // cache may refuse to keep.
    let needs_anon = !["/media/", "/static/", "/healthz", "/metrics"].iter().any(|p| path.starts_with(p));
    // The key that signs anonymous tokens is the instance's secret, as for CSRF.
    let settings = if needs_anon { Some(state.settings().await) } else { None };
    let secret_key = settings.as_ref().map(|s| s.secret_key.as_str());
    // (Signed-out page views may come from the micro-cache.)
    let (has_anon, had_flash, has_session, took_part) = {
        let has = |name: &str| site_cookie(req.headers(), name, tls).is_some();
        let has_anon = secret_key.is_some_and(|key| anon_cookie(req.headers(), key, tls).is_some());
        (has_anon, has(FLASH_COOKIE), has(SESSION_COOKIE), has(TOOK_PART_COOKIE))
    };
    let cacheable = state.page_cache.enabled()
        && matches!(method, Method::GET | Method::HEAD)
        && !has_session
        && !had_flash
        && !took_part;
    let cache_key = req.uri().to_string();
    // Kept for an error page's "Go back" link, worked out only if one is shown.
    let (referer, host) = (req.headers().get(header::REFERER).cloned(), req.headers().get(header::HOST).cloned());
    let generation = state.page_cache.generation();
    let cached = if cacheable { state.page_cache.get(&cache_key) } else { None };
    // A browser without a cookie this site issued gets a new token (one it
    // sent that the site did not issue is replaced).
    let new_anon = match secret_key {
        Some(key) if !has_anon => {
            let token = new_anon_token();
            req.extensions_mut().insert(AnonId(token.clone()));
            Some(signed_anon(key, &token))
        }
        _ => None,
    };

    // A state-changing request from another site is refused before any
    // handler runs (browsers send Sec-Fetch-Site); forms also carry a token.
    // `same-site` is another site on the same domain (`x.example.org`
    // posting to `town.example.org`): refused too. This site's own pages
    // send `same-origin`, and a request typed in or bookmarked `none`.
    let other_site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site") || v.eq_ignore_ascii_case("same-site"));
    let changes_state = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    let mut resp = if other_site && changes_state {
        render_status(
            StatusCode::FORBIDDEN,
            &ErrorPage::new("Request refused", "This form was sent from another website, so we did not act on it."),
        )
    } else if let Some(page) = cached {
        let mut r = axum::response::Response::new(axum::body::Body::from(page.body));
        r.headers_mut().insert(header::CONTENT_TYPE, page.content_type);
        r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r.headers_mut().insert("x-page-cache", HeaderValue::from_static("hit"));
        r
    } else {
        let r = next.run(req).await;
        // Only a change that went through clears the cache: a refused
        // request (a bad token, input sent back with 422, no such address,
        // "sign in first") changed nothing, and rubbish posted by a script
        // must not keep the cache empty. No handler writes and then answers
        // 4xx with anything a signed-out page shows (a story form sent back
        // with 422 may have stored its new photos, which only their
        // uploader can see). A 5xx after a partial write is left to the
        // cache's few seconds, as a change on another app server is.
        if changes_state && crate::pagecache::went_through(&route, &r) {
            state.page_cache.invalidate();
        }
        if cacheable { keep_in_cache(&state, cache_key, generation, r).await } else { r }
    };

    // (A page that failed to load is not one to go back to; a form that
    // posts to its own address is.)
    let back = if resp.status().is_client_error() || resp.status().is_server_error() {
        referring_page(referer.as_ref(), host.as_ref(), &state.config.base_url)
            .filter(|page| !matches!(method, Method::GET | Method::HEAD) || page.split('?').next() != Some(path.as_str()))
    } else {
        None
    };
    // The framework answers an address it cannot read (`/common-ground/abc`
    // where a number belongs) with a line of plain text: people get a page.
    let plain_text = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/plain"));
    if matches!(method, Method::GET | Method::HEAD) && plain_text && resp.status() == StatusCode::BAD_REQUEST {
        tracing::debug!(request_id = %request_id, %path, "plain-text 400 shown as a page");
        resp = render_status(
            StatusCode::BAD_REQUEST,
            &ErrorPage::new(
                "We could not read that address",
                "Part of this web address is not in the form we expected (for example, a word where a number belongs). Check the link, or start again from the home page.",
            )
            .back_to(back.clone()),
        );
    }
    // An error page says how to get back to where the person was (the same
    // page again with the link; status, headers and extensions stay).
    if back.is_some()
        && let Some(shown) = resp.extensions().get::<ErrorShown>().cloned()
        && let Ok(body) = ErrorPage::new(shown.title, &shown.message).back_to(back.clone()).render()
    {
        let (mut parts, _) = resp.into_parts();
        parts.headers.remove(header::CONTENT_LENGTH);
        resp = Response::from_parts(parts, axum::body::Body::from(body));
    }
    let status = resp.status();
    if let Some(cause) = resp.extensions().get::<InternalCause>().cloned() {
        tracing::error!(request_id = %request_id, %method, %path, cause = %cause.0, "request failed");
        let mut page = ErrorPage::new(
            "Something went wrong on our side",
            "Sorry — this is our fault, not yours. Please try again in a moment. If it keeps happening, tell the meeting house's admins and quote the reference below.",
        );
        page.request_id = Some(request_id.clone());
        resp = render_status(StatusCode::INTERNAL_SERVER_ERROR, &page.back_to(back.clone()));
    }

    let headers = resp.headers_mut();
    let static_header = |v: &'static str| HeaderValue::from_static(v);
    headers.insert("content-security-policy", static_header(CSP));
    headers.insert("x-content-type-options", static_header("nosniff"));
    headers.insert("referrer-policy", static_header("same-origin"));
    headers.insert("x-frame-options", static_header("DENY"));
    headers.insert("permissions-policy", static_header("camera=(), microphone=(), geolocation=(), interest-cohort=()"));
    headers.insert("cross-origin-opener-policy", static_header("same-origin"));
    if state.config.tls {
        headers.insert("strict-transport-security", static_header("max-age=31536000; includeSubDomains"));
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert("x-request-id", v);
    }
    // (Unless the handler set it already: taking part renews it.)
    if let Some(value) = new_anon
        && !sets_cookie(headers, ANON_COOKIE, tls)
    {
        set_cookie(headers, ANON_COOKIE, &value, ONE_YEAR_SECS, tls);
    }
    // A flash message is shown once: the page that displays it clears it.
    if had_flash && !sets_cookie(headers, FLASH_COOKIE, tls) && method == Method::GET && status.is_success() {
        set_cookie(headers, FLASH_COOKIE, "", 0, tls);
    }

    let took = started.elapsed();
    state.metrics.record(method.as_str(), &route, resp.status().as_u16(), took);
    tracing::info!(
        request_id = %request_id,
        %method,
        route = %route,
        status = resp.status().as_u16(),
        ms = took.as_secs_f64() * 1000.0,
        "request"
    );
    resp
}

/// Stores a signed-out page view in the micro-cache when it is safe to share.
async fn keep_in_cache(state: &AppState, key: String, generation: u64, resp: Response) -> Response {
    let is_html = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if resp.status() != StatusCode::OK || !is_html || resp.headers().contains_key(header::SET_COOKIE) || resp.extensions().get::<InternalCause>().is_some()
        || resp.extensions().get::<crate::pagecache::Personal>().is_some()
    {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::pagecache::MAX_PAGE_BYTES).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // A page with a form carries this browser's CSRF token: never share it.
    let has_form_token = bytes.windows(11).any(|w| w == b"name=\"csrf\"");
    if !has_form_token
        && let Some(ct) = parts.headers.get(header::CONTENT_TYPE)
    {
        state.page_cache.put(key, bytes.clone(), ct.clone(), generation);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The page on this site that the request came from, for an error page's
/// "Go back" link: the path and query of a `Referer` whose host is the
/// request's `Host` or the configured base URL's. (Pages send
/// `Referrer-Policy: same-origin`, so browsers send it on this site's own
/// links and forms.)
fn referring_page(referer: Option<&HeaderValue>, host: Option<&HeaderValue>, base_url: &str) -> Option<String> {
    let referer = referer?.to_str().ok()?;
    let rest = referer.strip_prefix("https://").or_else(|| referer.strip_prefix("http://"))?;
    let (authority, page) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    let host = host.and_then(|v| v.to_str().ok());
    let base_authority = base_url.split_once("://").map(|(_, r)| r.split('/').next().unwrap_or(""));
    let ours = |a: Option<&str>| a.is_some_and(|a| !a.is_empty() && a.eq_ignore_ascii_case(authority));
    if !ours(host) && !ours(base_authority) {
        return None;
    }
    let page = page.split('#').next().unwrap_or("");
    let page = if page.is_empty() || page.starts_with('?') { format!("/{page}") } else { page.to_string() };
    is_local_path(&page).then_some(page)
}

/// Whether `page` is a path on this site, safe to send a browser to (a
/// redirect after sign-in, a "Go back" link): it starts with one `/`, has no
/// `\`, and is visible ASCII only — browsers drop tabs and newlines from a
/// link, which could turn `/\t/host` into `//host`, another site.
pub fn is_local_path(page: &str) -> bool {
    page.starts_with('/')
        && !page.starts_with("//")
        && !page.contains('\\')
        && page.len() <= 2048
        && page.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// Marks a browser without an account as one that has taken part, so its
/// pages (which may show its own votes) never come from the page cache.
/// (A signed-in person's pages never do.) Its anonymous cookie, which its
/// votes are kept under, is set again for a year from now along with it, so
/// it never runs out before the took-part one: an active participant would
/// otherwise become a new one (no votes of their own, the same statements
/// again, their votes counted twice).
pub fn mark_took_part(resp: &mut Response, viewer: &Viewer, tls: bool) {
    if viewer.actor.is_some() {
        return;
    }
    let headers = resp.headers_mut();
    if !viewer.anon.is_empty() {
        set_cookie(headers, ANON_COOKIE, &signed_anon(&viewer.settings.secret_key, &viewer.anon), ONE_YEAR_SECS, tls);
    }
    set_cookie(headers, TOOK_PART_COOKIE, "1", ONE_YEAR_SECS, tls);
}

/// A redirect after a successful POST, with a one-shot message.
pub fn see_other_with_flash(location: &str, message: &str, tls: bool) -> Response {
    let encoded = percent_encoding::utf8_percent_encode(message, percent_encoding::NON_ALPHANUMERIC).to_string();
    let mut resp = axum::response::Redirect::to(location).into_response();
    set_cookie(resp.headers_mut(), FLASH_COOKIE, &encoded, 120, tls);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_pages_link_back_only_to_this_site() {
        let base = "https://town.example";
        let value = |v: &str| HeaderValue::from_str(v).unwrap();
        let back = |referer: &str, host: &str| referring_page(Some(&value(referer)), Some(&value(host)), base);
        assert_eq!(back("http://127.0.0.1:8080/common-ground/3?x=1#map", "127.0.0.1:8080").as_deref(), Some("/common-ground/3?x=1"));
        // Behind a proxy the Host may differ; the base URL still counts.
        assert_eq!(back("https://town.example/stories/new", "10.0.0.2:8080").as_deref(), Some("/stories/new"));
        assert_eq!(back("https://TOWN.example", "other").as_deref(), Some("/"));
        assert_eq!(back("https://evil.example/stories/new", "127.0.0.1:8080"), None);
        assert_eq!(back("https://town.example.evil.example/", "127.0.0.1:8080"), None);
        assert_eq!(back("https://town.example@evil.example/", "127.0.0.1:8080"), None);
        assert_eq!(back("https://town.example//evil.example/", "127.0.0.1:8080"), None);
        assert_eq!(back("https://town.example/\t/evil.example/", "127.0.0.1:8080"), None);
        assert_eq!(back("javascript:alert(1)", "127.0.0.1:8080"), None);
        assert_eq!(referring_page(None, Some(&value("town.example")), base), None);
    }
}
