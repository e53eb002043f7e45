//! `GET /notifications` (newest first, `?before=ID` for older ones; the
//! same news told many times over is one line with its count, opening to
//! each of them: core `notifications::group`) and
//! `POST /notifications/read`: with `shown` (one field per unread
//! notification the page showed, at most 50), "mark these as read" marks
//! exactly those — what arrived after the page was drawn stays unread,
//! whatever its id; with `open`, following one notification: it is marked
//! read and the browser goes on to its link (a page on this site), or back
//! to the list with a note when what it is about has gone from the
//! person's view since the page was drawn. Plain forms: no script needed.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use meetinghouse_core::notifications::{self, News, PAGE_SIZE};

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
    items: Vec<News>,
    older: Option<i64>,
    /// The unread notifications shown: "mark all as read" marks these.
    unread: Vec<i64>,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let before = q.get("before").and_then(|b| b.parse::<i64>().ok()).unwrap_or(0);
    let items = notifications::list(&state.db, actor, before).await?;
    let older = if items.len() as i64 == PAGE_SIZE { items.last().map(|n| n.id) } else { None };
    let unread = items.iter().filter(|n| n.read_at.is_none()).map(|n| n.id).collect();
    let items = notifications::group(items);
    Ok(render(&ListPage { page: Page::new(&viewer, if before > 0 { "Notifications: older ones" } else { "Notifications" }), items, older, unread }))
}

pub async fn read(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    if !data.get("open").is_empty() {
        let id = data.get("open").parse::<i64>().map_err(|_| WebError::NotFound)?;
        let Some(url) = notifications::follow(&state.db, actor, id).await? else {
            return Ok(see_other_with_flash("/notifications", "That is no longer available to you.", state.config.tls));
        };
        // Links are the site's own; anything else goes back to the list.
        let to = if is_local_path(&url) { url.as_str() } else { "/notifications" };
        return Ok(Redirect::to(to).into_response());
    }
    let out_of_date = || WebError::BadRequest("This form was out of date. Open your notifications again and mark them as read from there.".into());
    // A page drawn before the form named what it showed has only `upto`.
    if !data.get("upto").is_empty() && data.all("shown").is_empty() {
        return Err(out_of_date());
    }
    let ids = data.all("shown").iter().map(|raw| raw.parse::<i64>()).collect::<Result<Vec<i64>, _>>().map_err(|_| out_of_date())?;
    if ids.len() as i64 > PAGE_SIZE {
        return Err(out_of_date());
    }
    notifications::mark_read(&state.db, actor, &ids).await?;
    Ok(see_other_with_flash("/notifications", "The notifications on the page are marked as read.", state.config.tls))
}
