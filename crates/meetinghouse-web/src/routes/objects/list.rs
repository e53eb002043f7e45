//! `GET /orgs/{slug}/objects` — an organisation's collection, by accession
//! number, a page at a time (`?page=N`; a page past the last says so).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use meetinghouse_core::{collection, orgs};
use meetinghouse_store::objects;

use crate::error::WebError;
use crate::page::{Page, render_status};
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
    /// The page asked for is past the end: (page asked, last page).
    past_end: Option<(i64, i64)>,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, uri: Uri, Path(slug): Path<String>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    // (Parsed first: an address that cannot be a slug names nothing.)
    let org = orgs::by_address(&state.db, &slug).await?.ok_or(WebError::NotFound)?;
    if let Some(to) = super::own_address(&uri, &org.slug) {
        return Ok(to);
    }
    let slug = org.slug;
    // A page that is not a number is not a page; one past the end says so
    // (it used to show the first page as if it were the one asked for).
    let asked = match q.get("page") {
        None => 1,
        Some(p) => p.trim().parse::<i64>().ok().filter(|n| *n >= 1).ok_or(WebError::NotFound)?,
    };
    let total = objects::count(&state.db, org.id).await?;
    let last = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let past_end = (asked > last).then_some((asked, last));
    let pager = Pager { number: asked.min(last), size: PER_PAGE };
    let (rows, prev_page, next_page) = if past_end.is_some() {
        (Vec::new(), None, None)
    } else {
        pager.cut(objects::list(&state.db, org.id, pager.limit(), pager.offset()).await?)
    };
    let can_import = match &viewer.actor {
        Some(a) => collection::ensure_can_import(&state.db, a, &slug).await.is_ok(),
        None => false,
    };
    let status = if past_end.is_some() { StatusCode::NOT_FOUND } else { StatusCode::OK };
    Ok(render_status(status, &ObjectList {
        page: Page::new(&viewer, format!("Collection: {}", org.name)),
        total,
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
        past_end,
    }))
}
