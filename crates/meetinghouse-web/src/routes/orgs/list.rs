//! `GET /orgs` — every organisation, by name.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use meetinghouse_core::orgs::OrgRow;
use meetinghouse_core::types::sector_label;
use meetinghouse_store::orgs;

use crate::error::WebError;
use crate::page::{Page, render};
use crate::state::AppState;
use crate::viewer::Viewer;

pub const PAGE_SIZE: i64 = 50;

#[derive(Template)]
#[template(path = "orgs/list.html")]
struct OrgList {
    page: Page,
    orgs: Vec<(OrgRow, &'static str)>,
    next_page: Option<i64>,
    prev_page: Option<i64>,
    can_create: bool,
}

pub fn page_number(q: &HashMap<String, String>) -> i64 {
    q.get("page").and_then(|p| p.parse::<i64>().ok()).filter(|p| *p >= 1 && *p < 100_000).unwrap_or(1)
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let n = page_number(&q);
    let mut rows = orgs::list(&state.db, PAGE_SIZE + 1, (n - 1) * PAGE_SIZE).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let orgs = rows.into_iter().map(|o| {
        let label = meetinghouse_core::types::SECTORS.iter().find(|(k, _)| *k == o.sector).map(|(_, l)| *l).unwrap_or("Other");
        (o, label)
    }).collect();
    let _ = sector_label;
    let can_create = viewer.actor.as_ref().is_some_and(|a| a.is_admin || !viewer.settings.orgs_admin_only);
    Ok(render(&OrgList {
        page: Page::new(&viewer, "Organisations"),
        orgs,
        next_page: more.then_some(n + 1),
        prev_page: (n > 1).then_some(n - 1),
        can_create,
    }))
}
