//! `GET /orgs` — every organisation, by name, but those the moderators
//! flagged as not confirmed to be who their names say.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use meetinghouse_core::orgs::OrgRow;
use meetinghouse_core::types::sector_label;
use meetinghouse_store::orgs;

use crate::error::WebError;
use crate::page::{Page, render};
use crate::paging::Pager;
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

pub async fn show(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let pager = Pager::new(&q, PAGE_SIZE);
    let (rows, prev_page, next_page) = pager.cut(orgs::list_unflagged(&state.db, pager.limit(), pager.offset()).await?)?;
    let orgs = rows.into_iter().map(|o| {
        let label = meetinghouse_core::types::SECTORS.iter().find(|(k, _)| *k == o.sector).map(|(_, l)| *l).unwrap_or("Other");
        (o, label)
    }).collect();
    let _ = sector_label;
    let can_create = viewer.actor.as_ref().is_some_and(|a| a.is_admin || !viewer.settings.orgs_admin_only);
    Ok(render(&OrgList {
        page: Page::new(&viewer, crate::page::paged("Organisations", pager.number)),
        orgs,
        next_page,
        prev_page,
        can_create,
    }))
}
