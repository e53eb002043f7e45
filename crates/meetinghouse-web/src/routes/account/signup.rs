//! `GET/POST /signup` — create an account; `GET /signup?sent=1`, the page
//! every sign-up that passes the form's checks leads to ("check your
//! email"; `&invited=1` after one whose invite code was accepted in approval
//! mode, so the page does not say the account waits for an admin).
//!
//! The form asks for an invite code in invite-only mode (needed) and in
//! approval mode (optional: with one, the account starts at once); in open
//! mode it does not ask (core `accounts::invite_counts`).
//!
//! The answer never says whether the address has an account: a sign-up
//! with an address that has one (core `accounts::register`, which emails
//! its owner instead) is answered as one that makes an account, with the
//! same redirect, no cookie, and the same page after it. So a sign-up does
//! not sign the person in: they confirm their address from the email, then
//! sign in. A form whose token expired comes back with what was typed
//! (`forms::KeptForm`), never the password.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use meetinghouse_core::accounts::{self, Registered, SignupForm};
use meetinghouse_core::settings::RegistrationMode;
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{EXPIRED_FORM, FormData, KeptForm};
use crate::page::{Page, render, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

/// Where every sign-up that passes the checks is sent.
pub const SENT: &str = "/signup?sent=1";

/// Where a sign-up is sent whose invite code was accepted in approval mode
/// (whether or not the address had an account: the code's checks are the
/// same either way, so this says nothing about the address).
pub const SENT_INVITED: &str = "/signup?sent=1&invited=1";

#[derive(Template)]
#[template(path = "account/signup_sent.html")]
struct Sent {
    page: Page,
    approval: bool,
}

#[derive(Template)]
#[template(path = "account/signup.html")]
struct Signup {
    page: Page,
    form: FormData,
    errors: FieldErrors,
    invite_only: bool,
    approval: bool,
}

fn page(viewer: &Viewer, form: FormData, errors: FieldErrors) -> Signup {
    Signup {
        page: Page::new(viewer, "Join"),
        form,
        errors,
        invite_only: viewer.settings.registration == RegistrationMode::Invite,
        approval: viewer.settings.registration == RegistrationMode::Approval,
    }
}

pub async fn form(viewer: Viewer, axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>) -> Response {
    if q.contains_key("sent") {
        let waits = viewer.settings.registration == RegistrationMode::Approval && !q.contains_key("invited");
        return render(&Sent { page: Page::new(&viewer, "Check your email"), approval: waits });
    }
    let mut form = FormData::default();
    if let Some(code) = q.get("invite") {
        form = form.with("invite_code", code);
    }
    render(&page(&viewer, form, FieldErrors::new()))
}

pub async fn submit(State(state): State<AppState>, KeptForm { viewer, data, expired }: KeptForm) -> Result<Response, WebError> {
    // A form whose token expired comes back with what was typed (never the
    // password) and a fresh token; nothing is done, nothing counted.
    if expired {
        let errors = FieldErrors(vec![("form", EXPIRED_FORM.to_string())]);
        return Ok(render_status(StatusCode::FORBIDDEN, &page(&viewer, data, errors)));
    }
    if let Err(message) = state.limits.signup(viewer.ip, data.get("email")).await {
        let errors = FieldErrors(vec![("form", message.to_string())]);
        return Ok(render_status(StatusCode::TOO_MANY_REQUESTS, &page(&viewer, data.without_secrets(), errors)));
    }
    let form = SignupForm {
        email: data.get("email").into(),
        handle: data.get("handle").into(),
        display_name: data.get("display_name").into(),
        password: data.get("password").into(),
        accept_conduct: data.checked("accept_conduct"),
        invite_code: data.get("invite_code").into(),
    };
    // A code that counts and passed the checks makes an approval-mode
    // account active (core `accounts::invite_counts`).
    let invited = viewer.settings.registration == RegistrationMode::Approval && accounts::invite_counts(&viewer.settings, &form.invite_code);
    match accounts::register(&state.db, &viewer.settings, &state.config.base_url, &form).await {
        // The same answer whether an account was made or the address had one.
        Ok(Registered::Created(_) | Registered::AddressHasAccount) => Ok(Redirect::to(if invited { SENT_INVITED } else { SENT }).into_response()),
        Err(CoreError::Invalid(errors)) => {
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&viewer, data.without_secrets(), errors)))
        }
        Err(other) => Err(other.into()),
    }
}
