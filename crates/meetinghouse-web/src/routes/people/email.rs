//! `POST /me/email` (ask to change your email address: the new one and your
//! current password), `POST /me/email/send-again`, `POST /me/email/cancel`,
//! and `GET/POST /me/email/confirm?token=…` (the page behind the link
//! mailed to the new address).
//!
//! The answer to asking is the same whether or not the new address has an
//! account (core `accounts::request_email_change`). Opening the link
//! changes nothing, as for `/verify`: mail scanners fetch links, so the page
//! holds the token in a one-button form and only the POST uses it.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::accounts::{self, EmailChangeAsked};
use meetinghouse_core::{CoreError, FieldErrors};

use super::edit::{Refused, again, hold_password, settle_password};
use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "people/email_confirm.html")]
struct Confirm {
    page: Page,
    form: FormData,
    errors: FieldErrors,
}

const TITLE: &str = "Confirm your new email address";

/// What the person is told once they asked, either way.
fn check_inbox(masked: &str) -> String {
    format!("Check your new inbox: we sent a link to {masked}. Your address changes when you open it, within 24 hours. Until then it stays as it is.")
}

/// Asks for the change. Limited as a password change is, by the person's
/// wrong passwords (the form takes the current one: one is held before it
/// is checked, `edit::hold_password`), then by the mail budget
/// (`accounts::EMAIL_CHANGE_MAIL`).
pub async fn submit(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let typed = data.get("new_email").to_string();
    let password = data.get("email_password");
    let held = match hold_password(&state, actor.id, password).await {
        Ok(held) => held,
        Err(message) => return again(&state, &viewer, StatusCode::TOO_MANY_REQUESTS, Refused::Email(form_error(message), typed)).await,
    };
    let asked = accounts::request_email_change(&state.db, &viewer.settings, &state.config.base_url, actor, &typed, password).await;
    settle_password(held, &asked, "email_password").await;
    match asked {
        Ok(EmailChangeAsked::Sent) => {
            let masked = accounts::mask_email(typed.trim());
            Ok(see_other_with_flash("/me/profile", &check_inbox(&masked), state.config.tls))
        }
        Ok(EmailChangeAsked::TooMany) => {
            again(&state, &viewer, StatusCode::TOO_MANY_REQUESTS, Refused::Email(form_error(accounts::EMAIL_CHANGE_TOO_MANY), typed)).await
        }
        Ok(EmailChangeAsked::NothingWaiting) => Ok(see_other_with_flash("/me/profile", "No change of address is waiting.", state.config.tls)),
        Err(CoreError::Invalid(errors)) => again(&state, &viewer, StatusCode::UNPROCESSABLE_ENTITY, Refused::Email(errors, typed)).await,
        Err(other) => Err(other.into()),
    }
}

/// Sends the waiting change's link again (a new link; the earlier one stops working).
pub async fn send_again(State(state): State<AppState>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let pending = accounts::email_status(&state.db, actor).await?.pending;
    match accounts::resend_email_change(&state.db, &viewer.settings, &state.config.base_url, actor).await? {
        EmailChangeAsked::Sent => {
            let masked = pending.map(|p| p.masked).unwrap_or_default();
            Ok(see_other_with_flash("/me/profile", &check_inbox(&masked), state.config.tls))
        }
        EmailChangeAsked::TooMany => {
            again(&state, &viewer, StatusCode::TOO_MANY_REQUESTS, Refused::Email(form_error(accounts::EMAIL_CHANGE_TOO_MANY), String::new())).await
        }
        EmailChangeAsked::NothingWaiting => Ok(see_other_with_flash(
            "/me/profile",
            "No change of address is waiting (it may have expired): ask for it again below.",
            state.config.tls,
        )),
    }
}

/// Cancels the waiting change: its link stops working.
pub async fn cancel(State(state): State<AppState>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let said = if accounts::cancel_email_change(&state.db, actor).await? {
        "The change of address is cancelled: its link no longer works, and your address stays as it is."
    } else {
        "No change of address was waiting."
    };
    Ok(see_other_with_flash("/me/profile", said, state.config.tls))
}

/// The link's page: a button for a live link, the reason for any other.
pub async fn confirm_form(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let token = q.get("token").map(|t| t.trim()).unwrap_or("");
    let form = FormData::default().with("token", token);
    if accounts::email_change_link_is_live(&state.db, token).await? {
        return Ok(render_status(StatusCode::OK, &Confirm { page: Page::new(&viewer, TITLE), form, errors: FieldErrors::new() }));
    }
    let errors = FieldErrors(vec![("token", accounts::EMAIL_CHANGE_LINK_DEAD.to_string())]);
    Ok(render_status(StatusCode::NOT_FOUND, &Confirm { page: Page::new(&viewer, TITLE), form, errors }))
}

/// Follows the link: the address changes, every other session ends.
pub async fn confirm(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let keep = viewer.session_token.as_deref().unwrap_or_default();
    match accounts::confirm_email_change(&state.db, &viewer.settings, &state.config.base_url, data.get("token"), keep).await {
        Ok(person) => {
            // The owner of the new address opened the link: the account's
            // sign-in lock goes (`RateLimits::lift_account`).
            crate::routes::account::lift_sign_in_lock(&state, person, viewer.ip).await;
            let signed_in = viewer.actor.as_ref().is_some_and(|a| a.id == person);
            let (to, said) = if signed_in {
                ("/me/profile", "Your email address is changed and confirmed. Anywhere else you were signed in, you are now signed out.")
            } else {
                ("/login", "Your email address is changed and confirmed. Sign in with the new address.")
            };
            Ok(see_other_with_flash(to, said, state.config.tls))
        }
        Err(CoreError::Invalid(errors)) => {
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &Confirm { page: Page::new(&viewer, TITLE), form: data, errors }))
        }
        Err(other) => Err(other.into()),
    }
}

fn form_error(message: &str) -> FieldErrors {
    FieldErrors(vec![("form", message.to_string())])
}
