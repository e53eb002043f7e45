//! `GET /prompts` — prompts, newest first.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use meetinghouse_store::prompts::{self, PromptRow};

use crate::error::WebError;
use crate::page::{Page, date, render};
use crate::routes::orgs::list::{PAGE_SIZE, page_number};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "prompts/list.html")]
struct PromptList {
    page: Page,
    prompts: Vec<(PromptRow, String, bool)>,
    next_page: Option<i64>,
    prev_page: Option<i64>,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let n = page_number(&q);
    let mut rows = prompts::list(&state.db, PAGE_SIZE + 1, (n - 1) * PAGE_SIZE).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let now = meetinghouse_store::now();
    let mut visible = Vec::new();
    for p in rows {
        if p.group_id.is_some() && meetinghouse_core::prompts::page(&state.db, p.id, viewer.actor.as_ref()).await.is_err() {
            continue;
        }
        let open = meetinghouse_core::prompts::accepting(&p, now).is_ok();
        let when = match p.closes_at {
            Some(c) if open => format!("open until {}", date(&(c - 1))),
            Some(c) => format!("closed {}", date(&(c - 1))),
            None => format!("open since {}", date(&p.opens_at)),
        };
        visible.push((p, when, open));
    }
    Ok(render(&PromptList { page: Page::new(&viewer, "Prompts"), prompts: visible, next_page: more.then_some(n + 1), prev_page: (n > 1).then_some(n - 1) }))
}
