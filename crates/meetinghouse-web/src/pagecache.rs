//! A micro-cache for anonymous page views: the HTML of a public page is kept
//! for a moment (2 s by default) and served to every signed-out visitor in
//! that time. Only 200 `text/html` responses to signed-out GETs without a
//! flash message are kept, and never a page with a form (forms carry a
//! per-browser CSRF token). A state-changing request that went through
//! (2xx or 3xx) on this server clears the cache at once; one that was
//! refused changed nothing and leaves it (so rubbish posted by a script
//! cannot keep it empty), and so does one that changes only the person's
//! own pages (see [`only_own_pages`]): see [`went_through`]. Other servers
//! see a change within the TTL.
//!
//! The cache is bounded by count and by bytes ([`MAX_ENTRIES`],
//! [`MAX_TOTAL_BYTES`]), and expired pages are dropped as new ones are kept
//! (at most once a TTL), so addresses asked for once each (`?x=1`, `?x=2`,
//! …) cannot make it grow: past either bound, once expired pages are gone,
//! it starts afresh. A page larger than [`MAX_PAGE_BYTES`] is served but
//! never kept.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderValue, Method, header};
use axum::response::Response;

/// Largest number of pages kept.
const MAX_ENTRIES: usize = 10_000;
/// Largest size of all the pages kept together (their addresses and
/// bodies), in bytes (documented in the README).
pub const MAX_TOTAL_BYTES: usize = 32 * 1024 * 1024;
/// Largest page kept, in bytes: a larger one is served, not kept.
pub const MAX_PAGE_BYTES: usize = 512 * 1024;

/// State changes that change only the person's own pages, which are never
/// cached (a signed-in person's pages, or a browser's that took part), so
/// they leave the cache of signed-out pages alone: (method, route).
/// Everything else that went through clears it, so a change missing here
/// costs only a cleared cache.
///
/// - marking notifications read, and one's email settings for them;
/// - blocking, unblocking, muting and unmuting someone (only the person's
///   own notifications and views change);
/// - a vote in a common-ground conversation: the pages a signed-out visitor
///   may be served from the cache show the report that the background
///   analysis redraws (no page shows live vote counts: the CSV, which does,
///   is never cached), and the voter's own pages are never cached;
/// - turning off email from an unsubscribe link;
/// - one's own email address (asking to change it, sending its link again,
///   cancelling, confirming: no page a signed-out visitor sees shows it),
///   and downloading one's data (a posted form that changes nothing);
/// - signing out one's other browsers (their sessions; no page shows them
///   but one's own `/me/sessions`).
const OWN_PAGES_ONLY: &[(Method, &str)] = &[
    (Method::POST, "/notifications/read"),
    (Method::POST, "/notifications/settings"),
    (Method::POST, "/people/{handle}/relation"),
    (Method::POST, "/common-ground/{id}/vote"),
    (Method::POST, "/unsubscribe"),
    (Method::POST, "/me/email"),
    (Method::POST, "/me/email/send-again"),
    (Method::POST, "/me/email/cancel"),
    (Method::POST, "/me/email/confirm"),
    (Method::POST, "/me/data"),
    (Method::POST, "/me/sessions/end-others"),
];

/// Whether a request to `route` (its pattern, as the router matched it)
/// changes only the person's own pages: see [`OWN_PAGES_ONLY`].
pub fn only_own_pages(method: &Method, route: &str) -> bool {
    OWN_PAGES_ONLY.iter().any(|(m, r)| m == method && *r == route)
}

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

impl CachedPage {
    /// What it costs to keep, counted against [`MAX_TOTAL_BYTES`] with its address.
    fn size(&self, uri: &str) -> usize {
        uri.len() + self.body.len()
    }
}

/// The pages kept, with their total size and when expired ones were last dropped.
struct Pages {
    map: HashMap<String, CachedPage>,
    bytes: usize,
    swept: Instant,
}

pub struct PageCache {
    ttl: Duration,
    max_bytes: usize,
    generation: AtomicU64,
    pages: RwLock<Pages>,
}

impl PageCache {
    pub fn new(ttl: Duration) -> PageCache {
        PageCache::with_max_bytes(ttl, MAX_TOTAL_BYTES)
    }

    fn with_max_bytes(ttl: Duration, max_bytes: usize) -> PageCache {
        PageCache {
            ttl,
            max_bytes,
            generation: AtomicU64::new(0),
            pages: RwLock::new(Pages { map: HashMap::new(), bytes: 0, swept: Instant::now() }),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// A fresh page for this URI, if one is kept.
    pub fn get(&self, uri: &str) -> Option<CachedPage> {
        let generation = self.generation.load(Ordering::Acquire);
        let pages = self.pages.read().ok()?;
        let page = pages.map.get(uri)?;
        (page.generation == generation && page.stored.elapsed() < self.ttl).then(|| page.clone())
    }

    /// Keeps a page rendered under `generation` (read before rendering, so a
    /// change during the render is never hidden).
    pub fn put(&self, uri: String, body: Bytes, content_type: HeaderValue, generation: u64) {
        if body.len() > MAX_PAGE_BYTES || generation != self.generation.load(Ordering::Acquire) {
            return;
        }
        let page = CachedPage { body, content_type, stored: Instant::now(), generation };
        let size = page.size(&uri);
        let Ok(mut pages) = self.pages.write() else { return };
        // Each page lives one TTL, so dropping the expired ones once a TTL
        // keeps at most about two TTLs' worth.
        if pages.swept.elapsed() >= self.ttl {
            self.sweep(&mut pages);
        }
        if let Some(old) = pages.map.remove(&uri) {
            pages.bytes -= old.size(&uri);
        }
        if pages.map.len() >= MAX_ENTRIES || pages.bytes + size > self.max_bytes {
            self.sweep(&mut pages);
            if pages.map.len() >= MAX_ENTRIES || pages.bytes + size > self.max_bytes {
                pages.map.clear();
                pages.bytes = 0;
            }
        }
        pages.bytes += size;
        pages.map.insert(uri, page);
    }

    /// Drops the pages that expired or were kept before the last change.
    fn sweep(&self, pages: &mut Pages) {
        let generation = self.generation.load(Ordering::Acquire);
        let ttl = self.ttl;
        pages.map.retain(|_, p| p.generation == generation && p.stored.elapsed() < ttl);
        pages.bytes = pages.map.iter().map(|(uri, p)| p.size(uri)).sum();
        pages.swept = Instant::now();
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Forgets every page: called after a state-changing request that went
    /// through (see `middleware::observe`).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut pages) = self.pages.write() {
            pages.map.clear();
            pages.bytes = 0;
        }
    }

    /// How many pages are kept, and their size in bytes.
    #[cfg(test)]
    fn held(&self) -> (usize, usize) {
        let pages = self.pages.read().unwrap();
        (pages.map.len(), pages.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html() -> HeaderValue {
        HeaderValue::from_static("text/html; charset=utf-8")
    }

    #[test]
    fn expired_pages_are_dropped_as_new_ones_are_kept() {
        let cache = PageCache::new(Duration::from_millis(50));
        for i in 0..100 {
            cache.put(format!("/orgs?x={i}"), Bytes::from(vec![b'a'; 1000]), html(), 0);
        }
        assert_eq!(cache.held().0, 100);
        std::thread::sleep(Duration::from_millis(80));
        cache.put("/orgs?x=new".into(), Bytes::from_static(b"fresh"), html(), 0);
        assert_eq!(cache.held(), (1, "/orgs?x=new".len() + 5), "only the fresh page is left");
        assert!(cache.get("/orgs?x=new").is_some() && cache.get("/orgs?x=1").is_none());
    }

    #[test]
    fn the_cache_is_bounded_by_bytes_too() {
        let cache = PageCache::with_max_bytes(Duration::from_secs(60), 10_000);
        for i in 0..50 {
            cache.put(format!("/p{i}"), Bytes::from(vec![b'a'; 1000]), html(), 0);
            let (_, bytes) = cache.held();
            assert!(bytes <= 10_000, "{bytes} bytes after {i}");
        }
        assert!(cache.get("/p49").is_some(), "the newest is kept");
        // Keeping a page again replaces it, counted once.
        let before = cache.held();
        cache.put("/p49".into(), Bytes::from(vec![b'b'; 1000]), html(), 0);
        assert_eq!(cache.held(), before);
        assert_eq!(&cache.get("/p49").unwrap().body[..1], b"b");
        // The default bound is the documented 32 MB.
        assert_eq!(PageCache::new(Duration::from_secs(2)).max_bytes, 32 * 1024 * 1024);
    }

    #[test]
    fn pages_kept_before_a_change_are_gone_after_it() {
        let cache = PageCache::new(Duration::from_secs(60));
        cache.put("/orgs".into(), Bytes::from_static(b"old"), html(), 0);
        cache.invalidate();
        assert!(cache.get("/orgs").is_none());
        assert_eq!(cache.held(), (0, 0));
        cache.put("/orgs".into(), Bytes::from_static(b"stale render"), html(), 0);
        assert!(cache.get("/orgs").is_none(), "rendered before the change: not kept");
        cache.put("/orgs".into(), Bytes::from_static(b"new"), html(), 1);
        assert_eq!(&cache.get("/orgs").unwrap().body[..], b"new");
    }

    #[test]
    fn own_page_changes_are_listed_by_route_and_method() {
        assert!(only_own_pages(&Method::POST, "/notifications/read"));
        assert!(only_own_pages(&Method::POST, "/common-ground/{id}/vote"));
        assert!(!only_own_pages(&Method::GET, "/notifications/read"));
        assert!(!only_own_pages(&Method::POST, "/common-ground/{id}/statements"));
        assert!(!only_own_pages(&Method::POST, "/me/profile"), "a profile is a public page");
    }
}
