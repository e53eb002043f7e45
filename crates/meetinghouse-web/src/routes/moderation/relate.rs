//! `POST /people/{handle}/relation` — block, unblock, mute or unmute a person
//! (field `action`); back to where the person came from, or to the
//! person's profile at its own address (the handle as stored, never the
//! address as typed). Someone whose profile the viewer may not see is
//! "not found", with nothing saved.

use axum::extract::{Path, State};
use axum::response::Response;
use meetinghouse_core::moderation;

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::state::AppState;

pub async fn submit(State(state): State<AppState>, Path(handle): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let done = moderation::relate(&state.db, actor, &handle, data.get("action")).await.map_err(|e| match e {
        // The messages only: a field's name means nothing to the person.
        meetinghouse_core::CoreError::Invalid(errors) => WebError::Unprocessable(errors.0.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(" ")),
        other => other.into(),
    })?;
    let back = match data.get("back") {
        b if crate::middleware::is_local_path(b) => b.to_string(),
        _ => format!("/@{}", done.handle),
    };
    Ok(see_other_with_flash(&back, &done.message, state.config.tls))
}
