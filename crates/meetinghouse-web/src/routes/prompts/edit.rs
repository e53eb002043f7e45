//! `GET /prompts/{id}/edit` (the form) and `POST /prompts/{id}/edit` (save):
//! a prompt's hosts change its question, description and closing date. The
//! closing date is a day on the meeting house's clock, read as when the
//! prompt was opened; a later date, or none, reopens a closed prompt, and so
//! does today's on one closed early today (the form says so). An archived
//! group's prompt has no form.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::prompts::{self, PromptEditForm, Saved};
use meetinghouse_core::{CoreError, FieldErrors};
use meetinghouse_store::prompts::PromptRow;

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, date, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "prompts/edit.html")]
struct EditPrompt {
    page: Page,
    prompt: PromptRow,
    form: FormData,
    errors: FieldErrors,
    /// When it is closed now, the words saying so and how to reopen it.
    closed: Option<String>,
}

/// What the form says about a closed prompt: that it is closed, and that
/// saving a closing day of today or later opens it again.
fn closed_note(p: &PromptRow) -> Option<String> {
    let now = meetinghouse_store::now();
    let c = p.closes_at.filter(|c| *c <= now)?;
    Some(format!(
        "This prompt closed on {}. Save it with today or a later day as its closing date to open it again until the end of that day, \
         or with no closing date to open it with no end; an earlier day keeps it closed.",
        date(&(c - 1))
    ))
}

/// The edit page's title names the prompt (WCAG 2.4.2): "Edit the prompt
/// “What did the canal mean to you?”".
fn edit_title(question: &str) -> String {
    format!("Edit the prompt “{question}”")
}

pub async fn form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let prompt = prompts::for_managing(&state.db, actor, id).await?;
    // An archived group's prompt is kept as it is: no form to change it.
    if let Some(g) = prompt.group_id {
        meetinghouse_core::groups::ensure_not_archived(&state.db, g).await?;
    }
    let closes = prompts::closes_field(&prompt);
    let form = FormData::default()
        .with("question", &prompt.question)
        .with("description", &prompt.description)
        .with("closes", &closes)
        .with("closes_shown", &closes);
    let closed = closed_note(&prompt);
    Ok(render_status(StatusCode::OK, &EditPrompt { page: Page::new(&viewer, edit_title(&prompt.question)), prompt, form, errors: FieldErrors::new(), closed }))
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
        Ok(saved) => {
            let message = match saved {
                Saved::Reopened => "The prompt is saved and open again: it takes stories until the end of its closing day.",
                Saved::StillClosed => "The prompt is saved. It is still closed: to reopen it, choose today or a later closing day.",
                Saved::AsItWas => "The prompt is saved.",
            };
            return Ok(see_other_with_flash(&format!("/prompts/{id}"), message, state.config.tls));
        }
        Err(CoreError::Invalid(errors)) => errors,
        Err(other) => return Err(other.into()),
    };
    let prompt = prompts::for_managing(&state.db, actor, id).await?;
    let closed = closed_note(&prompt);
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &EditPrompt { page: Page::new(&viewer, edit_title(&prompt.question)), prompt, form: data, errors, closed }))
}
