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
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let s = stories::page(&state.db, id, viewer.actor.as_ref()).await?;
    let coords = match (s.story.lat_milli, s.story.lon_milli) {
        (Some(a), Some(b)) => Some(format!("{:.3}, {:.3}", a as f64 / 1000.0, b as f64 / 1000.0)),
        _ => None,
    };
    Ok(render(&StoryShow { page: Page::new(&viewer, s.story.title.clone()), written: date(&s.story.created_at), coords, s }))
}
