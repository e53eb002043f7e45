//! `GET /admin/people`, `/admin/orgs`, `/admin/groups`; `POST
//! /admin/people/{id}/approve` and `POST /admin/invites`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use meetinghouse_core::accounts;
use meetinghouse_core::groups::GroupRow;
use meetinghouse_core::orgs::OrgRow;
use meetinghouse_store::people::PersonRow;
use meetinghouse_store::{groups, orgs, people};

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::page::{Page, date, render};
use crate::routes::orgs::list::{PAGE_SIZE, Pager};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "admin/people.html")]
struct PeopleList {
    page: Page,
    people: Vec<PersonRow>,
    next_page: Option<i64>,
    prev_page: Option<i64>,
    invite_code: Option<String>,
}

pub async fn people(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let pager = Pager::new(&q, PAGE_SIZE);
    let (rows, prev_page, next_page) = pager.cut(people::list(&state.db, pager.limit(), pager.offset()).await?);
    Ok(render(&PeopleList {
        page: Page::new(&viewer, "People"),
        people: rows,
        next_page,
        prev_page,
        invite_code: q.get("invite").cloned(),
    }))
}

pub async fn approve(State(state): State<AppState>, Path(id): Path<i64>, form: Form) -> Result<Response, WebError> {
    let actor = form.viewer.require_admin()?;
    accounts::approve(&state.db, actor, id).await?;
    Ok(see_other_with_flash("/admin/people", "Account approved.", state.config.tls))
}

pub async fn invite(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require_admin()?;
    let code = accounts::create_invite(&state.db, actor, data.get("note")).await?;
    Ok(axum::response::IntoResponse::into_response(axum::response::Redirect::to(&format!("/admin/people?invite={code}"))))
}

#[derive(Template)]
#[template(path = "admin/orgs.html")]
struct OrgsList {
    page: Page,
    orgs: Vec<OrgRow>,
    next_page: Option<i64>,
    prev_page: Option<i64>,
}

pub async fn orgs(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let pager = Pager::new(&q, PAGE_SIZE);
    let (rows, prev_page, next_page) = pager.cut(orgs::list(&state.db, pager.limit(), pager.offset()).await?);
    Ok(render(&OrgsList { page: Page::new(&viewer, "Organisations"), orgs: rows, next_page, prev_page }))
}

#[derive(Template)]
#[template(path = "admin/groups.html")]
struct GroupsList {
    page: Page,
    groups: Vec<GroupRow>,
    next_page: Option<i64>,
    prev_page: Option<i64>,
}

pub async fn groups(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let pager = Pager::new(&q, PAGE_SIZE);
    let (rows, prev_page, next_page) = pager.cut(groups::list_all(&state.db, pager.limit(), pager.offset()).await?);
    Ok(render(&GroupsList { page: Page::new(&viewer, "Groups"), groups: rows, next_page, prev_page }))
}

#[allow(dead_code)]
fn joined(p: &PersonRow) -> String {
    date(&p.created_at)
}
