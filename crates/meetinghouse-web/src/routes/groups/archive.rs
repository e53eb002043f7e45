//! `GET /groups/{slug}/archive` (what archiving does, and the button to
//! confirm it), `POST /groups/{slug}/archive` (archive it) and `POST
//! /groups/{slug}/unarchive` (open it again): for the group's hosts. An
//! archived group is read-only: what it holds stays to read, and it takes
//! nothing new (core `groups::ensure_open_for_changes`); archiving
//! supersedes its open amendments (core `purposes::supersede_for_archive`).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::groups::{self, GroupRow};

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "groups/archive.html")]
struct ConfirmArchive {
    page: Page,
    group: GroupRow,
}

pub async fn confirm(State(state): State<AppState>, viewer: Viewer, Path(slug): Path<String>) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let group = groups::for_managing(&state.db, actor, &slug).await?;
    Ok(render_status(StatusCode::OK, &ConfirmArchive { page: Page::new(&viewer, format!("Archive {}", group.name)), group }))
}

pub async fn archive(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let message = if groups::archive_telling(&state.db, crate::routes::conversations::mailer(&state, &viewer), actor, &slug).await? {
        "The group is archived: what it holds stays to read, and it takes nothing new. Amendments to its purpose that were open are superseded."
    } else {
        "The group was archived already."
    };
    Ok(see_other_with_flash(&format!("/groups/{slug}"), message, state.config.tls))
}

pub async fn unarchive(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let message = if groups::unarchive(&state.db, actor, &slug).await? { "The group is open again." } else { "The group was not archived." };
    Ok(see_other_with_flash(&format!("/groups/{slug}"), message, state.config.tls))
}
