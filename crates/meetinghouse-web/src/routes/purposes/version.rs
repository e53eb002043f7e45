//! `GET /groups/{slug}/purpose/versions/{n}` — one version of a group's
//! purpose: its text, who proposed it and when it was adopted, the
//! amendment it came from, and what changed from the version before, word
//! by word.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use meetinghouse_core::purposes::{self, VersionPage};

use super::Diff;
use crate::error::WebError;
use crate::page::{Page, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "purposes/version.html")]
struct VersionShow {
    page: Page,
    v: VersionPage,
    diff: Diff,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path((slug, n)): Path<(String, String)>) -> Result<Response, WebError> {
    let n = n.parse::<i64>().map_err(|_| WebError::NotFound)?;
    let v = purposes::version_page(&state.db, &slug, n, viewer.actor.as_ref()).await?;
    let diff = Diff::new(&v.diff);
    let title = format!("Version {} of the purpose of {}", v.version.version, v.group.name);
    Ok(render(&VersionShow { page: Page::new(&viewer, title), v, diff }))
}
