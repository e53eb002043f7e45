//! `GET /conversations/{kind}/{id}` — a conversation, page by page
//! (`?after=REPLY_ID` continues after a reply).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::{Section, subject};
use crate::error::WebError;
use crate::page::{Page, datetime, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "conversations/show.html")]
struct ConversationPage {
    page: Page,
    section: Section,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((kind, id)): Path<(String, i64)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let subject = subject(&kind, id)?;
    let after = match q.get("after") {
        Some(a) => Some(a.parse::<i64>().map_err(|_| WebError::NotFound)?),
        None => None,
    };
    let mut convo = meetinghouse_core::conversations::conversation(&state.db, subject, viewer.actor.as_ref(), after).await?;
    crate::routes::replies::while_waiting(&viewer, &mut convo.refused, convo.replies.iter_mut());
    let title = format!("Conversation: {}", convo.info.title);
    Ok(render(&ConversationPage { page: Page::new(&viewer, title), section: Section { convo, kind: subject.kind(), id } }))
}

/// Date and time for templates.
pub fn when(ts: &i64) -> String {
    datetime(ts)
}
