//! `GET /sitemap.xml` — the public pages: home, organisations, public
//! groups, prompts with a public page and public stories (at most 50,000 URLs).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use meetinghouse_store::{groups, orgs, prompts, stories};

use super::{rfc3339, xml};
use crate::error::WebError;
use crate::state::AppState;

const MAX_URLS: i64 = 50_000;

pub async fn show(State(state): State<AppState>) -> Result<Response, WebError> {
    let base = &state.config.base_url;
    let mut urls: Vec<(String, Option<i64>)> = vec![(format!("{base}/"), None), (format!("{base}/prompts"), None)];
    for o in orgs::list(&state.db, 5_000, 0).await? {
        urls.push((format!("{base}/orgs/{}", o.slug), None));
    }
    let mut public_groups = std::collections::HashSet::new();
    for g in groups::list_public(&state.db, 5_000, 0).await? {
        urls.push((format!("{base}/groups/{}", g.slug), None));
        public_groups.insert(g.id);
    }
    for p in prompts::list(&state.db, 5_000, 0).await? {
        // A prompt for everyone, or for a public group: its page is public.
        if p.group_id.is_none_or(|g| public_groups.contains(&g)) {
            urls.push((format!("{base}/prompts/{}", p.id), Some(p.created_at)));
        }
    }
    let room = MAX_URLS - urls.len() as i64;
    for (id, updated) in stories::public_ids(&state.db, room.max(0)).await? {
        urls.push((format!("{base}/stories/{id}"), Some(updated)));
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for (loc, updated) in urls {
        out += &format!("  <url><loc>{}</loc>", xml(&loc));
        if let Some(t) = updated {
            out += &format!("<lastmod>{}</lastmod>", rfc3339(t));
        }
        out += "</url>\n";
    }
    out += "</urlset>\n";
    Ok(([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], out).into_response())
}
