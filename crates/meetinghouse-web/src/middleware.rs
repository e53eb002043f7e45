//! What every request passes through: a request id, an anonymous cookie for
//! CSRF before sign-in (signed, so only one the site issued is used; none
//! for feeds, the sitemap and robots.txt), a check that a state-changing
//! request comes from this site itself (not another site, nor another site
//! on the same domain), the page cache (cleared after a change that went
//! through, unless it changed only the person's own pages), security
//! headers, metrics, one log line, and the error pages: every error a
//! handler or the framework answers (a refusal, a bodyless or plain-text
//! 4xx, the 500 page) is shown as the site's page, as the person asking
//! and with the site's name, with a "Go back" link.

use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use meetinghouse_core::secrets;

use crate::error::{ErrorShown, InternalCause};
use crate::page::{ErrorPage, Page, render_status};
use crate::state::AppState;
use crate::viewer::{
    ANON_COOKIE, FLASH_COOKIE, SESSION_COOKIE, TOOK_PART_COOKIE, Viewer, ViewerSlot, anon_cookie, new_anon_token, set_cookie, sets_cookie,
    signed_anon, site_cookie,
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
    // Images, the stylesheet, the operator's endpoints and what programs
    // read (feeds, the sitemap, robots.txt) never need the anonymous
    // cookie, and a response that sets a cookie is one a shared cache may
    // refuse to keep. Nor do they show a flash message, so they leave it.
    let for_programs = for_programs(&path);
    let needs_anon = !for_programs && !["/media/", "/static/", "/healthz", "/metrics"].iter().any(|p| path.starts_with(p));
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
    // Kept for the first-page link of a page past the end of a list (a
    // clone of the address shares its bytes: nothing is copied).
    let uri = req.uri().clone();
    // Kept for an error page's "Go back" link, worked out only if one is shown.
    let (referer, host) = (req.headers().get(header::REFERER).cloned(), req.headers().get(header::HOST).cloned());
    let generation = state.page_cache.generation();
    let cached = if cacheable { state.page_cache.get(&cache_key) } else { None };
    if cacheable {
        state.metrics.page_cache(cached.is_some());
    }
    // Kept to show an error page as the person asking: the viewer the
    // handler worked out, or, when none did, what works it out again.
    let slot = ViewerSlot::default();
    req.extensions_mut().insert(slot.clone());
    let asker = Asker::of(&req, has_session);
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
        let refused = ErrorShown { title: "Request refused", message: "This form was sent from another website, so we did not act on it.".into() };
        let mut r = StatusCode::FORBIDDEN.into_response();
        r.extensions_mut().insert(refused);
        r
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
        // Nor does a change to the person's own pages, which are never
        // cached (`pagecache::only_own_pages`).
        if changes_state && crate::pagecache::went_through(&route, &r) && !crate::pagecache::only_own_pages(&method, &route) {
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
    // Every error is shown as the site's page: a handler's (marked with
    // what it says), the framework's own bodyless or plain-text 4xx (a
    // method an address does not take, a body over the limit, an address
    // it cannot read), and the 500 page, whose cause is logged with the
    // request id. Status and headers (such as `Allow`) stay.
    let cause = resp.extensions().get::<InternalCause>().cloned();
    let shown = if let Some(cause) = &cause {
        tracing::error!(request_id = %request_id, %method, %path, cause = %cause.0, "request failed");
        Some(ErrorShown {
            title: "Something went wrong on our side",
            message: "Sorry — this is our fault, not yours. Please try again in a moment. If it keeps happening, tell the meeting house's admins and quote the reference below.".into(),
        })
    } else if let Some(shown) = resp.extensions().get::<ErrorShown>() {
        Some(shown.clone())
    } else if resp.status().is_client_error() && is_bare(&resp) {
        tracing::debug!(request_id = %request_id, %path, status = resp.status().as_u16(), "framework refusal shown as a page");
        Some(in_plain_words(resp.status(), &method, &route))
    } else {
        None
    };
    if let Some(shown) = shown {
        // After a failure the database may be what failed: the person as a
        // handler saw them, or the signed-out frame, never another lookup.
        let viewer = match slot.0.get() {
            Some(v) => Some(v.clone()),
            None if cause.is_none() => asker.viewer(&state).await,
            None => None,
        };
        let frame = match &viewer {
            Some(v) => Page::for_error(v, shown.title),
            None => {
                let name = match &settings {
                    Some(s) => s.name.clone(),
                    None => state.settings().await.name.clone(),
                };
                Page::signed_out(&name, shown.title)
            }
        };
        let mut page = ErrorPage::new(shown.title, &shown.message).in_frame(frame).back_to(back.clone());
        if cause.is_some() {
            page.request_id = Some(request_id.clone());
        }
        if let Some(past) = resp.extensions().get::<crate::error::PastTheEnd>() {
            page = crate::paging::past_the_end(page, uri.path_and_query().map_or(path.as_str(), |pq| pq.as_str()), past.0);
        }
        let (mut parts, _) = resp.into_parts();
        if cause.is_some() {
            parts.status = StatusCode::INTERNAL_SERVER_ERROR;
        }
        let rendered = render_status(parts.status, &page);
        if rendered.extensions().get::<InternalCause>().is_none() {
            let (rendered, body) = rendered.into_parts();
            for name in [header::CONTENT_TYPE, header::CACHE_CONTROL] {
                if let Some(v) = rendered.headers.get(&name) {
                    parts.headers.insert(name, v.clone());
                }
            }
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.extensions.insert(shown);
            resp = Response::from_parts(parts, body);
        } else {
            tracing::error!(request_id = %request_id, "the error page failed to render");
            resp = StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }

    let status = resp.status();
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
    if had_flash && !for_programs && !sets_cookie(headers, FLASH_COOKIE, tls) && method == Method::GET && status.is_success() {
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

/// Feeds, the sitemap and robots.txt: read by programs, kept by shared
/// caches, so they set no cookie.
fn for_programs(path: &str) -> bool {
    path.ends_with(".atom") || path == "/robots.txt" || (path.starts_with("/sitemap") && path.ends_with(".xml"))
}

/// Who is asking, for an error page when no handler worked it out (an
/// address nothing answers, a method it does not take, a body refused
/// before a handler ran): a signed-in person's cookies and connection, to
/// look them up again then. A signed-out browser needs no lookup.
enum Asker {
    SignedOut,
    SignedIn {
        method: Method,
        uri: axum::http::Uri,
        cookies: Vec<HeaderValue>,
        connect: Option<ConnectInfo<std::net::SocketAddr>>,
        anon: Option<AnonId>,
    },
}

impl Asker {
    fn of(req: &Request, has_session: bool) -> Asker {
        if !has_session {
            return Asker::SignedOut;
        }
        Asker::SignedIn {
            method: req.method().clone(),
            uri: req.uri().clone(),
            cookies: req.headers().get_all(header::COOKIE).iter().cloned().collect(),
            connect: req.extensions().get::<ConnectInfo<std::net::SocketAddr>>().cloned(),
            anon: req.extensions().get::<AnonId>().cloned(),
        }
    }

    /// The signed-in person, worked out as a handler would; `None` when
    /// signed out (or the session is no longer good, or the lookup failed).
    async fn viewer(self, state: &AppState) -> Option<Viewer> {
        let Asker::SignedIn { method, uri, cookies, connect, anon } = self else { return None };
        let mut req = Request::builder().method(method).uri(uri);
        for cookie in cookies {
            req = req.header(header::COOKIE, cookie);
        }
        let (mut parts, ()) = req.body(()).ok()?.into_parts();
        if let Some(c) = connect {
            parts.extensions.insert(c);
        }
        if let Some(a) = anon {
            parts.extensions.insert(a);
        }
        Viewer::from_request_parts(&mut parts, state).await.ok().filter(|v| v.actor.is_some())
    }
}

/// Whether a 4xx comes from the framework rather than a page: no body type,
/// or plain text ("Cannot parse …", "length limit exceeded").
fn is_bare(resp: &Response) -> bool {
    match resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(t) => t.starts_with("text/plain"),
    }
}

/// What a framework refusal means, in plain words.
fn in_plain_words(status: StatusCode, method: &Method, route: &str) -> ErrorShown {
    let (title, message) = match status {
        StatusCode::BAD_REQUEST => (
            "We could not read that address",
            "Part of this web address is not in the form we expected (for example, a word where a number belongs). Check the link, or start again from the home page.".to_string(),
        ),
        StatusCode::NOT_FOUND => ("Page not found", "We could not find that page. It may have moved, or it may be private.".to_string()),
        StatusCode::METHOD_NOT_ALLOWED if matches!(*method, Method::GET | Method::HEAD) => (
            "This is done with a button",
            "This address does something (such as signing out, deleting or marking as read), so it only works from the button on its page, not from a link or typed in. Go back to the page and use its button.".to_string(),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "This address does not take forms",
            "Nothing here can be sent a form. Go back to the page you were on and try again from there.".to_string(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ("That was too large", too_large(route)),
        StatusCode::REQUEST_TIMEOUT => (
            "That took too long",
            "We stopped waiting for the rest of what your browser was sending. Please try again; on a slow connection, fewer or smaller photos help.".to_string(),
        ),
        _ => (
            "Something was wrong with the request",
            "We could not act on this request. Go back and try again, or start again from the home page.".to_string(),
        ),
    };
    ErrorShown { title, message }
}

/// The limit a body went over, in words: a form's, or an upload's.
fn too_large(route: &str) -> String {
    let limit = crate::routes::body_limit(route);
    // A form's (the settings form's is larger than others': `forms::MAX_SETTINGS_FORM_BYTES`).
    if limit < crate::forms::MAX_UPLOAD_REQUEST_BYTES {
        format!("A form can send at most {} KB of text. Shorten what you wrote and send it again.", limit / 1024)
    } else {
        format!("An upload can be at most {} MB in all, files and text together. Send fewer or smaller files.", limit / (1024 * 1024))
    }
}

/// Stores a signed-out page view in the micro-cache when it is safe to share.
/// A page larger than the cache keeps (or of unknown size that may be) is
/// passed on as it is, unread and not kept.
async fn keep_in_cache(state: &AppState, key: String, generation: u64, resp: Response) -> Response {
    use axum::body::HttpBody;
    let is_html = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if resp.status() != StatusCode::OK || !is_html || resp.headers().contains_key(header::SET_COOKIE) || resp.extensions().get::<InternalCause>().is_some()
        || resp.extensions().get::<crate::pagecache::Personal>().is_some()
    {
        return resp;
    }
    let largest = resp.body().size_hint().upper();
    if largest.is_none_or(|n| n > crate::pagecache::MAX_PAGE_BYTES as u64) {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    // (Within the limit by its size: only a failing body stops this.)
    let bytes = match axum::body::to_bytes(body, crate::pagecache::MAX_PAGE_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let mut resp = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            resp.extensions_mut().insert(InternalCause(format!("reading the page failed: {e}")));
            return resp;
        }
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
