//! `GET /me/replies` — your replies, newest first, 50 a page
//! (`?before=REPLY_ID` for older ones): what became of each, and what it is
//! on while you may still see that.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use meetinghouse_core::conversations::{self, OwnReplies, Shown};

use crate::error::WebError;
use crate::page::{Page, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "replies/mine.html")]
struct MinePage {
    page: Page,
    list: OwnReplies,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let before = match q.get("before") {
        Some(b) => Some(b.trim().parse::<i64>().map_err(|_| {
            WebError::BadRequest("We could not tell which of your replies to show: the address should end with ?before= and a reply's number. Go back to your newest replies at /me/replies.".into())
        })?),
        None => None,
    };
    let list = conversations::mine(&state.db, actor, before).await?;
    let title = if before.is_some() { "Your replies: older ones" } else { "Your replies" };
    Ok(render(&MinePage { page: Page::new(&viewer, title), list }))
}

/// What became of a reply, in words.
pub fn status(shown: &Shown) -> &'static str {
    match shown {
        Shown::Text => "Published",
        Shown::Pending => "Waiting for review",
        Shown::Hidden => "Hidden by the moderators",
        Shown::Retracted => "Retracted",
    }
}
