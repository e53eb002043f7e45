//! `GET /groups` — public groups (admins see all), by name.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use meetinghouse_core::groups::{self, GroupRow};

use crate::error::WebError;
use crate::page::{Page, render};
use crate::routes::orgs::list::{PAGE_SIZE, page_number};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "groups/list.html")]
struct GroupList {
    page: Page,
    groups: Vec<GroupRow>,
    next_page: Option<i64>,
    prev_page: Option<i64>,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let n = page_number(&q);
    let mut rows = groups::list(&state.db, viewer.actor.as_ref(), PAGE_SIZE + 1, (n - 1) * PAGE_SIZE).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    Ok(render(&GroupList {
        page: Page::new(&viewer, "Groups and networks"),
        groups: rows,
        next_page: more.then_some(n + 1),
        prev_page: (n > 1).then_some(n - 1),
    }))
}
