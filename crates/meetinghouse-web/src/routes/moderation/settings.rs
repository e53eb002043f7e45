//! `GET/POST /admin/conversations` — review of new accounts' first replies,
//! the "pause before posting" word list, and whether the moderation log is public.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::moderation::{self, Policy, PolicyForm};
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "moderation/settings.html")]
struct PolicyPage {
    page: Page,
    form: FormData,
    errors: FieldErrors,
}

pub async fn form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let p = Policy::load(&state.db).await?;
    let mut form = FormData::default().with("review_first", &p.review_first.to_string()).with("pause_words", &p.pause_words.join(", "));
    if p.public_log {
        form = form.with("public_log", "on");
    }
    Ok(render_status(StatusCode::OK, &PolicyPage { page: Page::new(&viewer, "Conversation settings"), form, errors: FieldErrors::new() }))
}

pub async fn submit(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require_admin()?;
    let form = PolicyForm { review_first: data.get("review_first").into(), pause_words: data.get("pause_words").into(), public_log: data.checked("public_log") };
    match moderation::save_policy(&state.db, actor, &form).await {
        Ok(()) => {
            state.invalidate_settings();
            Ok(see_other_with_flash("/admin/conversations", "Saved.", state.config.tls))
        }
        Err(CoreError::Invalid(errors)) => {
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &PolicyPage { page: Page::new(&viewer, "Conversation settings"), form: data, errors }))
        }
        Err(other) => Err(other.into()),
    }
}
