//! `POST /stories/{id}/delete` and `POST /stories/{id}/restore` — the author
//! deletes a story, and can restore it for 30 days. An organisation's admins
//! may delete a story shared in its name by someone who no longer speaks
//! for it.

use axum::extract::{Path, State};
use axum::response::Response;
use meetinghouse_core::stories::{self, DeletedBy};

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::state::AppState;

pub async fn delete(State(state): State<AppState>, Path(id): Path<i64>, form: Form) -> Result<Response, WebError> {
    let actor = form.viewer.require()?;
    match stories::delete(&state.db, crate::routes::conversations::mailer(&state, &form.viewer), actor, id).await? {
        DeletedBy::Author => Ok(see_other_with_flash("/me", "Your story is deleted. You can restore it from this page for 30 days.", state.config.tls)),
        DeletedBy::OrgAdmin { org_slug, org_name } => Ok(see_other_with_flash(
            &format!("/orgs/{org_slug}"),
            &format!("The story is deleted: it no longer appears in the name of {org_name}. Its author can restore it, under their own name, for 30 days."),
            state.config.tls,
        )),
    }
}

pub async fn restore(State(state): State<AppState>, Path(id): Path<i64>, form: Form) -> Result<Response, WebError> {
    let actor = form.viewer.require()?;
    let own_voice = stories::restore(&state.db, actor, id).await?;
    let message = if own_voice {
        "Your story is restored. It is shared under your own name now, as you no longer speak for the organisation it named."
    } else {
        "Your story is restored."
    };
    Ok(see_other_with_flash(&format!("/stories/{id}"), message, state.config.tls))
}
