//! `POST /prompts/{id}/close` — a prompt's host closes it now: it takes no
//! new stories from this moment (its closing date becomes now).

use axum::extract::{Path, State};
use axum::response::Response;
use meetinghouse_core::prompts;

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::state::AppState;

pub async fn submit(State(state): State<AppState>, Path(id): Path<i64>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let message = match prompts::close(&state.db, &viewer.settings, actor, id).await? {
        // An archived group's prompt cannot be edited, so not reopened either.
        true if archived(&state, id).await? => "The prompt is closed: it takes no new stories.",
        true => "The prompt is closed: it takes no new stories. To reopen it, edit its closing date.",
        false => "The prompt was already closed.",
    };
    Ok(see_other_with_flash(&format!("/prompts/{id}"), message, state.config.tls))
}

/// Whether the prompt's group is archived.
async fn archived(state: &AppState, id: i64) -> Result<bool, WebError> {
    Ok(meetinghouse_store::prompts::by_id(&state.db, id).await?.is_some_and(|p| p.group_archived_at.is_some()))
}
