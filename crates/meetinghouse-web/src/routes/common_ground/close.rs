//! `GET /common-ground/{id}/close` (what closing does, and the button to
//! confirm it), `POST /common-ground/{id}/close` (close it) and
//! `POST /common-ground/{id}/reopen` (open it again): for the
//! conversation's hosts. Closed, it takes no statements or votes and its
//! report stays to read; reopened, it takes them again with everything
//! from before kept, and its page says since when it is open again.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use meetinghouse_core::common_ground::{self, Conversation};

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render};
use crate::routes::common_ground::{load, refused};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "common_ground/close.html")]
struct ConfirmClose {
    page: Page,
    c: Conversation,
}

pub async fn confirm(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    viewer.require()?;
    let c = load(&state, &viewer, id).await?;
    if !c.viewer_hosts {
        return Err(WebError::Forbidden("Only the conversation's hosts can close it.".into()));
    }
    // Named without a question mark of its own: a topic is often a question.
    Ok(render(&ConfirmClose { page: Page::new(&viewer, format!("Close the conversation: {}", c.row.topic)), c }))
}

pub async fn close(State(state): State<AppState>, Path(id): Path<i64>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    viewer.require()?;
    let c = load(&state, &viewer, id).await?;
    common_ground::close(&state.db, &c).await.map_err(refused)?;
    Ok(see_other_with_flash(&format!("/common-ground/{id}/report"), "The conversation is closed. Its report stays open to read.", state.config.tls))
}

pub async fn reopen(State(state): State<AppState>, Path(id): Path<i64>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    viewer.require()?;
    let c = load(&state, &viewer, id).await?;
    let message = if common_ground::reopen(&state.db, &c).await.map_err(refused)? {
        "The conversation is open again: it takes statements and votes, and the map will change as people vote."
    } else {
        "The conversation was open already."
    };
    Ok(see_other_with_flash(&format!("/common-ground/{id}"), message, state.config.tls))
}
