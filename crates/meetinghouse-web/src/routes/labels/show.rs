//! The label pages for stories and prompts.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use meetinghouse_core::{prompts, stories};

use super::qr_svg;
use crate::error::WebError;
use crate::page::{Page, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "labels/label.html")]
pub struct Label {
    pub page: Page,
    pub poster: bool,
    pub kicker: String,
    pub heading: String,
    pub invitation: String,
    pub url: String,
    pub qr: String,
    pub back: String,
}

fn poster(q: &HashMap<String, String>) -> bool {
    q.get("size").is_some_and(|s| s == "a4")
}

pub async fn story(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let s = stories::page(&state.db, id, viewer.actor.as_ref()).await?;
    if s.story.visibility != "public" {
        return Err(WebError::Forbidden("Only public stories have labels: a QR code on a wall is for everyone.".into()));
    }
    let url = format!("{}/stories/{id}", state.config.base_url);
    Ok(render(&Label {
        page: Page::new(&viewer, format!("Label: {}", s.story.title)),
        poster: poster(&q),
        kicker: format!("A story by {}", s.author_label),
        qr: qr_svg(&url, &format!("QR code linking to {url}")),
        heading: s.story.title,
        invitation: "Scan to read it — and share a story of your own.".into(),
        back: format!("/stories/{id}"),
        url,
    }))
}

pub async fn prompt(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let p = prompts::page(&state.db, id, viewer.actor.as_ref()).await?;
    let url = format!("{}/prompts/{id}", state.config.base_url);
    Ok(render(&Label {
        page: Page::new(&viewer, format!("Label: {}", p.prompt.question)),
        poster: poster(&q),
        kicker: format!("A question from {}", p.host_label),
        qr: qr_svg(&url, &format!("QR code linking to {url}")),
        heading: p.prompt.question,
        invitation: "Scan to share your story.".into(),
        back: format!("/prompts/{id}"),
        url,
    }))
}
