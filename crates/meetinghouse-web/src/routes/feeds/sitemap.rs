//! `GET /sitemap.xml` and `GET /sitemap-{n}.xml` — the public pages: home,
//! organisations, public groups, prompts with a public page, public stories
//! and collection objects. A file holds at most 50,000 addresses (the
//! sitemap protocol's limit): while everything fits in one, `/sitemap.xml`
//! lists it all; past that it is an index of `/sitemap-1.xml` (the site's own
//! pages), then files of stories, then files of objects, each in the order
//! they were added, so an address keeps its file as more are added. While
//! there is one file, no `/sitemap-{n}.xml` is served (it would say the
//! same again).
//!
//! Each file is kept in memory once made, per app server, for the
//! [`KEEP`] its `Cache-Control` lets clients keep it, or until a change
//! goes through on this app server (the page cache's generation moves on)
//! ([`Cache`]): the page cache keeps only HTML, and a sitemap of a large
//! town takes its queries and megabytes to make, which nobody should be
//! able to make the server do again and again. A change made through
//! another app server shows within [`KEEP`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use meetinghouse_core::collection::object_path;
use meetinghouse_store::{groups, orgs, prompts, sitemap, stories};

use super::{CACHE_CONTROL, rfc3339, xml};
use crate::error::WebError;
use crate::state::AppState;

/// Most addresses in one sitemap file.
const MAX_URLS: i64 = 50_000;
/// Most organisations, groups and prompts listed (each), so the site's own
/// pages always fit in one file.
const MAX_EACH: i64 = 5_000;

/// How long a made file is served again: the `max-age` of
/// [`CACHE_CONTROL`] (`feeds::CACHE_CONTROL`).
pub const KEEP: Duration = Duration::from_secs(300);

/// The sitemap files made in the last [`KEEP`] since the last change, by
/// number (0 for `/sitemap.xml`, `n` for `/sitemap-{n}.xml`): at most as
/// many as the sitemap has files, as an address past the last is not
/// kept. One file is made at a time; a request for it meanwhile waits and
/// is given it.
#[derive(Default)]
pub struct Cache {
    /// Each file: when it was made, at which page-cache generation, and its bytes.
    files: tokio::sync::Mutex<HashMap<usize, (Instant, u64, Bytes)>>,
}

impl Cache {
    /// A cache for one router, shared by its two sitemap routes.
    pub fn shared() -> Arc<Cache> {
        Arc::new(Cache::default())
    }

    /// File `n`, kept or made now by `make` (None: no such file, not
    /// kept). `generation` is the page cache's now: a file made before a
    /// change went through is made again.
    async fn get_or_make<F>(&self, n: usize, generation: u64, make: F) -> Result<Option<Bytes>, WebError>
    where
        F: std::future::Future<Output = Result<Option<String>, WebError>>,
    {
        let mut files = self.files.lock().await;
        files.retain(|_, (at, made_in, _)| at.elapsed() < KEEP && *made_in == generation);
        if let Some((_, _, body)) = files.get(&n) {
            return Ok(Some(body.clone()));
        }
        let Some(made) = make.await? else { return Ok(None) };
        let body = Bytes::from(made);
        files.insert(n, (Instant::now(), generation, body.clone()));
        Ok(Some(body))
    }
}

/// One file of a sitemap split into several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Home, prompts, organisations, public groups and public prompts.
    Site,
    /// Public stories from this offset.
    Stories(i64),
    /// Collection objects from this offset.
    Objects(i64),
}

/// The files of a split sitemap, in order: the site's pages, then stories
/// and objects, `per_file` to a file.
fn plan(stories: i64, objects: i64, per_file: i64) -> Vec<Part> {
    let mut parts = vec![Part::Site];
    parts.extend((0..stories).step_by(per_file as usize).map(Part::Stories));
    parts.extend((0..objects).step_by(per_file as usize).map(Part::Objects));
    parts
}

type Urls = Vec<(String, Option<i64>)>;

/// Whether the whole sitemap fits in one file (`/sitemap.xml` alone).
fn fits_one_file(site: usize, stories: i64, objects: i64) -> bool {
    site as i64 + stories + objects <= MAX_URLS
}

pub async fn show(State(state): State<AppState>, Extension(cache): Extension<Arc<Cache>>) -> Result<Response, WebError> {
    let generation = state.page_cache.generation();
    let body = cache.get_or_make(0, generation, async { make_whole(&state).await.map(Some) }).await?;
    Ok(xml_response(body.unwrap_or_default()))
}

/// `/sitemap.xml`: the whole sitemap, or the index of its files.
async fn make_whole(state: &AppState) -> Result<String, WebError> {
    let site = site_pages(state).await?;
    let story_count = stories::count_public(&state.db).await?;
    let object_count = sitemap::count_objects(&state.db).await?;
    if fits_one_file(site.len(), story_count, object_count) {
        let mut urls = site;
        urls.extend(story_urls(state, MAX_URLS, 0).await?);
        urls.extend(object_urls(state, MAX_URLS, 0).await?);
        return Ok(urlset(&urls));
    }
    let base = &state.config.base_url;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for n in 1..=plan(story_count, object_count, MAX_URLS).len() {
        out += &format!("  <sitemap><loc>{}</loc></sitemap>\n", xml(&format!("{base}/sitemap-{n}.xml")));
    }
    out += "</sitemapindex>\n";
    Ok(out)
}

/// One file of the index (`file` is `{n}.xml`, counting from 1).
pub async fn part(State(state): State<AppState>, Extension(cache): Extension<Arc<Cache>>, Path(file): Path<String>) -> Result<Response, WebError> {
    let n = file.strip_suffix(".xml").and_then(|n| n.parse::<usize>().ok()).filter(|n| *n >= 1).ok_or(WebError::NotFound)?;
    let generation = state.page_cache.generation();
    let body = cache.get_or_make(n, generation, make_part(&state, n)).await?.ok_or(WebError::NotFound)?;
    Ok(xml_response(body))
}

/// `/sitemap-{n}.xml`, or None when there is no such file.
async fn make_part(state: &AppState, n: usize) -> Result<Option<String>, WebError> {
    let story_count = stories::count_public(&state.db).await?;
    let object_count = sitemap::count_objects(&state.db).await?;
    let site = site_pages(state).await?;
    // One file holds it all: `/sitemap.xml` is that file, and there are no parts.
    if fits_one_file(site.len(), story_count, object_count) {
        return Ok(None);
    }
    let urls = match plan(story_count, object_count, MAX_URLS).get(n - 1) {
        None => return Ok(None),
        Some(Part::Site) => site,
        Some(Part::Stories(offset)) => story_urls(state, MAX_URLS, *offset).await?,
        Some(Part::Objects(offset)) => object_urls(state, MAX_URLS, *offset).await?,
    };
    Ok(Some(urlset(&urls)))
}

/// Home, prompts, organisations (not those the moderators flagged), public
/// groups (not those the moderators hold archived: store
/// `groups::list_public`) and the prompts whose pages are public.
async fn site_pages(state: &AppState) -> Result<Urls, WebError> {
    let base = &state.config.base_url;
    let mut urls: Urls = vec![(format!("{base}/"), None), (format!("{base}/prompts"), None)];
    for o in orgs::list_unflagged(&state.db, MAX_EACH, 0).await? {
        urls.push((format!("{base}/orgs/{}", o.slug), None));
    }
    for g in groups::list_public(&state.db, MAX_EACH, 0).await? {
        urls.push((format!("{base}/groups/{}", g.slug), None));
    }
    for p in prompts::list(&state.db, MAX_EACH, 0).await? {
        // A prompt for everyone, or for a public group: its page is public.
        if meetinghouse_core::prompts::is_public(&p) {
            urls.push((format!("{base}/prompts/{}", p.id), Some(p.created_at)));
        }
    }
    Ok(urls)
}

async fn story_urls(state: &AppState, limit: i64, offset: i64) -> Result<Urls, WebError> {
    let base = &state.config.base_url;
    Ok(sitemap::public_stories(&state.db, limit, offset).await?.into_iter().map(|(id, updated)| (format!("{base}/stories/{id}"), Some(updated))).collect())
}

async fn object_urls(state: &AppState, limit: i64, offset: i64) -> Result<Urls, WebError> {
    let base = &state.config.base_url;
    Ok(sitemap::objects(&state.db, limit, offset)
        .await?
        .into_iter()
        .map(|(org, accession, updated)| (format!("{base}{}", object_path(&org, &accession)), Some(updated)))
        .collect())
}

fn urlset(urls: &[(String, Option<i64>)]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for (loc, updated) in urls {
        out += &format!("  <url><loc>{}</loc>", xml(loc));
        if let Some(t) = updated {
            out += &format!("<lastmod>{}</lastmod>", rfc3339(*t));
        }
        out += "</url>\n";
    }
    out += "</urlset>\n";
    out
}

fn xml_response(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/xml; charset=utf-8"), (header::CACHE_CONTROL, CACHE_CONTROL)], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::{Part, plan};

    #[test]
    fn parts_only_when_it_is_split() {
        assert!(super::fits_one_file(3, 49_997, 0));
        assert!(!super::fits_one_file(3, 49_997, 1));
    }

    #[test]
    fn a_split_sitemap_cuts_stories_and_objects_into_files() {
        assert_eq!(plan(0, 0, 3), vec![Part::Site]);
        assert_eq!(plan(3, 0, 3), vec![Part::Site, Part::Stories(0)]);
        assert_eq!(plan(4, 7, 3), vec![
            Part::Site,
            Part::Stories(0),
            Part::Stories(3),
            Part::Objects(0),
            Part::Objects(3),
            Part::Objects(6)
        ]);
    }
}
