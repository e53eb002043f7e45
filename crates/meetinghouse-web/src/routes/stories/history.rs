//! `GET /stories/{id}/history` — the earlier versions of a story's text the
//! viewer may read, newest first, 20 a page (`?page=N`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
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
    base: String,
    prev_page: Option<i64>,
    next_page: Option<i64>,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let number = crate::paging::page_number(&q);
    let (story, revisions, more) = stories::history_page(&state.db, id, viewer.actor.as_ref(), number as usize).await?;
    crate::paging::within(number, revisions.is_empty())?;
    let versions = revisions.into_iter().map(|r| (datetime(&r.created_at), r.title, r.body)).collect();
    Ok(render(&History {
        page: Page::new(&viewer, format!("History of “{}”", story.title)),
        id,
        versions,
        base: format!("/stories/{id}/history"),
        prev_page: (number > 1).then_some(number - 1),
        next_page: more.then_some(number + 1),
    }))
}
