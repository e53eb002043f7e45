//! The forms of a common-ground conversation: `POST …/vote`,
//! `POST …/statements`, `POST …/statements/{sid}/moderate` and `POST …/close`.
//! A browser without an account taking part for the first time is counted
//! against its address's budget of new participants in that conversation
//! (`RateLimits::cg_newcomer`), so clearing cookies does not make a script
//! many voters; past it, the page says so.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use meetinghouse_core::common_ground::{self, Added, Conversation};
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::{mark_took_part, see_other_with_flash};
use crate::routes::common_ground::{limit_key, load, participant, refused, show};
use crate::state::AppState;
use crate::viewer::Viewer;

pub async fn vote(State(state): State<AppState>, Path(id): Path<i64>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let c = load(&state, &viewer, id).await?;
    if let Err(message) = state.limits.cg_vote(&limit_key(&viewer), viewer.ip) {
        return Err(WebError::TooManyRequests(message.into()));
    }
    if let Err(message) = newcomer_limit(&state, &viewer, &c).await? {
        return show::render_show(&state, &viewer, c, StatusCode::TOO_MANY_REQUESTS, FormData::default(), FieldErrors::new(), Some(message.into())).await;
    }
    let statement = data
        .get("statement")
        .parse::<i64>()
        .map_err(|_| WebError::Unprocessable("The vote did not say which statement it was for.".into()))?;
    common_ground::vote(&state.db, &viewer.settings, &c, &participant(&viewer), statement, data.get("vote"))
        .await
        .map_err(refused)?;
    // Back to where the vote was cast: the next statement, or "my votes".
    let to = if data.get("back") == "mine" { format!("/common-ground/{id}/mine") } else { format!("/common-ground/{id}#vote") };
    let mut resp = Redirect::to(&to).into_response();
    mark_took_part(&mut resp, &viewer, state.config.tls);
    Ok(resp)
}

pub async fn add_statement(State(state): State<AppState>, Path(id): Path<i64>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let c = load(&state, &viewer, id).await?;
    let limited = match state.limits.cg_statement(&limit_key(&viewer), viewer.ip) {
        Ok(()) => newcomer_limit(&state, &viewer, &c).await?,
        refused => refused,
    };
    if let Err(message) = limited {
        let errors = FieldErrors(vec![("statement", message.into())]);
        return show::render_show(&state, &viewer, c, StatusCode::TOO_MANY_REQUESTS, data.without_secrets(), errors, None).await;
    }
    match common_ground::add_statement(&state.db, &viewer.settings, &c, &participant(&viewer), data.get("statement")).await {
        Ok(added) => {
            let message = match added {
                Added::Accepted(_) => "Thank you: your statement is in, and others can vote on it now.",
                Added::Pending(_) => "Thank you: your statement will appear once a host has checked it.",
            };
            let mut resp = see_other_with_flash(&format!("/common-ground/{id}"), message, state.config.tls);
            mark_took_part(&mut resp, &viewer, state.config.tls);
            Ok(resp)
        }
        Err(CoreError::Invalid(errors)) => {
            show::render_show(&state, &viewer, c, StatusCode::UNPROCESSABLE_ENTITY, data.without_secrets(), errors, None).await
        }
        Err(other) => Err(other.into()),
    }
}

/// Counts a browser without an account that is about to take part in this
/// conversation for the first time against its address's budget of new
/// participants; the message when it is spent. Anyone else passes uncounted.
async fn newcomer_limit(state: &AppState, viewer: &Viewer, c: &Conversation) -> Result<Result<(), &'static str>, WebError> {
    if !common_ground::is_newcomer(&state.db, c, &participant(viewer)).await? {
        return Ok(Ok(()));
    }
    Ok(state.limits.cg_newcomer(c.row.id, viewer.ip).await)
}

pub async fn moderate(
    State(state): State<AppState>,
    Path((id, statement)): Path<(i64, i64)>,
    Form { viewer, data }: Form,
) -> Result<Response, WebError> {
    viewer.require()?;
    let c = load(&state, &viewer, id).await?;
    let accept = match data.get("decision") {
        "accept" => true,
        "reject" => false,
        _ => return Err(WebError::Unprocessable("Choose to accept or reject the statement.".into())),
    };
    common_ground::moderate(&state.db, &c, statement, accept).await.map_err(refused)?;
    let message = if accept { "Accepted: people can vote on it now." } else { "Rejected: it is out of the conversation and the map." };
    Ok(see_other_with_flash(&format!("/common-ground/{id}"), message, state.config.tls))
}

pub async fn close(State(state): State<AppState>, Path(id): Path<i64>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    viewer.require()?;
    let c = load(&state, &viewer, id).await?;
    common_ground::close(&state.db, &c).await.map_err(refused)?;
    Ok(see_other_with_flash(&format!("/common-ground/{id}/report"), "The conversation is closed. Its report stays open to read.", state.config.tls))
}
