//! `GET/POST /login` — sign in with email and password. Limited by wrong
//! passwords, not by sign-ins (`ratelimit::RateLimits::login`), and a
//! browser that signed in to the account before (its known-device cookie,
//! [`known_device`], of the account's current generation) by a budget of
//! its own; a wrong password is held in each budget before the password is
//! checked and given back when it was right. A sign-in gives the browser a
//! new known-device cookie. The session records the browser it was started from,
//! roughly (`people::sessions::device`). A form whose token expired comes
//! back with the address typed (`forms::KeptForm`), never the password.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use meetinghouse_core::{CoreError, FieldErrors, accounts};

use super::{known_device, safe_next, signed_in_redirect};
use crate::error::WebError;
use crate::forms::{EXPIRED_FORM, FormData, KeptForm};
use crate::page::{Page, render, render_status};
use crate::ratelimit::Browser;
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

pub async fn submit(State(state): State<AppState>, headers: HeaderMap, KeptForm { viewer, data, expired }: KeptForm) -> Result<Response, WebError> {
    let again = |status, errors| {
        render_status(status, &Login { page: Page::new(&viewer, "Sign in"), form: data.without_secrets(), errors, need: false })
    };
    // A form whose token expired (a page left open, a sign-in in another
    // tab) comes back with the address typed and a fresh token; nothing is
    // checked, and nothing counts against a limit.
    if expired {
        return Ok(again(StatusCode::FORBIDDEN, FieldErrors(vec![("form", EXPIRED_FORM.to_string())])));
    }
    let email = data.get("email");
    // A field left empty is said so (WCAG 3.3.3), and is no guess: it
    // counts against no limit.
    let mut empty = FieldErrors::new();
    if email.trim().is_empty() {
        empty.add("email", "Enter your email address.");
    }
    if data.get("password").is_empty() {
        empty.add("password", "Enter your password.");
    }
    if !empty.is_empty() {
        return Ok(again(StatusCode::UNPROCESSABLE_ENTITY, empty));
    }
    let (secret, tls) = (&viewer.settings.secret_key, state.config.tls);
    // A browser that signed in to this account before, since its last new
    // password or "sign out everywhere else", has budgets of its own.
    let device = known_device::read(&headers, secret, tls, meetinghouse_store::now());
    let browser = match &device {
        Some(d) if accounts::devices_of(&state.db, email).await?.is_some_and(|of| d.is_of(&of)) => Browser::Known(&d.nonce),
        _ => Browser::Unknown,
    };
    // One wrong password is held in every budget before the password is
    // checked, so requests sent at once cannot all pass.
    let held = match state.limits.login(viewer.ip, email, browser).await {
        Ok(held) => held,
        Err(message) => return Ok(again(StatusCode::TOO_MANY_REQUESTS, FieldErrors(vec![("form", message.to_string())]))),
    };
    match accounts::login(&state.db, email, data.get("password")).await {
        Ok(actor) => {
            held.give_back().await;
            if let Some(old) = &viewer.session_token {
                accounts::end_session(&state.db, old).await?;
            }
            let device = crate::routes::people::sessions::device(&headers);
            let token = accounts::start_session_from(&state.db, actor.id, &device).await?;
            let mut resp = signed_in_redirect(safe_next(data.get("next")), &token, tls);
            known_device::remember(&state.db, resp.headers_mut(), secret, actor.id, tls).await?;
            Ok(resp)
        }
        Err(CoreError::Invalid(errors)) => {
            // Only a wrong password (or an address with no account) counts
            // against the sign-in limits.
            held.keep();
            Ok(again(StatusCode::UNPROCESSABLE_ENTITY, errors))
        }
        Err(CoreError::Forbidden(m)) => {
            held.give_back().await;
            Ok(again(StatusCode::FORBIDDEN, FieldErrors(vec![("form", m)])))
        }
        Err(other) => {
            held.give_back().await;
            Err(other.into())
        }
    }
}
