//! `GET /moderation/log` — what moderators did and why (never who reported).
//! Public when the instance setting says so; moderators always see it.
//! Others see only entries about what they may see (core `moderation::log_page`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use meetinghouse_core::moderation::{self, LogEntry};

use crate::error::WebError;
use crate::page::{Page, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "moderation/log.html")]
struct LogPage {
    page: Page,
    entries: Vec<LogEntry>,
    older: Option<i64>,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let before = q.get("before").and_then(|b| b.parse::<i64>().ok()).unwrap_or(0);
    let log = moderation::log_page(&state.db, viewer.actor.as_ref(), before).await?;
    Ok(render(&LogPage { page: Page::new(&viewer, "Moderation log"), entries: log.entries, older: log.older }))
}
