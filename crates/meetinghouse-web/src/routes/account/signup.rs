//! `GET/POST /signup` — create an account.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::accounts::{self, SignupForm};
use meetinghouse_core::settings::RegistrationMode;
use meetinghouse_core::{CoreError, FieldErrors};

use super::signed_in_redirect;
use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::page::{Page, render, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

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
    match accounts::signup(&state.db, &viewer.settings, &state.config.base_url, &form).await {
        Ok(done) => {
            let token = accounts::start_session(&state.db, done.person_id).await?;
            Ok(signed_in_redirect("/me?welcome=1", &token, state.config.tls))
        }
        Err(CoreError::Invalid(errors)) => {
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&viewer, data.without_secrets(), errors)))
        }
        Err(other) => Err(other.into()),
    }
}
