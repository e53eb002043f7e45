//! `POST /replies/{id}/retract`, `POST /replies/{id}/thanks` (at most
//! `conversations::THANKS_PER_HOUR` an hour: 429 past it) and
//! `POST /replies/{id}/review`: the small actions on a reply.

use axum::extract::{Path, State};
use axum::response::Response;
use meetinghouse_core::{CoreError, conversations, moderation};

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::routes::conversations::mailer;
use crate::state::AppState;

fn back(state: &AppState, id: i64, message: &str) -> Response {
    see_other_with_flash(&format!("/replies/{id}"), message, state.config.tls)
}

/// Input errors on these one-button forms come back as a 422 page with the message.
fn refused(e: CoreError) -> WebError {
    match e {
        CoreError::Invalid(errors) => WebError::Unprocessable(errors.0.into_iter().map(|(_, m)| m).collect::<Vec<_>>().join(" ")),
        other => other.into(),
    }
}

pub async fn retract(State(state): State<AppState>, Path(id): Path<i64>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let left_out = conversations::retract(&state.db, actor, id, data.get("note")).await.map_err(refused)?;
    let message = if left_out {
        "Your reply is retracted. It was waiting for review or hidden, so your note is not shown either: readers see only that it was retracted."
    } else {
        "Your reply is retracted. The conversation keeps its shape."
    };
    Ok(back(&state, id, message))
}

pub async fn thanks(State(state): State<AppState>, Path(id): Path<i64>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    match conversations::thank_counted(&state.db, mailer(&state, &viewer), actor, id, data.get("kind")).await.map_err(refused)? {
        conversations::Thanked::Sent => Ok(back(&state, id, "Sent. Only the author sees it, and nobody sees a count.")),
        conversations::Thanked::OverBudget => Err(WebError::TooManyRequests(conversations::THANKS_PER_HOUR_MESSAGE.into())),
    }
}

pub async fn review(State(state): State<AppState>, Path(id): Path<i64>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    moderation::request_review(&state.db, actor, id).await.map_err(refused)?;
    Ok(back(&state, id, "Thank you. A moderator will look at your reply again."))
}
