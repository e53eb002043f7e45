//! `GET /verify?token=…` (confirm an email) and `POST /verify/resend`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::{CoreError, accounts};

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::page::{ErrorPage, render_status};
use crate::state::AppState;

pub async fn confirm(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let token = q.get("token").map(String::as_str).unwrap_or("");
    match accounts::verify_email(&state.db, token).await {
        Ok(_) => Ok(see_other_with_flash("/me", "Thank you — your email address is confirmed.", state.config.tls)),
        Err(CoreError::Invalid(e)) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ErrorPage::new("That link did not work", e.get("token").unwrap_or("The link is not valid.")),
        )),
        Err(other) => Err(other.into()),
    }
}

pub async fn resend(State(state): State<AppState>, form: Form) -> Result<Response, WebError> {
    let actor = form.viewer.require()?;
    state.limits.resend(&actor.id.to_string()).map_err(|m| WebError::TooManyRequests(m.into()))?;
    accounts::resend_verification(&state.db, &form.viewer.settings, &state.config.base_url, actor).await?;
    Ok(see_other_with_flash("/me", "We sent you a new confirmation link.", state.config.tls))
}
