//! `POST /stories/{id}/delete` and `POST /stories/{id}/restore` — the author
//! deletes a story, and can restore it for 30 days.

use axum::extract::{Path, State};
use axum::response::Response;
use meetinghouse_core::stories;

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::state::AppState;

pub async fn delete(State(state): State<AppState>, Path(id): Path<i64>, form: Form) -> Result<Response, WebError> {
    let actor = form.viewer.require()?;
    stories::delete(&state.db, actor, id).await?;
    Ok(see_other_with_flash("/me", "Your story is deleted. You can restore it from this page for 30 days.", state.config.tls))
}

pub async fn restore(State(state): State<AppState>, Path(id): Path<i64>, form: Form) -> Result<Response, WebError> {
    let actor = form.viewer.require()?;
    stories::restore(&state.db, actor, id).await?;
    Ok(see_other_with_flash(&format!("/stories/{id}"), "Your story is restored.", state.config.tls))
}
