//! `GET /groups/{slug}/purpose` — a group's purpose: the current version,
//! who shaped it, the open amendments with their closing times, the
//! history of versions and of settled amendments, and for members the way
//! to propose an amendment (for everyone else, who may). The settled
//! amendments come `purposes::SETTLED_LISTED` at a time (`?page=2` for
//! older ones); a page past their end is "no such page" (404).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use meetinghouse_core::purposes::{self, PurposePage};

use crate::error::WebError;
use crate::page::{Page, paged, render};
use crate::paging::{page_number, within};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "purposes/show.html")]
struct PurposeShow {
    page: Page,
    p: PurposePage,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let number = page_number(&q);
    let p = purposes::page_at(&state.db, &viewer.settings, &slug, viewer.actor.as_ref(), number).await?;
    within(number, p.settled.is_empty())?;
    Ok(render(&PurposeShow { page: Page::new(&viewer, paged(&format!("Purpose of {}", p.group.name), number)), p }))
}
