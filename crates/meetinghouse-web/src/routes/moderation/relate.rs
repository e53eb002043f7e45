//! `POST /people/{handle}/relation` — block, unblock, mute or unmute a person
//! (field `action`); back to where the person came from.

use axum::extract::{Path, State};
use axum::response::Response;
use meetinghouse_core::moderation;

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::state::AppState;

pub async fn submit(State(state): State<AppState>, Path(handle): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let message = moderation::relate(&state.db, actor, &handle, data.get("action")).await.map_err(|e| match e {
        meetinghouse_core::CoreError::Invalid(errors) => WebError::Unprocessable(errors.to_string()),
        other => other.into(),
    })?;
    let back = match data.get("back") {
        b if crate::middleware::is_local_path(b) => b.to_string(),
        _ => format!("/@{handle}"),
    };
    Ok(see_other_with_flash(&back, &message, state.config.tls))
}
