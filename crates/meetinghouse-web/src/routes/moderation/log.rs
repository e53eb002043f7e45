//! `GET /moderation/log` — what moderators did and why (never who reported).
//! Public when the instance setting says so; moderators always see it.

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
    let entries = moderation::log(&state.db, viewer.actor.as_ref(), before).await?;
    let older = if entries.len() == 100 { entries.last().map(|e| e.row.id) } else { None };
    Ok(render(&LogPage { page: Page::new(&viewer, "Moderation log"), entries, older }))
}
