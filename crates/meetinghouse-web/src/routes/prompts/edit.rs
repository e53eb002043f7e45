//! `GET /prompts/{id}/edit` (the form) and `POST /prompts/{id}/edit` (save):
//! a prompt's hosts change its question, description and closing date. The
//! closing date is a day on the meeting house's clock, read as when the
//! prompt was opened; a later date, or none, reopens a closed prompt.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::prompts::{self, PromptEditForm};
use meetinghouse_core::{CoreError, FieldErrors};
use meetinghouse_store::prompts::PromptRow;

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "prompts/edit.html")]
struct EditPrompt {
    page: Page,
    prompt: PromptRow,
    form: FormData,
    errors: FieldErrors,
}

pub async fn form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let prompt = prompts::for_managing(&state.db, actor, id).await?;
    let closes = prompts::closes_field(&prompt);
    let form = FormData::default()
        .with("question", &prompt.question)
        .with("description", &prompt.description)
        .with("closes", &closes)
        .with("closes_shown", &closes);
    Ok(render_status(StatusCode::OK, &EditPrompt { page: Page::new(&viewer, "Edit the prompt"), prompt, form, errors: FieldErrors::new() }))
}

pub async fn submit(State(state): State<AppState>, Path(id): Path<i64>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let form = PromptEditForm {
        question: data.get("question").into(),
        description: data.get("description").into(),
        closes: data.get("closes").into(),
        closes_shown: data.get("closes_shown").into(),
    };
    let errors = match prompts::edit(&state.db, &viewer.settings, actor, id, &form).await {
        Ok(()) => return Ok(see_other_with_flash(&format!("/prompts/{id}"), "The prompt is saved.", state.config.tls)),
        Err(CoreError::Invalid(errors)) => errors,
        Err(other) => return Err(other.into()),
    };
    let prompt = prompts::for_managing(&state.db, actor, id).await?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &EditPrompt { page: Page::new(&viewer, "Edit the prompt"), prompt, form: data, errors }))
}
