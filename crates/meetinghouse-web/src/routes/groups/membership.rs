//! Group membership: `POST /groups/{slug}/join`, `/leave`, `/invite`,
//! `/approve`, `/members/org` (add an organisation) and `/members/group`
//! (nest a group — refused if it would make a loop).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::groups::{self, JoinOutcome};
use meetinghouse_core::{CoreError, FieldErrors};

use super::show::render_group;
use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::state::AppState;
use crate::viewer::Viewer;

/// Turns a core result into a redirect with a message, or the page re-rendered with the error.
async fn respond(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    data: FormData,
    result: Result<String, CoreError>,
) -> Result<Response, WebError> {
    match result {
        Ok(message) => Ok(see_other_with_flash(&format!("/groups/{slug}"), &message, state.config.tls)),
        Err(CoreError::Invalid(errors)) => render_group(state, viewer, slug, StatusCode::UNPROCESSABLE_ENTITY, data, errors).await,
        Err(CoreError::Forbidden(m)) => {
            render_group(state, viewer, slug, StatusCode::FORBIDDEN, data, FieldErrors(vec![("form", m)])).await
        }
        Err(other) => Err(other.into()),
    }
}

fn outcome_message(o: JoinOutcome, joined: &str) -> String {
    match o {
        JoinOutcome::Joined => joined.to_string(),
        JoinOutcome::Requested => "Your request is sent. A host will look at it soon.".to_string(),
    }
}

pub async fn join(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let r = groups::join(&state.db, &viewer.settings, actor, &slug).await;
    if let Ok(JoinOutcome::Requested) = r {
        meetinghouse_core::notifications::join_requested(&state.db, crate::routes::conversations::mailer(&state, &viewer), &slug, actor).await?;
    }
    let r = r.map(|o| outcome_message(o, "Welcome: you have joined the group."));
    respond(&state, &viewer, &slug, data, r).await
}

pub async fn leave(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let r = groups::leave(&state.db, actor, &slug).await.map(|()| "You have left the group.".to_string());
    respond(&state, &viewer, &slug, data, r).await
}

pub async fn invite(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let r = groups::invite_person(&state.db, actor, &slug, data.get("handle"))
        .await
        .map(|()| format!("Invitation sent to @{}.", data.get("handle").trim().trim_start_matches('@')));
    respond(&state, &viewer, &slug, data, r).await
}

pub async fn approve(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let id = data.get("member_id").parse::<i64>().map_err(|_| WebError::BadRequest("The request to approve was not named.".into()))?;
    let r = groups::approve(&state.db, actor, &slug, data.get("kind"), id).await.map(|()| "Request approved.".to_string());
    respond(&state, &viewer, &slug, data, r).await
}

pub async fn add_org(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let r = groups::add_org(&state.db, &viewer.settings, actor, &slug, data.get("org"))
        .await
        .map(|o| outcome_message(o, "The organisation is now a member of this group."));
    respond(&state, &viewer, &slug, data, r).await
}

pub async fn nest(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let r = groups::nest(&state.db, &viewer.settings, actor, &slug, data.get("child"))
        .await
        .map(|o| outcome_message(o, "The group is now a member of this network."));
    respond(&state, &viewer, &slug, data, r).await
}
