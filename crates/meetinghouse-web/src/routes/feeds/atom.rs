//! Atom feeds of new public stories: `GET /stories.atom` (everything),
//! `/orgs/{slug}/stories.atom`, `/groups/{slug}/stories.atom` (by its
//! members whose accounts are active) and `/prompts/{id}/stories.atom`
//! (answers). Anyone may keep one for five minutes; its `ETag` is a hash of
//! its bytes, and a reader that has that version is answered "not
//! modified". (`Last-Modified`, the newest entry's time, is sent but not
//! answered with 304: deleting an older entry would not move it.)
//!
//! An entry's `updated` is when its story last changed or, when it is
//! later, when its author closed their account (a story kept then is shown
//! as by "Former member" from that moment: a changed entry to a reader).
//! The feed's `updated` (which Atom requires) is its newest entry's time,
//! or, when it is later or there is no entry, the time of what the feed
//! belongs to: when the organisation or group was made, when the prompt
//! was made or its question last changed. The whole town's feed with no
//! story yet has nothing of its own, so it says the time of the request.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use meetinghouse_core::{groups, orgs, stories};
use meetinghouse_store::stories::StoryRow;
use meetinghouse_store::{people, prompts, stories as store};

use super::{cache_headers, etag, rfc3339, xml};
use crate::error::WebError;
use crate::state::AppState;

const ENTRIES: i64 = 50;

/// What a feed is and where it lives.
struct Head<'a> {
    title: &'a str,
    self_path: &'a str,
    html_path: &'a str,
    /// The time of what the feed belongs to (see the module's notes);
    /// `None` for the whole town's feed.
    own_time: Option<i64>,
}

/// When each story last changed as a reader sees it: its own change, or
/// its author's closing, whichever is later (see the module's notes).
async fn changed_at(state: &AppState, rows: &[StoryRow]) -> Result<Vec<i64>, WebError> {
    let mut authors: Vec<i64> = rows.iter().map(|s| s.author_person).collect();
    authors.sort_unstable();
    authors.dedup();
    let closed: std::collections::HashMap<i64, i64> = people::closed_at_of(&state.db, &authors).await?.into_iter().collect();
    Ok(rows.iter().map(|s| closed.get(&s.author_person).map_or(s.updated_at, |&c| c.max(s.updated_at))).collect())
}

async fn feed(state: &AppState, asked: &HeaderMap, head: Head<'_>, rows: &[StoryRow]) -> Result<Response, WebError> {
    let Head { title, self_path, html_path, own_time } = head;
    let base = &state.config.base_url;
    let changed = changed_at(state, rows).await?;
    let newest = changed.iter().copied().max();
    let updated = match (newest, own_time) {
        (Some(n), Some(own)) => n.max(own),
        (Some(n), None) => n,
        (None, Some(own)) => own,
        (None, None) => meetinghouse_store::now(),
    };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out += &format!("  <title>{}</title>\n  <id>{base}{self_path}</id>\n  <updated>{}</updated>\n", xml(title), rfc3339(updated));
    out += &format!("  <link rel=\"self\" type=\"application/atom+xml\" href=\"{base}{self_path}\"/>\n");
    out += &format!("  <link rel=\"alternate\" type=\"text/html\" href=\"{base}{html_path}\"/>\n");
    for (s, changed) in rows.iter().zip(&changed) {
        let url = format!("{base}/stories/{}", s.id);
        let (licence, licence_url) = stories::licence(&s.licence);
        out += "  <entry>\n";
        out += &format!("    <title>{}</title>\n    <id>{url}</id>\n    <link rel=\"alternate\" type=\"text/html\" href=\"{url}\"/>\n", xml(&s.title));
        out += &format!("    <published>{}</published>\n    <updated>{}</updated>\n", rfc3339(s.created_at), rfc3339(*changed));
        // An announcement's author is its organisation, with its page; a
        // person's page only while it can be seen (a closed account has
        // none, a suspended one is "not found": core `stories::byline_link`).
        let name = match (&s.org_name, stories::by_organisation(s)) {
            (Some(org), true) => org.clone(),
            _ => stories::author_label(s),
        };
        let uri = stories::byline_link(s).map(|link| format!("<uri>{base}{}</uri>", xml(&link))).unwrap_or_default();
        out += &format!("    <author><name>{}</name>{uri}</author>\n", xml(&name));
        out += &format!("    <content type=\"html\">{}</content>\n", xml(&meetinghouse_core::markdown::render(&s.body)));
        let rights = if licence_url.is_empty() { licence.to_string() } else { format!("{licence} ({licence_url})") };
        out += &format!("    <rights>{}</rights>\n  </entry>\n", xml(&rights));
    }
    out += "</feed>\n";
    // Rendering 50 entries costs less than a millisecond; the bytes saved
    // are the reader's.
    let tag = etag(&out);
    if crate::page::etag_matches(asked, &tag) {
        let mut resp = StatusCode::NOT_MODIFIED.into_response();
        cache_headers(resp.headers_mut(), &tag, newest);
        return Ok(resp);
    }
    let mut resp = ([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], out).into_response();
    cache_headers(resp.headers_mut(), &tag, newest);
    Ok(resp)
}

pub async fn instance(State(state): State<AppState>, asked: HeaderMap) -> Result<Response, WebError> {
    let rows = store::recent_public(&state.db, None, ENTRIES, 0).await?;
    let name = state.settings().await.name.clone();
    let head = Head { title: &format!("New stories · {name}"), self_path: "/stories.atom", html_path: "/", own_time: None };
    feed(&state, &asked, head, &rows).await
}

// (An address that cannot be a slug, such as one with a NUL byte, names no
// organisation or group: core parses it before any query.)
pub async fn org(State(state): State<AppState>, Path(slug): Path<String>, asked: HeaderMap) -> Result<Response, WebError> {
    let org = orgs::by_address(&state.db, &slug).await?.ok_or(WebError::NotFound)?;
    let rows = store::recent_public_by_org(&state.db, org.id, ENTRIES).await?;
    let slug = &org.slug;
    let head = Head { title: &format!("Stories from {}", org.name), self_path: &format!("/orgs/{slug}/stories.atom"), html_path: &format!("/orgs/{slug}"), own_time: Some(org.created_at) };
    feed(&state, &asked, head, &rows).await
}

pub async fn group(State(state): State<AppState>, Path(slug): Path<String>, asked: HeaderMap) -> Result<Response, WebError> {
    let group = groups::by_address(&state.db, &slug).await?.ok_or(WebError::NotFound)?;
    if group.visibility != "public" {
        return Err(WebError::NotFound);
    }
    let rows = store::recent_public_by_group_members(&state.db, group.id, ENTRIES).await?;
    let slug = &group.slug;
    let head = Head { title: &format!("Stories from {}", group.name), self_path: &format!("/groups/{slug}/stories.atom"), html_path: &format!("/groups/{slug}"), own_time: Some(group.created_at) };
    feed(&state, &asked, head, &rows).await
}

pub async fn prompt(State(state): State<AppState>, Path(id): Path<i64>, asked: HeaderMap) -> Result<Response, WebError> {
    let p = prompts::by_id(&state.db, id).await?.ok_or(WebError::NotFound)?;
    // Served whenever the prompt's page is public: a prompt for everyone or
    // for a public group (a members-only group's prompt is "not found").
    if let Some(gid) = p.group_id {
        meetinghouse_core::groups::ensure_visible(&state.db, gid, None).await?;
    }
    let rows = store::recent_public(&state.db, Some(id), ENTRIES, 0).await?;
    let own_time = Some(p.created_at.max(p.question_edited_at.unwrap_or(0)));
    let head = Head { title: &format!("Answers to “{}”", p.question), self_path: &format!("/prompts/{id}/stories.atom"), html_path: &format!("/prompts/{id}"), own_time };
    feed(&state, &asked, head, &rows).await
}
