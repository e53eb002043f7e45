//! A micro-cache for anonymous page views: the HTML of a public page is kept
//! for a moment (2 s by default) and served to every signed-out visitor in
//! that time. Only 200 `text/html` responses to signed-out GETs without a
//! flash message are kept, and never a page with a form (forms carry a
//! per-browser CSRF token). Any state-changing request on this server clears
//! the cache at once; other servers see the change within the TTL.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderValue;

/// Largest number of pages kept; past it the cache starts afresh.
const MAX_ENTRIES: usize = 10_000;
/// Largest page kept, in bytes.
pub const MAX_PAGE_BYTES: usize = 512 * 1024;

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

    /// Forgets every page: called after any state-changing request.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut pages) = self.pages.write() {
            pages.clear();
        }
    }
}
