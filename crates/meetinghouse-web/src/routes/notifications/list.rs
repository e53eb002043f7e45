//! `GET /notifications` (newest first, `?before=ID` for older ones) and
//! `POST /notifications/read`: with `upto` (the newest notification the page
//! showed), "mark all as read" — what arrived after the page was shown stays
//! unread (without it, all of them); with `open`, following one notification: it is marked read and
//! the browser goes on to its link (a page on this site).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use meetinghouse_core::notifications::{self, PAGE_SIZE};
use meetinghouse_store::notifications::NotificationRow;

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::{is_local_path, see_other_with_flash};
use crate::page::{Page, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "notifications/list.html")]
struct ListPage {
    page: Page,
    items: Vec<NotificationRow>,
    older: Option<i64>,
    /// The newest notification shown: "mark all as read" goes up to it.
    newest: i64,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let before = q.get("before").and_then(|b| b.parse::<i64>().ok()).unwrap_or(0);
    let items = notifications::list(&state.db, actor, before).await?;
    let older = if items.len() as i64 == PAGE_SIZE { items.last().map(|n| n.id) } else { None };
    let newest = items.iter().map(|n| n.id).max().unwrap_or(0);
    Ok(render(&ListPage { page: Page::new(&viewer, "Notifications"), items, older, newest }))
}

pub async fn read(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    if !data.get("open").is_empty() {
        let id = data.get("open").parse::<i64>().map_err(|_| WebError::NotFound)?;
        let url = notifications::open(&state.db, actor, id).await?;
        // Links are the site's own; anything else goes back to the list.
        let to = if is_local_path(&url) { url.as_str() } else { "/notifications" };
        return Ok(Redirect::to(to).into_response());
    }
    // (A form without `upto`, made by hand, marks them all.)
    let upto = match data.get("upto") {
        "" => i64::MAX,
        raw => raw.parse::<i64>().map_err(|_| {
            WebError::BadRequest("This form was out of date. Open your notifications again and mark them as read from there.".into())
        })?,
    };
    notifications::mark_read_up_to(&state.db, actor, upto).await?;
    Ok(see_other_with_flash("/notifications", "The notifications on the page are marked as read.", state.config.tls))
}
