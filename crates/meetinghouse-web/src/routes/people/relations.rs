//! `GET /me/blocked` — the people you blocked or muted, by handle, a
//! hundred a page (`?after=HANDLE` for the next), each with buttons that
//! undo it: they post to `/people/{handle}/relation` (the profile's own
//! buttons' action, `moderation/relate.rs`) and come back here. Only open,
//! active accounts are listed (core `people::blocked_and_muted`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use meetinghouse_core::people::{self, Related};

use crate::error::WebError;
use crate::page::{Page, date, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "people/blocked.html")]
struct BlockedPage {
    page: Page,
    people: Vec<Related>,
    /// The handle the next page starts after, when there is one.
    next: Option<String>,
    /// Whether this is a later page.
    later: bool,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let after = q.get("after").map(String::as_str).unwrap_or("");
    let (people, more) = people::blocked_and_muted(&state.db, actor, after).await?;
    let next = if more { people.last().map(|p| p.handle.clone()) } else { None };
    Ok(render(&BlockedPage { page: Page::new(&viewer, "People you blocked or muted"), people, next, later: !after.is_empty() }))
}

/// The day a block or mute was chosen, as people read it.
pub fn since(r: &Related) -> String {
    date(&r.since)
}
