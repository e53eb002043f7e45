//! `GET /prompts/new` (the form) and `POST /prompts` (open a prompt): at
//! most `prompts::PROMPTS_PER_DAY` a day per account, instance admins aside.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::prompts::{self, PromptForm};
use meetinghouse_core::{CoreError, FieldErrors, persona};

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "prompts/new.html")]
struct NewPrompt {
    page: Page,
    form: FormData,
    errors: FieldErrors,
    personas: Vec<(String, String)>,
}

async fn personas(state: &AppState, viewer: &Viewer) -> Result<Vec<(String, String)>, WebError> {
    let actor = viewer.require()?;
    Ok(persona::available(&state.db, actor).await?.iter().map(|p| (p.choice_value(), p.label())).collect())
}

pub async fn form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let personas = personas(&state, &viewer).await?;
    let form = FormData::default().with("speak_as", personas.get(1).map(|p| p.0.as_str()).unwrap_or("self"));
    Ok(render_status(StatusCode::OK, &NewPrompt { page: Page::new(&viewer, "Open a prompt"), form, errors: FieldErrors::new(), personas }))
}

pub async fn submit(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let form = PromptForm {
        speak_as: data.get("speak_as").into(),
        question: data.get("question").into(),
        description: data.get("description").into(),
        opens: data.get("opens").into(),
        closes: data.get("closes").into(),
        group: data.get("group").into(),
    };
    // Only a prompt that would be opened counts against the daily budget.
    let (status, errors) = match prompts::create_counted(&state.db, &viewer.settings, actor, &form).await {
        Ok(Some(id)) => return Ok(see_other_with_flash(&format!("/prompts/{id}"), "Your prompt is open.", state.config.tls)),
        Ok(None) => (StatusCode::TOO_MANY_REQUESTS, FieldErrors(vec![("form", prompts::PROMPTS_PER_DAY_MESSAGE.into())])),
        Err(CoreError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(CoreError::Forbidden(m)) => (StatusCode::FORBIDDEN, FieldErrors(vec![("form", m)])),
        Err(other) => return Err(other.into()),
    };
    let personas = personas(&state, &viewer).await?;
    Ok(render_status(status, &NewPrompt { page: Page::new(&viewer, "Open a prompt"), form: data, errors, personas }))
}
