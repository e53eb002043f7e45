//! `GET/POST /notifications/settings` — how a person hears about notifications by email.
//!
//! Notification email goes only to a confirmed address: while theirs is not
//! confirmed, the page says so, with the button that sends the confirmation
//! link again (`POST /verify/resend`), and saving a choice says it waits
//! for that.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::notifications::{self, MODES};
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "notifications/settings.html")]
struct SettingsPage {
    page: Page,
    modes: &'static [(&'static str, &'static str)],
    current: String,
    errors: FieldErrors,
    /// Whether the person's address is confirmed: no email goes to it until it is.
    confirmed: bool,
}

pub async fn form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let current = notifications::mode(&state.db, actor).await?;
    let page = Page::new(&viewer, "Email about notifications");
    Ok(render(&SettingsPage { page, modes: MODES, current, errors: FieldErrors::new(), confirmed: actor.email_verified }))
}

pub async fn submit(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    match notifications::set_mode(&state.db, actor, data.get("email_mode")).await {
        Ok(()) if !actor.email_verified && data.get("email_mode") != "off" => Ok(see_other_with_flash(
            "/notifications/settings",
            "Your email choice is saved, but no email will come until you confirm your email address.",
            state.config.tls,
        )),
        Ok(()) => Ok(see_other_with_flash("/notifications/settings", "Your email choice is saved.", state.config.tls)),
        Err(CoreError::Invalid(errors)) => {
            let page = Page::new(&viewer, "Email about notifications");
            let current = data.get("email_mode").to_string();
            let confirmed = actor.email_verified;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &SettingsPage { page, modes: MODES, current, errors, confirmed }))
        }
        Err(other) => Err(other.into()),
    }
}
