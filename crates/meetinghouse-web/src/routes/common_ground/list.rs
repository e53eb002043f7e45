//! `GET /common-ground` — conversations, newest first: those of a
//! members-only group (or on its prompt) only to its members, filtered in
//! the database before the list is cut into pages. "Open a conversation"
//! is offered to those who may open one; everyone else is told who can.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use meetinghouse_core::common_ground;
use meetinghouse_store::common_ground::{self as store, ConversationRow};

use crate::error::WebError;
use crate::page::{Page, date, render};
use crate::paging::Pager;
use crate::routes::orgs::list::PAGE_SIZE;
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "common_ground/list.html")]
struct List {
    page: Page,
    conversations: Vec<(ConversationRow, String)>,
    next_page: Option<i64>,
    prev_page: Option<i64>,
    /// Whether the viewer may open a conversation somewhere.
    may_open: bool,
    who_opens: &'static str,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let pager = Pager::new(&q, PAGE_SIZE);
    let audience = meetinghouse_core::prompts::audience(&state.db, viewer.actor.as_ref()).await?;
    let (rows, prev_page, next_page) = pager.cut(store::list_for(&state.db, &audience, pager.limit(), pager.offset()).await?)?;
    let conversations = rows
        .into_iter()
        .map(|c| {
            let when = match (c.closed_at, c.reopened_at) {
                (Some(t), _) => format!("closed {}", date(&t)),
                (None, Some(t)) => format!("open again since {}", date(&t)),
                (None, None) => format!("open since {}", date(&c.created_at)),
            };
            (c, when)
        })
        .collect();
    let may_open = match &viewer.actor {
        Some(a) => common_ground::may_open(&state.db, a).await?,
        None => false,
    };
    let page = Page::new(&viewer, crate::page::paged("Common ground", pager.number));
    Ok(render(&List { page, conversations, next_page, prev_page, may_open, who_opens: common_ground::WHO_OPENS }))
}
