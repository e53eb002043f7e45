//! `GET/POST /notifications/settings` — how a person hears about notifications by email.

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
}

pub async fn form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let current = notifications::mode(&state.db, actor).await?;
    Ok(render(&SettingsPage { page: Page::new(&viewer, "Email about notifications"), modes: MODES, current, errors: FieldErrors::new() }))
}

pub async fn submit(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    match notifications::set_mode(&state.db, actor, data.get("email_mode")).await {
        Ok(()) => Ok(see_other_with_flash("/notifications/settings", "Your email choice is saved.", state.config.tls)),
        Err(CoreError::Invalid(errors)) => {
            let page = Page::new(&viewer, "Email about notifications");
            let current = data.get("email_mode").to_string();
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &SettingsPage { page, modes: MODES, current, errors }))
        }
        Err(other) => Err(other.into()),
    }
}
