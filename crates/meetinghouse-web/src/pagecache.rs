//! A micro-cache for anonymous page views: the HTML of a public page is kept
//! for a moment (2 s by default) and served to every signed-out visitor in
//! that time. Only 200 `text/html` responses to signed-out GETs without a
//! flash message are kept, and never a page with a form (forms carry a
//! per-browser CSRF token). A state-changing request that went through
//! (2xx or 3xx) on this server clears the cache at once; one that was
//! refused changed nothing and leaves it (so rubbish posted by a script
//! cannot keep it empty): see [`went_through`]. Other servers see a change
//! within the TTL.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::Response;

/// Largest number of pages kept; past it the cache starts afresh.
const MAX_ENTRIES: usize = 10_000;
/// Largest page kept, in bytes.
pub const MAX_PAGE_BYTES: usize = 512 * 1024;

/// Whether a state-changing request to `route` went through, judged by its
/// answer, so that signed-out pages may have changed and the cache must
/// forget them: a 2xx or 3xx answer. Not a refusal (4xx: a bad or missing
/// form token, input sent back to be corrected, no such address), nor the
/// redirect to the sign-in page that a form for signed-in people answers a
/// signed-out browser with, nor signing in or out (they change sessions,
/// which no signed-out page shows): a script can send any of these as often
/// as it likes. A 5xx is left to the TTL (see `middleware::observe`).
pub fn went_through(route: &str, resp: &Response) -> bool {
    let status = resp.status();
    if !status.is_success() && !status.is_redirection() {
        return false;
    }
    // What `WebError::SignInNeeded` answers.
    let to_sign_in = status.is_redirection()
        && resp.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).is_some_and(|to| to.starts_with("/login?need=1"));
    !to_sign_in && !matches!(route, "/login" | "/logout")
}

/// A response extension marking a page as personal to this browser (for
/// example, a signed-out participant's own position on an opinion map):
/// never kept in the cache.
#[derive(Debug, Clone, Copy)]
pub struct Personal;

#[derive(Clone)]
pub struct CachedPage {
    pub body: Bytes,
    pub content_type: HeaderValue,
    stored: Instant,
    generation: u64,
}

pub struct PageCache {
    ttl: Duration,
    generation: AtomicU64,
    pages: RwLock<HashMap<String, CachedPage>>,
}

impl PageCache {
    pub fn new(ttl: Duration) -> PageCache {
        PageCache { ttl, generation: AtomicU64::new(0), pages: RwLock::new(HashMap::new()) }
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// A fresh page for this URI, if one is kept.
    pub fn get(&self, uri: &str) -> Option<CachedPage> {
        let generation = self.generation.load(Ordering::Acquire);
        let pages = self.pages.read().ok()?;
        let page = pages.get(uri)?;
        (page.generation == generation && page.stored.elapsed() < self.ttl).then(|| page.clone())
    }

    /// Keeps a page rendered under `generation` (read before rendering, so a
    /// change during the render is never hidden).
    pub fn put(&self, uri: String, body: Bytes, content_type: HeaderValue, generation: u64) {
        if body.len() > MAX_PAGE_BYTES || generation != self.generation.load(Ordering::Acquire) {
            return;
        }
        if let Ok(mut pages) = self.pages.write() {
            if pages.len() >= MAX_ENTRIES {
                pages.clear();
            }
            pages.insert(uri, CachedPage { body, content_type, stored: Instant::now(), generation });
        }
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Forgets every page: called after a state-changing request that went
    /// through (see `middleware::observe`).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut pages) = self.pages.write() {
            pages.clear();
        }
    }
}
