//! `GET/POST /replies/{id}/edit` (the author edits; the earlier text is kept
//! while the reply is on show; the reply form's checks and pause prompt;
//! at most `conversations::EDITS_PER_HOUR` saves an hour; while the
//! author's replies still wait for review, an edit of a shown one waits
//! too; where a block would refuse the edit, the page says so instead of
//! offering the form) and `GET /replies/{id}/history` (earlier versions readers were
//! shown, `conversations::HISTORY_PAGE_SIZE` a page, `?page=N`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::conversations::{self, EditForm, Edited};
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{EXPIRED_FORM, FormData, KeptForm};
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
    /// Saving sends the reply back to wait for review (say so first).
    goes_to_review: bool,
    /// Why saving would be refused (a block): said instead of the form.
    refused: Option<String>,
    form: FormData,
    errors: FieldErrors,
}

pub async fn form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let e = conversations::for_editing(&state.db, &viewer.settings, actor, id).await?;
    let form = FormData::default().with("body", &e.reply.body);
    let page = Page::new(&viewer, "Edit your reply");
    let hidden = e.reply.status == "hidden";
    Ok(render(&EditPage { page, id, hidden, goes_to_review: e.goes_to_review, refused: e.refused, note: e.reply.note, form, errors: FieldErrors::new() }))
}

pub async fn submit(State(state): State<AppState>, Path(id): Path<i64>, KeptForm { viewer, data, expired }: KeptForm) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let edit = EditForm { body: data.get("body").into(), pause_confirmed: data.checked("pause_confirmed") };
    // A form whose token expired is shown again with what was typed and a
    // fresh token, once the author may still edit the reply.
    let edited = if expired {
        conversations::for_editing(&state.db, &viewer.settings, actor, id).await?;
        Err(CoreError::Forbidden(EXPIRED_FORM.into()))
    } else {
        conversations::edit_reply(&state.db, &viewer.settings, actor, id, &edit).await
    };
    let (status, errors) = match edited {
        Ok(Edited::OverBudget) => (StatusCode::TOO_MANY_REQUESTS, FieldErrors(vec![("form", conversations::EDITS_PER_HOUR_MESSAGE.into())])),
        Ok(done) => {
            let message = match done {
                Edited::Kept => "Your reply is updated. The earlier text is in its history.",
                Edited::Waiting => {
                    "Your change is saved. A moderator will look at it before others see it: until then, readers see that your reply is waiting for review."
                }
                _ => "Your reply is updated.",
            };
            return Ok(see_other_with_flash(&format!("/replies/{id}"), message, state.config.tls));
        }
        Err(CoreError::Invalid(e)) => (StatusCode::UNPROCESSABLE_ENTITY, e),
        Err(CoreError::Forbidden(m)) => (StatusCode::FORBIDDEN, FieldErrors(vec![("form", m)])),
        // A full disk: what was typed is shown back to copy.
        Err(other) => return Err(WebError::from(other).keeping(&[("Your reply", edit.body.as_str())])),
    };
    let (r, _) = conversations::visible_reply(&state.db, id, Some(actor)).await?;
    let (goes_to_review, refused) = match conversations::for_editing(&state.db, &viewer.settings, actor, id).await {
        Ok(e) => (e.goes_to_review, e.refused),
        Err(_) => (false, None),
    };
    let page = Page::new(&viewer, "Edit your reply");
    Ok(render_status(status, &EditPage { page, id, hidden: r.status == "hidden", goes_to_review, refused, note: r.note, form: data, errors }))
}

#[derive(Template)]
#[template(path = "replies/history.html")]
struct HistoryPage {
    page: Page,
    id: i64,
    title: String,
    url: String,
    revisions: Vec<(String, i64)>,
    /// This page's number (from 1), and whether older versions follow.
    number: i64,
    more: bool,
}

pub async fn history(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let number = match q.get("page") {
        Some(p) => p.trim().parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            WebError::BadRequest("We could not tell which page of earlier versions to show: the address should end with ?page= and a page number. Open the reply's history again from its link.".into())
        })?,
        None => 1,
    };
    let h = conversations::history_page(&state.db, id, viewer.actor.as_ref(), number).await?;
    let page = Page::new(&viewer, "Earlier versions of a reply");
    Ok(render(&HistoryPage { page, id, title: h.info.title, url: h.info.url, revisions: h.versions, number: h.page, more: h.more }))
}
