//! `POST /stories/{id}/history/{revision}/remove` — the author of a story,
//! or an instance moderator (with a note, kept in the moderation log and
//! sent to the author), removes the text of an earlier version from its
//! history for good; the history says it was removed, and by whom. It
//! cannot be undone, so the form's "I understand this cannot be undone"
//! box (`understood`) must be ticked: otherwise the history comes back with
//! the error at that box, and nothing is removed.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::stories::{self, RemovedBy};
use meetinghouse_core::CoreError;

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::state::AppState;

pub async fn remove(State(state): State<AppState>, Path((id, revision)): Path<(i64, i64)>, form: Form) -> Result<Response, WebError> {
    let actor = form.viewer.require()?;
    // Back to the page of the history the form was on.
    let number = form.data.get("page").trim().parse::<i64>().ok().filter(|n| (1..100_000).contains(n)).unwrap_or(1);
    let note = form.data.get("note").to_string();
    let understood = form.data.checked("understood");
    let mail = crate::routes::conversations::mailer(&state, &form.viewer);
    match stories::remove_revision(&state.db, mail, actor, id, revision, &note, understood).await {
        Ok((by, _)) => {
            // Named as its heading on the history names it ("Version 2 of 4").
            let version = stories::version_numbers(&state.db, id, Some(actor)).await?.in_sentence(revision);
            let message = match by {
                RemovedBy::Author => format!("The text of {version} is removed from the history. The history says you removed it."),
                RemovedBy::Moderators => format!("The text of {version} is removed from the history; the moderation log keeps your note, and the story’s author is told."),
            };
            let back = if number > 1 { format!("/stories/{id}/history?page={number}") } else { format!("/stories/{id}/history") };
            Ok(see_other_with_flash(&back, &message, state.config.tls))
        }
        Err(CoreError::Invalid(errors)) => {
            super::history::page(&state, &form.viewer, id, number, StatusCode::UNPROCESSABLE_ENTITY, errors, Some((revision, note))).await
        }
        Err(other) => Err(other.into()),
    }
}
