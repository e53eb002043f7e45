//! `GET/POST /replies/{id}/edit` (the author edits; the earlier text is kept
//! while the reply is on show) and `GET /replies/{id}/history` (earlier
//! versions readers were shown).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::conversations;
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "replies/edit.html")]
struct EditPage {
    page: Page,
    id: i64,
    note: String,
    hidden: bool,
    form: FormData,
    errors: FieldErrors,
}

pub async fn form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let (r, _) = conversations::visible_reply(&state.db, id, Some(actor)).await?;
    if r.author_person != actor.id || r.status == "retracted" {
        return Err(WebError::Forbidden("Only the author can edit this reply, and only until it is retracted.".into()));
    }
    let form = FormData::default().with("body", &r.body);
    let page = Page::new(&viewer, "Edit your reply");
    Ok(render(&EditPage { page, id, hidden: r.status == "hidden", note: r.note, form, errors: FieldErrors::new() }))
}

pub async fn submit(State(state): State<AppState>, Path(id): Path<i64>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let (status, errors) = match conversations::edit(&state.db, &viewer.settings, actor, id, data.get("body")).await {
        Ok(kept) => {
            let message = if kept {
                "Your reply is updated. The earlier text is in its history."
            } else {
                "Your reply is updated."
            };
            return Ok(see_other_with_flash(&format!("/replies/{id}"), message, state.config.tls));
        }
        Err(CoreError::Invalid(e)) => (StatusCode::UNPROCESSABLE_ENTITY, e),
        Err(CoreError::Forbidden(m)) => (StatusCode::FORBIDDEN, FieldErrors(vec![("form", m)])),
        Err(other) => return Err(other.into()),
    };
    let (r, _) = conversations::visible_reply(&state.db, id, Some(actor)).await?;
    let page = Page::new(&viewer, "Edit your reply");
    Ok(render_status(status, &EditPage { page, id, hidden: r.status == "hidden", note: r.note, form: data, errors }))
}

#[derive(Template)]
#[template(path = "replies/history.html")]
struct HistoryPage {
    page: Page,
    id: i64,
    title: String,
    url: String,
    revisions: Vec<(String, i64)>,
}

pub async fn history(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let (_, info, revisions) = conversations::history(&state.db, id, viewer.actor.as_ref()).await?;
    let page = Page::new(&viewer, "Earlier versions of a reply");
    Ok(render(&HistoryPage { page, id, title: info.title, url: info.url, revisions }))
}
