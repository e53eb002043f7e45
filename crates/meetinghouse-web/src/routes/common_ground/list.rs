//! `GET /common-ground` — conversations, newest first.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use meetinghouse_store::common_ground::{self as store, ConversationRow};

use crate::error::WebError;
use crate::page::{Page, date, render};
use crate::routes::orgs::list::{PAGE_SIZE, Pager};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "common_ground/list.html")]
struct List {
    page: Page,
    conversations: Vec<(ConversationRow, String)>,
    next_page: Option<i64>,
    prev_page: Option<i64>,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let pager = Pager::new(&q, PAGE_SIZE);
    let (rows, prev_page, next_page) = pager.cut(store::list(&state.db, pager.limit(), pager.offset()).await?);
    let mut visible = Vec::new();
    for c in rows {
        // Conversations of members-only groups, or on their prompts, are left out for outsiders.
        if (c.group_id.is_some() || c.prompt_group_id.is_some()) && meetinghouse_core::common_ground::load(&state.db, c.id, viewer.actor.as_ref()).await.is_err() {
            continue;
        }
        let when = match c.closed_at {
            Some(t) => format!("closed {}", date(&t)),
            None => format!("open since {}", date(&c.created_at)),
        };
        visible.push((c, when));
    }
    Ok(render(&List { page: Page::new(&viewer, "Common ground"), conversations: visible, next_page, prev_page }))
}
