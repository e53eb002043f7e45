//! `GET/POST /signup` — create an account; `GET /signup?sent=1`, the page
//! every sign-up that passes the form's checks leads to ("check your
//! email").
//!
//! The answer never says whether the address has an account: a sign-up
//! with an address that has one (core `accounts::register`, which emails
//! its owner instead) is answered as one that makes an account, with the
//! same redirect, no cookie, and the same page after it. So a sign-up does
//! not sign the person in: they confirm their address from the email, then
//! sign in.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use meetinghouse_core::accounts::{self, Registered, SignupForm};
use meetinghouse_core::settings::RegistrationMode;
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::page::{Page, render, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

/// Where every sign-up that passes the checks is sent.
pub const SENT: &str = "/signup?sent=1";

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
        return render(&Sent { page: Page::new(&viewer, "Check your email"), approval: viewer.settings.registration == RegistrationMode::Approval });
    }
    let mut form = FormData::default();
    if let Some(code) = q.get("invite") {
        form = form.with("invite_code", code);
    }
    render(&page(&viewer, form, FieldErrors::new()))
}

pub async fn submit(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
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
    match accounts::register(&state.db, &viewer.settings, &state.config.base_url, &form).await {
        // The same answer whether an account was made or the address had one.
        Ok(Registered::Created(_) | Registered::AddressHasAccount) => Ok(Redirect::to(SENT).into_response()),
        Err(CoreError::Invalid(errors)) => {
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&viewer, data.without_secrets(), errors)))
        }
        Err(other) => Err(other.into()),
    }
}
