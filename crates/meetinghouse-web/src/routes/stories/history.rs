//! `GET /stories/{id}/history` — every earlier version of a story's text.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use meetinghouse_core::stories;

use crate::error::WebError;
use crate::page::{Page, datetime, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "stories/history.html")]
struct History {
    page: Page,
    id: i64,
    /// (when, title, body) newest first.
    versions: Vec<(String, String, String)>,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let (story, revisions) = stories::history(&state.db, id, viewer.actor.as_ref()).await?;
    let versions = revisions.into_iter().map(|r| (datetime(&r.created_at), r.title, r.body)).collect();
    Ok(render(&History { page: Page::new(&viewer, format!("History of “{}”", story.title)), id, versions }))
}
