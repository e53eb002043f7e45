//! The label pages for stories and prompts. A label is a QR code to put on
//! a wall, so only something the public may see has one: a draft, a story
//! shared with a group, a deleted story, or a prompt of a members-only group
//! is refused with the reason (to those who may see it; to everyone else it
//! is "not found", as its page is).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use meetinghouse_core::subjects::{self, Subject};
use meetinghouse_core::{CoreError, prompts, stories};

use super::{QR_LABEL, qr_svg};
use crate::error::WebError;
use crate::page::{Page, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "labels/label.html")]
pub struct Label {
    pub page: Page,
    pub poster: bool,
    pub kicker: String,
    pub heading: String,
    /// An object's accession number, printed under its title.
    pub number: Option<String>,
    pub invitation: String,
    pub url: String,
    pub qr: String,
    pub back: String,
}

/// Why a story its author deleted has no label.
pub const STORY_DELETED: &str = "This story is deleted, so it has no label. Restore it first if you want one.";

/// Why a story the moderators removed has no label.
pub const STORY_REMOVED: &str = "The moderators removed this story, so it has no label.";

fn poster(q: &HashMap<String, String>) -> bool {
    q.get("size").is_some_and(|s| s == "a4")
}

/// Whether the public may see a subject as it is now (not deleted, not a
/// draft, not only for a group's members): asked as someone signed out.
async fn public(state: &AppState, subject: Subject) -> Result<bool, WebError> {
    match subjects::resolve(&state.db, subject, None).await {
        Ok(info) => Ok(info.public),
        Err(CoreError::NotFound) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

pub async fn story(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let s = stories::page(&state.db, id, viewer.actor.as_ref()).await?;
    if s.story.deleted_at.is_some() {
        // Only the moderators can bring back a story they removed: its
        // author is not told to restore it.
        let removed = meetinghouse_store::moderation::story_removal(&state.db, id).await?.is_some();
        return Err(WebError::Forbidden(if removed { STORY_REMOVED } else { STORY_DELETED }.into()));
    }
    if s.story.visibility != "public" || !public(&state, Subject::Story(id)).await? {
        return Err(WebError::Forbidden("Only public stories have labels: a QR code on a wall is for everyone.".into()));
    }
    let url = format!("{}/stories/{id}", state.config.base_url);
    Ok(render(&Label {
        page: Page::new(&viewer, format!("Label: {}", s.story.title)),
        poster: poster(&q),
        kicker: format!("A story by {}", s.author_label),
        qr: qr_svg(&url, QR_LABEL),
        heading: s.story.title,
        number: None,
        invitation: "Scan to read it — and share a story of your own.".into(),
        back: format!("/stories/{id}"),
        url,
    }))
}

pub async fn prompt(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let p = prompts::page(&state.db, id, viewer.actor.as_ref()).await?;
    if !public(&state, Subject::Prompt(id)).await? {
        return Err(WebError::Forbidden(
            "Only questions everyone can see have labels: a QR code on a wall is for everyone, and this one is for a group's members.".into(),
        ));
    }
    let url = format!("{}/prompts/{id}", state.config.base_url);
    Ok(render(&Label {
        page: Page::new(&viewer, format!("Label: {}", p.prompt.question)),
        poster: poster(&q),
        kicker: format!("A question from {}", p.host_label),
        qr: qr_svg(&url, QR_LABEL),
        heading: p.prompt.question,
        number: None,
        invitation: "Scan to share your story.".into(),
        back: format!("/prompts/{id}"),
        url,
    }))
}
