//! `GET /@{handle}` — a person's profile.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
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
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(at_handle): Path<String>) -> Result<Response, WebError> {
    let Some(handle) = at_handle.strip_prefix('@') else { return Err(WebError::NotFound) };
    let p = people::profile(&state.db, &viewer.settings, viewer.actor.as_ref(), handle).await?;
    let sectors = p
        .sectors
        .iter()
        .map(|s| meetinghouse_core::types::SECTORS.iter().find(|(k, _)| k == s).map(|(_, l)| *l).unwrap_or("Other"))
        .collect();
    let _ = sector_label;
    let own = viewer.actor.as_ref().is_some_and(|a| a.id == p.id);
    Ok(render(&ProfilePage {
        page: Page::new(&viewer, p.display_name.clone()),
        joined: date(&p.created_at),
        sectors,
        own,
        p,
    }))
}
