//! `GET /orgs/{slug}/imports/{id}` — a browser import's page: waiting for
//! an instance admin, under way (how far through the file it is; the page
//! refreshes itself only when the person asks, `?refresh=on`, and says how
//! to stop it before anything else: WCAG 2.2.1), or its
//! report; for its organisation's staff and admins and instance admins.
//! `POST …/approve` and `…/decline`: an instance admin opens the
//! collection and runs a waiting import, or declines it.
//! `GET /imports/waiting`: the imports waiting for an instance admin.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use meetinghouse_core::collection::jobs::{self, Status};
use meetinghouse_store::collection_imports::ImportRow;

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::page::{Page, date, datetime, render};
use crate::routes::conversations::mailer;
use crate::state::AppState;
use crate::viewer::Viewer;

/// How often a page of an import under way refreshes itself, once the
/// person asked it to, in seconds.
pub const REFRESH_SECS: u64 = 30;

#[derive(Template)]
#[template(path = "objects/import_status.html")]
struct StatusPage {
    page: Page,
    s: Status,
    path: String,
    /// Refresh the page by itself (an import under way, and the person
    /// asked for it).
    refresh: bool,
    refresh_secs: u64,
    started: String,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, id)): Path<(String, i64)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let s = jobs::status(&state.db, actor, &slug, id).await?;
    // A stale import is not under way: the page says it stopped, and does not refresh.
    let running = s.import.state == "running" && !s.stale;
    let path = jobs::status_path(&s.org.slug, id);
    Ok(render(&StatusPage {
        page: Page::new(&viewer, format!("Import into {}", s.org.name)),
        refresh: running && q.get("refresh").is_some_and(|r| r == "on"),
        refresh_secs: REFRESH_SECS,
        started: datetime(&s.import.created_at),
        path,
        s,
    }))
}

pub async fn approve(State(state): State<AppState>, Path((slug, id)): Path<(String, i64)>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let org = meetinghouse_core::orgs::by_address(&state.db, &slug).await?.ok_or(WebError::NotFound)?;
    let path = jobs::status_path(&org.slug, id);
    // Only at its own organisation's address, and never into a held collection.
    let Some((row, asked, file)) = jobs::approve(&state.db, mailer(&state, &viewer), actor, org.id, id).await? else {
        return Ok(see_other_with_flash(&path, "This import is no longer waiting: another admin may have decided on it.", state.config.tls));
    };
    let by = row.person_id.unwrap_or(actor.id);
    let job = super::import::Job::Recorded { id, org_id: org.id, by };
    if let Err(e) = super::import::start(&state, job, &row.file_name, file, asked, None).await {
        // Its file is gone from the database: it fails, rather than seem under way.
        jobs::start_failed(&state.db, id).await?;
        return Err(e);
    }
    Ok(see_other_with_flash(&path, "The collection is open for imports, and this import is running.", state.config.tls))
}

pub async fn decline(State(state): State<AppState>, Path((slug, id)): Path<(String, i64)>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let org = meetinghouse_core::orgs::by_address(&state.db, &slug).await?.ok_or(WebError::NotFound)?;
    let path = jobs::status_path(&org.slug, id);
    let message = if jobs::decline(&state.db, mailer(&state, &viewer), actor, id, data.get("reason")).await? {
        "The import is declined, its file deleted, and the person who sent it told."
    } else {
        "This import is no longer waiting: another admin may have decided on it."
    };
    Ok(see_other_with_flash(&path, message, state.config.tls))
}

#[derive(Template)]
#[template(path = "objects/imports_waiting.html")]
struct Waiting {
    page: Page,
    /// (import, its page, organisation's name, when it was sent)
    imports: Vec<(ImportRow, String, String, String)>,
}

pub async fn waiting(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let imports = jobs::waiting(&state.db, actor)
        .await?
        .into_iter()
        .map(|(import, slug, name)| {
            let path = jobs::status_path(&slug, import.id);
            let when = date(&import.created_at);
            (import, path, name, when)
        })
        .collect();
    Ok(render(&Waiting { page: Page::new(&viewer, "Imports waiting for an admin"), imports }))
}
