//! `GET /orgs/{slug}/objects` — an organisation's collection, by accession number.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use meetinghouse_core::collection;
use meetinghouse_store::{objects, orgs};

use crate::error::WebError;
use crate::page::{Page, render};
use crate::routes::orgs::list::Pager;
use crate::state::AppState;
use crate::viewer::Viewer;

const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "objects/list.html")]
struct ObjectList {
    page: Page,
    slug: String,
    org_name: String,
    total: i64,
    /// (path, title, makers, date)
    objects: Vec<(String, String, String, String)>,
    base: String,
    prev_page: Option<i64>,
    next_page: Option<i64>,
    can_import: bool,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(slug): Path<String>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let org = orgs::by_slug(&state.db, &slug).await?.ok_or(WebError::NotFound)?;
    let pager = Pager::new(&q, PER_PAGE);
    let (rows, prev_page, next_page) = pager.cut(objects::list(&state.db, org.id, pager.limit(), pager.offset()).await?);
    let can_import = match &viewer.actor {
        Some(a) => collection::ensure_can_import(&state.db, a, &slug).await.is_ok(),
        None => false,
    };
    Ok(render(&ObjectList {
        page: Page::new(&viewer, format!("Collection: {}", org.name)),
        total: objects::count(&state.db, org.id).await?,
        objects: rows
            .into_iter()
            .map(|o| (collection::object_path(&slug, &o.accession_number), o.title, o.makers, o.display_date))
            .collect(),
        base: format!("/orgs/{slug}/objects"),
        slug,
        org_name: org.name,
        prev_page,
        next_page,
        can_import,
    }))
}
