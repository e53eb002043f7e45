//! `GET /prompts` — the prompts the viewer may see: open now first, then
//! those to come, then the closed ones (core `prompts::list`; filtered
//! before paging, so no page is empty while a later one is not).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use meetinghouse_store::prompts::PromptRow;

use crate::error::WebError;
use crate::page::{Page, date, render};
use crate::paging::Pager;
use crate::routes::orgs::list::PAGE_SIZE;
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
    let pager = Pager::new(&q, PAGE_SIZE);
    let listed = meetinghouse_core::prompts::list(&state.db, viewer.actor.as_ref(), pager.limit(), pager.offset()).await?;
    let (rows, prev_page, next_page) = pager.cut(listed)?;
    let now = meetinghouse_store::now();
    let mut visible = Vec::new();
    for p in rows {
        let open = meetinghouse_core::prompts::taking_stories(&p, now).is_ok();
        // (`closes_at` is the midnight after the last day it takes stories.)
        let when = match p.closes_at {
            _ if p.group_archived_at.is_some() => "its group is archived: it takes no new stories".to_string(),
            Some(c) if now < p.opens_at => format!("opens on {}, open until {}", date(&p.opens_at), date(&(c - 1))),
            None if now < p.opens_at => format!("opens on {}", date(&p.opens_at)),
            Some(c) if open => format!("open until {}", date(&(c - 1))),
            Some(c) => format!("closed {}", date(&(c - 1))),
            None => format!("open since {}", date(&p.opens_at)),
        };
        visible.push((p, when, open));
    }
    Ok(render(&PromptList { page: Page::new(&viewer, crate::page::paged("Prompts", pager.number)), prompts: visible, next_page, prev_page }))
}
