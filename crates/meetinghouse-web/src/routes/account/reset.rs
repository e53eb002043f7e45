//! `GET/POST /reset` (ask for a reset link) and `GET/POST /reset/confirm`
//! (choose a new password from the emailed link, whose form names the
//! account's address to password managers). A new password lifts the
//! account's sign-in lock (`RateLimits::lift_account`), makes every
//! browser the account knew unknown (core `accounts::reset_password`) and
//! this one known (`known_device`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use meetinghouse_core::types::Password;
use meetinghouse_core::{CoreError, FieldErrors, accounts, secrets};

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "account/reset_request.html")]
struct ResetRequest {
    page: Page,
    form: FormData,
    errors: FieldErrors,
    sent: bool,
}

#[derive(Template)]
#[template(path = "account/reset_confirm.html")]
struct ResetConfirm {
    page: Page,
    form: FormData,
    errors: FieldErrors,
    /// The link is not valid, has expired or was used: no form, only the
    /// way to ask for a new one.
    dead: bool,
    /// The address of the link's account, in a hidden field for password
    /// managers (core `accounts::reset_link_address`); empty for a dead link.
    address: String,
}

pub async fn request_form(viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    render(&ResetRequest {
        page: Page::new(&viewer, "Reset your password"),
        form: FormData::default(),
        errors: FieldErrors::new(),
        sent: q.contains_key("sent"),
    })
}

pub async fn request_submit(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let again = |status, errors| {
        render_status(status, &ResetRequest { page: Page::new(&viewer, "Reset your password"), form: data.clone(), errors, sent: false })
    };
    if let Err(m) = state.limits.reset(viewer.ip, data.get("email")).await {
        return Ok(again(StatusCode::TOO_MANY_REQUESTS, FieldErrors(vec![("form", m.to_string())])));
    }
    match accounts::request_reset(&state.db, &viewer.settings, &state.config.base_url, data.get("email")).await {
        Ok(()) => Ok(axum::response::Redirect::to("/reset?sent=1").into_response()),
        Err(CoreError::Invalid(e)) => Ok(again(StatusCode::UNPROCESSABLE_ENTITY, e)),
        Err(other) => Err(other.into()),
    }
}

/// The emailed link's page: the form for a live link, or (checked
/// read-only, so the link still works) why it does not work.
pub async fn confirm_form(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let token = q.get("token").map(String::as_str).unwrap_or("");
    let page = Page::new(&viewer, "Choose a new password");
    let Some(address) = accounts::reset_link_address(&state.db, token).await? else {
        let errors = FieldErrors(vec![("token", accounts::RESET_LINK_DEAD.to_string())]);
        let dead = ResetConfirm { page, form: FormData::default(), errors, dead: true, address: String::new() };
        return Ok(render_status(StatusCode::NOT_FOUND, &dead));
    };
    Ok(render(&ResetConfirm { page, form: FormData::default().with("token", token), errors: FieldErrors::new(), dead: false, address }))
}

/// Sets the new password. A send that would hash a password (one that
/// meets the rules) counts against the reset limits the request uses: per
/// connection, and per link where the request counts per address (the form
/// has no address).
pub async fn confirm_submit(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    // (Read before the password is set: shown again only while the link works.)
    let address = accounts::reset_link_address(&state.db, data.get("token")).await?.unwrap_or_default();
    let again = |status, errors: FieldErrors| {
        let dead = errors.get("token").is_some();
        let address = if dead { String::new() } else { address.clone() };
        render_status(status, &ResetConfirm { page: Page::new(&viewer, "Choose a new password"), form: data.without_secrets(), errors, dead, address })
    };
    if Password::parse(data.get("password")).is_ok() {
        let link = format!("reset link {}", secrets::token_hash(data.get("token").trim()));
        if let Err(m) = state.limits.reset(viewer.ip, &link).await {
            return Ok(again(StatusCode::TOO_MANY_REQUESTS, FieldErrors(vec![("form", m.to_string())])));
        }
    }
    match accounts::reset_password(&state.db, data.get("token"), data.get("password")).await {
        Ok(person) => {
            // Whoever chose the new password controls the mailbox: the
            // account's sign-in lock goes, and this browser is one it knows.
            super::lift_sign_in_lock(&state, person, viewer.ip).await;
            let mut resp = see_other_with_flash("/login", "Your password is changed. Please sign in with it.", state.config.tls);
            // Of the generation the new password started: every cookie
            // issued before makes no browser known any more.
            super::known_device::remember(&state.db, resp.headers_mut(), &viewer.settings.secret_key, person, state.config.tls).await?;
            Ok(resp)
        }
        Err(CoreError::Invalid(errors)) => Ok(again(StatusCode::UNPROCESSABLE_ENTITY, errors)),
        Err(other) => Err(other.into()),
    }
}
