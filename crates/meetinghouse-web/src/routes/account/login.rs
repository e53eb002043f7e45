//! `GET/POST /login` — sign in with email and password. Limited by wrong
//! passwords, not by sign-ins (`ratelimit::RateLimits::login`); the
//! session records the browser it was started from, roughly
//! (`people::sessions::device`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use meetinghouse_core::{CoreError, FieldErrors, accounts};

use super::{safe_next, signed_in_redirect};
use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::page::{Page, render, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "account/login.html")]
struct Login {
    page: Page,
    form: FormData,
    errors: FieldErrors,
    need: bool,
}

pub async fn form(viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut form = FormData::default();
    if let Some(next) = q.get("next") {
        form = form.with("next", next);
    }
    render(&Login { page: Page::new(&viewer, "Sign in"), form, errors: FieldErrors::new(), need: q.contains_key("need") })
}

pub async fn submit(State(state): State<AppState>, headers: HeaderMap, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let again = |status, errors| {
        render_status(status, &Login { page: Page::new(&viewer, "Sign in"), form: data.without_secrets(), errors, need: false })
    };
    let email = data.get("email");
    if let Err(message) = state.limits.login(viewer.ip, email).await {
        return Ok(again(StatusCode::TOO_MANY_REQUESTS, FieldErrors(vec![("form", message.to_string())])));
    }
    match accounts::login(&state.db, email, data.get("password")).await {
        Ok(actor) => {
            if let Some(old) = &viewer.session_token {
                accounts::end_session(&state.db, old).await?;
            }
            let device = crate::routes::people::sessions::device(&headers);
            let token = accounts::start_session_from(&state.db, actor.id, &device).await?;
            Ok(signed_in_redirect(safe_next(data.get("next")), &token, state.config.tls))
        }
        Err(CoreError::Invalid(errors)) => {
            // Only a wrong password (or an address with no account) counts
            // against the sign-in limits.
            state.limits.login_failed(viewer.ip, email).await;
            Ok(again(StatusCode::UNPROCESSABLE_ENTITY, errors))
        }
        Err(CoreError::Forbidden(m)) => Ok(again(StatusCode::FORBIDDEN, FieldErrors(vec![("form", m)]))),
        Err(other) => Err(other.into()),
    }
}
