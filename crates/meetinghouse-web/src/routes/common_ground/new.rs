//! `GET /common-ground/new` (the form) and `POST /common-ground` (open a conversation).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::common_ground::{self, ConversationForm, caps};
use meetinghouse_core::{CoreError, FieldErrors, persona};

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "common_ground/new.html")]
struct New {
    page: Page,
    form: FormData,
    errors: FieldErrors,
    personas: Vec<(String, String)>,
    max_hint: String,
    /// False for someone who may open a conversation nowhere: the page
    /// says who can, instead of a form they would fill in for nothing.
    may_open: bool,
    who_opens: &'static str,
}

async fn personas(state: &AppState, viewer: &Viewer) -> Result<Vec<(String, String)>, WebError> {
    let actor = viewer.require()?;
    Ok(persona::available(&state.db, actor).await?.iter().map(|p| (p.choice_value(), p.label())).collect())
}

pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, WebError> {
    let personas = personas(&state, &viewer).await?;
    let mut form = FormData::default()
        .with("speak_as", personas.get(1).map(|p| p.0.as_str()).unwrap_or("self"))
        .with("moderation", "post");
    for key in ["group", "prompt"] {
        if let Some(v) = q.get(key) {
            form = form.with(key, v);
        }
    }
    let may_open = common_ground::may_open(&state.db, viewer.require()?).await?;
    let page = Page::new(&viewer, "Open a common-ground conversation");
    let max_hint = format!("Leave empty for {}.", caps::STATEMENT_DEFAULT);
    Ok(render_status(StatusCode::OK, &New { page, form, errors: FieldErrors::new(), personas, max_hint, may_open, who_opens: common_ground::WHO_OPENS }))
}

pub async fn submit(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let form = ConversationForm {
        speak_as: data.get("speak_as").into(),
        topic: data.get("topic").into(),
        description: data.get("description").into(),
        seeds: data.get("seeds").into(),
        allow_anonymous: data.checked("allow_anonymous"),
        statement_max: data.get("statement_max").into(),
        moderation: data.get("moderation").into(),
        group: data.get("group").into(),
        site: state.config.base_url.clone(),
        prompt: data.get("prompt").into(),
    };
    let (status, errors) = match common_ground::create(&state.db, &viewer.settings, actor, &form).await {
        Ok(id) => {
            return Ok(see_other_with_flash(&format!("/common-ground/{id}"), "Your conversation is open.", state.config.tls));
        }
        Err(CoreError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(CoreError::Forbidden(m)) => (StatusCode::FORBIDDEN, FieldErrors(vec![("form", m)])),
        Err(other) => return Err(other.into()),
    };
    let personas = personas(&state, &viewer).await?;
    let page = Page::new(&viewer, "Open a common-ground conversation");
    let max_hint = format!("Leave empty for {}.", caps::STATEMENT_DEFAULT);
    Ok(render_status(status, &New { page, form: data, errors, personas, max_hint, may_open: true, who_opens: common_ground::WHO_OPENS }))
}
