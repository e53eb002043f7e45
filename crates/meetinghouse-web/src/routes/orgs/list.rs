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

/// Page-number pagination: ask the database for one row more than a page to
/// learn whether there is a next page.
#[derive(Debug, Clone, Copy)]
pub struct Pager {
    pub number: i64,
    pub size: i64,
}

impl Pager {
    pub fn new(q: &HashMap<String, String>, size: i64) -> Pager {
        Pager { number: page_number(q), size }
    }
    /// The LIMIT to ask for: a page and one more row.
    pub fn limit(&self) -> i64 {
        self.size + 1
    }
    pub fn offset(&self) -> i64 {
        (self.number - 1) * self.size
    }
    /// Cuts the rows to a page; returns them with the previous and next page numbers.
    pub fn cut<T>(&self, mut rows: Vec<T>) -> (Vec<T>, Option<i64>, Option<i64>) {
        let more = rows.len() as i64 > self.size;
        rows.truncate(self.size as usize);
        (rows, (self.number > 1).then_some(self.number - 1), more.then_some(self.number + 1))
    }
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let pager = Pager::new(&q, PAGE_SIZE);
    let (rows, prev_page, next_page) = pager.cut(orgs::list_unflagged(&state.db, pager.limit(), pager.offset()).await?);
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
