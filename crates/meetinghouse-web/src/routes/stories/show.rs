//! `GET /stories/{id}` — one story.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use meetinghouse_core::stories::{self, StoryPage};

use crate::error::WebError;
use crate::page::{Page, date, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "stories/show.html")]
struct StoryShow {
    page: Page,
    s: StoryPage,
    written: String,
    coords: Option<String>,
    url: String,
    json_ld: String,
    description: String,
    section: Option<crate::routes::conversations::Section>,
    /// For its author, why the moderators removed it (and the way to ask
    /// for a review), and the day it goes for good.
    /// (the moderator's note, the last day it can be restored).
    removal: Option<(String, String)>,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let s = stories::page(&state.db, id, viewer.actor.as_ref()).await?;
    let mut section = crate::routes::conversations::story_section(&state, &viewer, &s).await?;
    if let Some(sec) = section.as_mut() {
        crate::routes::replies::while_waiting(&viewer, &mut sec.convo.refused, sec.convo.replies.iter_mut());
    }
    let removal = meetinghouse_core::moderation::removal_for_author(&state.db, viewer.actor.as_ref(), &s.story)
        .await?
        .map(|r| (r.note, date(&(r.removed_at + stories::RESTORE_WINDOW_SECS))));
    let coords = match (s.story.lat_milli, s.story.lon_milli) {
        (Some(a), Some(b)) => Some(format!("{:.3}, {:.3}", a as f64 / 1000.0, b as f64 / 1000.0)),
        _ => None,
    };
    let url = format!("{}/stories/{id}", state.config.base_url);
    let description: String = s.story.body.chars().take(200).collect();
    let mut ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "CreativeWork",
        "headline": s.story.title,
        "url": url,
        "datePublished": crate::routes::feeds::rfc3339(s.story.created_at),
        "dateModified": crate::routes::feeds::rfc3339(s.story.updated_at),
        "inLanguage": "en-GB",
    });
    // An announcement is the organisation's; a person is named with their
    // profile only while it can be seen (not a closed, suspended or
    // waiting account: core `stories::byline_link`).
    let mut author = if stories::by_organisation(&s.story) {
        serde_json::json!({"@type": "Organization", "name": s.story.org_name})
    } else {
        serde_json::json!({"@type": "Person", "name": s.story.author_name})
    };
    if let Some(link) = &s.author_link {
        author["url"] = serde_json::Value::String(format!("{}{link}", state.config.base_url));
    }
    ld["author"] = author;
    if !s.licence_url.is_empty() {
        ld["license"] = serde_json::Value::String(s.licence_url.to_string());
    }
    if !s.story.place_name.is_empty() {
        ld["contentLocation"] = serde_json::json!({"@type": "Place", "name": s.story.place_name});
    }
    if !s.story.period_text.is_empty() {
        ld["temporalCoverage"] = serde_json::Value::String(s.story.period_text.clone());
    }
    Ok(render(&StoryShow {
        page: Page::new(&viewer, s.story.title.clone()),
        written: date(&s.story.created_at),
        coords,
        json_ld: json_for_script(&ld),
        url,
        description,
        section,
        removal,
        s,
    }))
}

/// JSON that is safe inside a `<script type="application/ld+json">` block.
pub fn json_for_script(v: &serde_json::Value) -> String {
    v.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}
