//! `GET /@{handle}` — a person's profile, with (for someone else's) whether
//! the viewer blocked or muted them and the buttons to change that; for a
//! closed account, a page saying it was closed (`close::profile`).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use meetinghouse_core::{CoreError, moderation};
use meetinghouse_core::people::{self, Profile};
use meetinghouse_core::types::sector_label;

use crate::error::WebError;
use crate::page::{Page, date, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "people/profile.html")]
struct ProfilePage {
    page: Page,
    p: Profile,
    sectors: Vec<&'static str>,
    joined: String,
    own: bool,
    /// Whether the viewer blocked / muted this person (signed in, not their own).
    blocked: bool,
    muted: bool,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(at_handle): Path<String>) -> Result<Response, WebError> {
    let Some(handle) = at_handle.strip_prefix('@') else { return Err(WebError::NotFound) };
    let p = match people::profile(&state.db, &viewer.settings, viewer.actor.as_ref(), handle).await {
        Err(CoreError::NotFound) => return super::close::profile(&state, &viewer, handle).await?.ok_or(WebError::NotFound),
        found => found?,
    };
    let sectors = p
        .sectors
        .iter()
        .map(|s| meetinghouse_core::types::SECTORS.iter().find(|(k, _)| k == s).map(|(_, l)| *l).unwrap_or("Other"))
        .collect();
    let _ = sector_label;
    let own = viewer.actor.as_ref().is_some_and(|a| a.id == p.id);
    let (blocked, muted) = match viewer.actor.as_ref() {
        Some(a) if !own => moderation::relation(&state.db, a, p.id).await?,
        _ => (false, false),
    };
    Ok(render(&ProfilePage {
        page: Page::new(&viewer, p.display_name.clone()),
        joined: date(&p.created_at),
        sectors,
        own,
        blocked,
        muted,
        p,
    }))
}
