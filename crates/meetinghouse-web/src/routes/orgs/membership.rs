//! `POST /orgs/{slug}/invite`, `/accept` and `/leave` — organisation
//! membership — and the admins' `/members/role` (change a member's role) and
//! `/members/remove` (remove a member or withdraw an invitation): each
//! logged on the organisation's edit page, and a member whose role changes
//! or who is removed is told.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::{CoreError, FieldErrors, orgs};

use super::show::render_org;
use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::routes::conversations::mailer;
use crate::state::AppState;
use crate::viewer::Viewer;

/// An admin invites a person, who is told; invitations are limited per
/// account (they notify, and may email, someone else).
pub async fn invite(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    if let Err(message) = state.limits.invite(&actor.id.to_string()) {
        return render_org(&state, &viewer, &slug, StatusCode::TOO_MANY_REQUESTS, data, FieldErrors(vec![("handle", message.into())])).await;
    }
    let role = if data.get("role").is_empty() { "staff" } else { data.get("role") };
    match orgs::invite_and_tell(&state.db, mailer(&state, &viewer), actor, &slug, data.get("handle"), role).await {
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

/// Accepts an invitation; an account that may not post yet (waiting for
/// approval, its address not confirmed) is shown the page with the reason.
pub async fn accept(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    match orgs::accept(&state.db, actor, &slug).await {
        Ok(()) => Ok(see_other_with_flash(&format!("/orgs/{slug}"), "Welcome aboard: you are now a member.", state.config.tls)),
        Err(CoreError::Forbidden(m)) => render_org(&state, &viewer, &slug, StatusCode::FORBIDDEN, data, FieldErrors(vec![("form", m)])).await,
        Err(other) => Err(other.into()),
    }
}

pub async fn leave(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    match orgs::leave(&state.db, actor, &slug).await {
        Ok(orgs::Left::Left) => Ok(see_other_with_flash("/me", "You have left the organisation.", state.config.tls)),
        Ok(orgs::Left::Declined) => Ok(see_other_with_flash("/me", "You have declined the invitation.", state.config.tls)),
        Err(CoreError::Forbidden(m)) => render_org(&state, &viewer, &slug, StatusCode::FORBIDDEN, data, FieldErrors(vec![("form", m)])).await,
        Err(other) => Err(other.into()),
    }
}

/// The person an admin's form names (a hidden field).
fn named_person(data: &FormData) -> Result<i64, WebError> {
    data.get("person_id").parse::<i64>().map_err(|_| WebError::BadRequest("The member was not named.".into()))
}

/// Turns an admin action's result into a redirect with a message, or the page
/// re-rendered with the refusal.
async fn respond(state: &AppState, viewer: &Viewer, slug: &str, data: FormData, result: Result<String, CoreError>) -> Result<Response, WebError> {
    match result {
        Ok(message) => Ok(see_other_with_flash(&format!("/orgs/{slug}"), &message, state.config.tls)),
        Err(CoreError::Invalid(errors)) => render_org(state, viewer, slug, StatusCode::UNPROCESSABLE_ENTITY, data, errors).await,
        Err(CoreError::Forbidden(m)) => render_org(state, viewer, slug, StatusCode::FORBIDDEN, data, FieldErrors(vec![("form", m)])).await,
        Err(other) => Err(other.into()),
    }
}

pub async fn role(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let person = named_person(&data)?;
    let role = data.get("role").to_string();
    let r = orgs::change_role_and_tell(&state.db, mailer(&state, &viewer), actor, &slug, person, &role)
        .await
        .map(|name| format!("{name} is now {}.", orgs::role_words(&role)));
    respond(&state, &viewer, &slug, data, r).await
}

pub async fn remove(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let person = named_person(&data)?;
    let r = orgs::remove_member_and_tell(&state.db, mailer(&state, &viewer), actor, &slug, person)
        .await
        .map(|name| format!("{name} is no longer a member of the organisation."));
    respond(&state, &viewer, &slug, data, r).await
}
