//! `GET /verify?token=…` (the page behind the emailed link), `POST /verify`
//! (confirm the email) and `POST /verify/resend`.
//!
//! Opening the link changes nothing: mail scanners and link previews fetch
//! links, and a GET that spent the token would leave the person with a dead
//! link. The page holds the token in a one-button form. A link followed
//! again once the address is confirmed says so (core
//! `accounts::ALREADY_CONFIRMED`), not that the link is dead.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::{CoreError, FieldErrors, accounts};

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "account/verify_confirm.html")]
struct VerifyConfirm {
    page: Page,
    form: FormData,
    errors: FieldErrors,
}

const TITLE: &str = "Confirm your email address";

/// What someone whose address is confirmed is told when they ask for a link.
const ALREADY_CONFIRMED: &str = "Your address is already confirmed.";

pub async fn confirm_form(viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let token = q.get("token").map(|t| t.trim()).unwrap_or("");
    let errors = if token.is_empty() {
        FieldErrors(vec![("token", "This link has no confirmation code in it. Open the link from the email again.".into())])
    } else {
        FieldErrors::new()
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_status(status, &VerifyConfirm { page: Page::new(&viewer, TITLE), form: FormData::default().with("token", token), errors })
}

pub async fn confirm(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    match accounts::verify_email(&state.db, data.get("token")).await {
        Ok(_) => {
            let to = if viewer.actor.is_some() { "/me" } else { "/login" };
            Ok(see_other_with_flash(to, "Thank you — your email address is confirmed.", state.config.tls))
        }
        // Followed again after the address was confirmed: nothing to do,
        // and nothing wrong either.
        Err(CoreError::Invalid(errors)) if errors.get("token") == Some(accounts::ALREADY_CONFIRMED) => {
            let to = if viewer.actor.is_some() { "/me" } else { "/login" };
            Ok(see_other_with_flash(to, "Your email address is already confirmed: there is nothing more to do.", state.config.tls))
        }
        Err(CoreError::Invalid(errors)) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &VerifyConfirm { page: Page::new(&viewer, TITLE), form: data, errors },
        )),
        Err(other) => Err(other.into()),
    }
}

pub async fn resend(State(state): State<AppState>, form: Form) -> Result<Response, WebError> {
    let actor = form.viewer.require()?;
    // A confirmed address gets nothing, and asking does not count.
    if actor.email_verified {
        return Ok(see_other_with_flash("/me", ALREADY_CONFIRMED, state.config.tls));
    }
    state.limits.resend(&actor.id.to_string()).await.map_err(|m| WebError::TooManyRequests(m.into()))?;
    let said = match accounts::resend_verification(&state.db, &form.viewer.settings, &state.config.base_url, actor).await? {
        accounts::Resent::Sent => "We sent you a new confirmation link.",
        accounts::Resent::AlreadyConfirmed => ALREADY_CONFIRMED,
    };
    Ok(see_other_with_flash("/me", said, state.config.tls))
}
