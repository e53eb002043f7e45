//! `GET /@{handle}` — a person's profile, with (for someone else's) whether
//! the viewer blocked or muted them and the buttons to change that, and
//! their public stories, 20 a page (`?before=STORY_ID` for older ones);
//! for a closed account, a page saying it was closed (`close::profile`).

use askama::Template;
use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use meetinghouse_core::{CoreError, moderation};
use meetinghouse_core::people::{self, Profile};
use meetinghouse_core::stories::{self, StoryList};
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
    /// A page of their public stories (core `stories::on_profile`).
    stories: StoryList,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(at_handle): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
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
    let before = match q.get("before") {
        Some(b) => Some(b.trim().parse::<i64>().map_err(|_| {
            WebError::BadRequest(format!(
                "We could not tell which stories to show: the address should end with ?before= and a story's number. Go back to the newest at /@{}.",
                p.handle
            ))
        })?),
        None => None,
    };
    let stories = stories::on_profile(&state.db, p.id, before).await?;
    Ok(render(&ProfilePage {
        stories,
        page: Page::new(&viewer, p.display_name.clone()),
        joined: date(&p.created_at),
        sectors,
        own,
        blocked,
        muted,
        p,
    }))
}
