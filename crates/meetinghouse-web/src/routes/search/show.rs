//! `GET /search?q=…&type=story|object|prompt&page=N` — ranked results with
//! highlighted snippets; only public content is ever indexed. A search with
//! a common word reaches only its newest matches, and its last page says so.
//! Searches are limited per address (`RateLimits::search`): a refused one
//! is the search page again (429, `Retry-After`), its query in the box.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use meetinghouse_core::search::{self, Result_};

use crate::error::WebError;
use crate::page::{Page, date, render, render_status};
use crate::paging::page_number;
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    page: Page,
    q: String,
    kind: String,
    results: Vec<(Result_, String)>,
    searched: bool,
    /// On the last page of a search cut to its newest matches: saying so.
    capped: Option<String>,
    prev_url: Option<String>,
    next_url: Option<String>,
    /// A page past the last page of results was asked for: the first page,
    /// to go back to.
    first_url: Option<String>,
    /// The search was refused for the rate limit: why, and when to try
    /// again. The form is shown with the query kept; no results.
    refused: Option<String>,
}

/// The seconds a refused search is told to wait (`Retry-After`), as its
/// page says: "wait a minute".
pub(crate) const SEARCH_RETRY_AFTER: &str = "60";

/// The longest query searched (the search box's `maxlength`).
const QUERY_MAX: usize = 200;

fn url(q: &str, kind: &str, page: i64) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("q", q);
    if !kind.is_empty() {
        s.append_pair("type", kind);
    }
    s.append_pair("page", &page.to_string());
    format!("/search?{}", s.finish())
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    // The box takes 200 characters; a longer address is cut to match.
    let query: String = q.get("q").map(|s| s.trim().chars().take(QUERY_MAX).collect::<String>().trim_end().to_string()).unwrap_or_default();
    let kind = q.get("type").filter(|k| ["story", "object", "prompt"].contains(&k.as_str())).cloned().unwrap_or_default();
    let n = page_number(&q);
    if !query.is_empty()
        && let Err(m) = state.limits.search(viewer.ip)
    {
        // Said when to try again (the review fixC33's L4): the budget comes
        // back one search a second, and the page says to wait a minute.
        // The search page itself, with the form and the query kept, so the
        // person can send it again from there.
        let mut resp = render_status(StatusCode::TOO_MANY_REQUESTS, &SearchPage {
            page: Page::new(&viewer, "Search: please slow down"),
            searched: false,
            capped: None,
            prev_url: None,
            first_url: None,
            next_url: None,
            q: query,
            kind,
            results: Vec::new(),
            refused: Some(m.to_string()),
        });
        resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(SEARCH_RETRY_AFTER));
        return Ok(resp);
    }
    let found = if query.is_empty() { search::Results::default() } else { search::search_page(&state.db, &query, &kind, n).await? };
    let (results, more) = (found.items, found.more);
    let results: Vec<(Result_, String)> = results.into_iter().map(|r| {
        let when = date(&r.created_at);
        (r, when)
    }).collect();
    // Each search, and each of its pages, has its own title (WCAG 2.4.2).
    let title = if query.is_empty() { "Search".to_string() } else { crate::page::paged(&format!("Search results for “{query}”"), n) };
    // Nothing on a later page is not "nothing found": the results ended before it.
    let past_end = n > 1 && results.is_empty();
    // The results stop short of every match: said where they stop.
    let capped = (found.capped && !more).then(search::capped_note);
    Ok(render(&SearchPage {
        page: Page::new(&viewer, title),
        searched: !query.is_empty(),
        capped,
        prev_url: (n > 1 && !past_end).then(|| url(&query, &kind, n - 1)),
        first_url: past_end.then(|| url(&query, &kind, 1)),
        next_url: more.then(|| url(&query, &kind, n + 1)),
        q: query,
        kind,
        results,
        refused: None,
    }))
}
