//! `GET /groups/{slug}/purpose` — a group's purpose: the current version,
//! who shaped it, the open amendments with their closing times, the
//! history of versions and of settled amendments, and for members the way
//! to propose an amendment (for everyone else, who may).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use meetinghouse_core::purposes::{self, PurposePage};

use crate::error::WebError;
use crate::page::{Page, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "purposes/show.html")]
struct PurposeShow {
    page: Page,
    p: PurposePage,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(slug): Path<String>) -> Result<Response, WebError> {
    let p = purposes::page(&state.db, &viewer.settings, &slug, viewer.actor.as_ref()).await?;
    Ok(render(&PurposeShow { page: Page::new(&viewer, format!("Purpose of {}", p.group.name)), p }))
}
