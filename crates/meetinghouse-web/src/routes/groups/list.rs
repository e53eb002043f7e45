//! `GET /groups` — public groups and, for a signed-in person, the
//! members-only groups they belong to (marked); admins see all. By name,
//! the archived ones last, under their own heading. A group the moderators
//! hold archived is listed only to those who belong to it and to admins
//! (marked "archived by the moderators"; store `groups::list_public`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use meetinghouse_core::groups::{self, GroupRow};

use crate::error::WebError;
use crate::page::{Page, date, render};
use crate::paging::Pager;
use crate::routes::orgs::list::PAGE_SIZE;
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

impl GroupList {
    /// The page's groups open for changes, then the archived ones (the
    /// listing puts them last).
    fn split(&self) -> (Vec<&GroupRow>, Vec<&GroupRow>) {
        self.groups.iter().partition(|g| g.archived_at.is_none())
    }

    /// The day a group was archived, in words.
    fn archived_on(&self, g: &GroupRow) -> Option<String> {
        g.archived_at.as_ref().map(date)
    }
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let pager = Pager::new(&q, PAGE_SIZE);
    let (rows, prev_page, next_page) = pager.cut(groups::list(&state.db, viewer.actor.as_ref(), pager.limit(), pager.offset()).await?)?;
    Ok(render(&GroupList {
        page: Page::new(&viewer, crate::page::paged("Groups and networks", pager.number)),
        groups: rows,
        next_page,
        prev_page,
    }))
}
