//! `GET /notifications` (newest first, `?before=ID` for older ones) and
//! `POST /notifications/read` (mark all as read).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use meetinghouse_core::notifications::{self, PAGE_SIZE};
use meetinghouse_store::notifications::NotificationRow;

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "notifications/list.html")]
struct ListPage {
    page: Page,
    items: Vec<NotificationRow>,
    older: Option<i64>,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let before = q.get("before").and_then(|b| b.parse::<i64>().ok()).unwrap_or(0);
    let items = notifications::list(&state.db, actor, before).await?;
    let older = if items.len() as i64 == PAGE_SIZE { items.last().map(|n| n.id) } else { None };
    Ok(render(&ListPage { page: Page::new(&viewer, "Notifications"), items, older }))
}

pub async fn read(State(state): State<AppState>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    notifications::mark_all_read(&state.db, actor).await?;
    Ok(see_other_with_flash("/notifications", "All notifications are marked as read.", state.config.tls))
}
