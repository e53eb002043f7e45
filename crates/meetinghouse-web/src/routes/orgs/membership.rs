//! `POST /orgs/{slug}/invite`, `/accept` and `/leave` — organisation membership.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::{CoreError, FieldErrors, orgs};

use super::show::render_org;
use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::state::AppState;

pub async fn invite(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let role = if data.get("role").is_empty() { "staff" } else { data.get("role") };
    match orgs::invite(&state.db, actor, &slug, data.get("handle"), role).await {
        Ok(()) => Ok(see_other_with_flash(
            &format!("/orgs/{slug}"),
            &format!("Invitation sent to @{}.", data.get("handle").trim().trim_start_matches('@')),
            state.config.tls,
        )),
        Err(CoreError::Invalid(errors)) => render_org(&state, &viewer, &slug, StatusCode::UNPROCESSABLE_ENTITY, data, errors).await,
        Err(CoreError::Forbidden(m)) => render_org(&state, &viewer, &slug, StatusCode::FORBIDDEN, data, FieldErrors(vec![("form", m)])).await,
        Err(other) => Err(other.into()),
    }
}

pub async fn accept(State(state): State<AppState>, Path(slug): Path<String>, form: Form) -> Result<Response, WebError> {
    let actor = form.viewer.require()?;
    orgs::accept(&state.db, actor, &slug).await?;
    Ok(see_other_with_flash(&format!("/orgs/{slug}"), "Welcome aboard: you are now a member.", state.config.tls))
}

pub async fn leave(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    match orgs::leave(&state.db, actor, &slug).await {
        Ok(()) => Ok(see_other_with_flash("/me", "You have left the organisation.", state.config.tls)),
        Err(CoreError::Forbidden(m)) => render_org(&state, &viewer, &slug, StatusCode::FORBIDDEN, data, FieldErrors(vec![("form", m)])).await,
        Err(other) => Err(other.into()),
    }
}
