//! `GET /conversations/{kind}/{id}/reply` (the reply form, `?to=REPLY_ID` to
//! answer a reply) and `POST /conversations/{kind}/{id}/replies` (post it;
//! a form whose token expired comes back with what was typed and a fresh
//! token, `forms::KeptForm`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::conversations::{self, ReplyView};
use meetinghouse_core::subjects::{self, SubjectInfo};
use meetinghouse_core::{CoreError, FieldErrors, persona};

use super::{mailer, reply_form, subject};
use crate::error::WebError;
use crate::forms::{EXPIRED_FORM, FormData, KeptForm};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "conversations/reply_form.html")]
struct ReplyFormPage {
    page: Page,
    info: SubjectInfo,
    parent: Option<ReplyView>,
    personas: Vec<(String, String)>,
    form: FormData,
    errors: FieldErrors,
    action: String,
    /// Why it takes no replies: what it belongs to is an archived group, or
    /// the reader is blocked by the person answered or the subject's owner.
    archived: Option<String>,
}

async fn render_form(state: &AppState, viewer: &Viewer, kind: &str, id: i64, form: FormData, errors: FieldErrors, status: StatusCode) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let info = subjects::resolve(&state.db, subject(kind, id)?, Some(actor)).await?;
    let parent = match form.get("parent_id").parse::<i64>() {
        Ok(p) => Some(conversations::thread(&state.db, p, Some(actor)).await?.reply),
        Err(_) => None,
    };
    let personas = persona::available(&state.db, actor).await?.iter().map(|p| (p.choice_value(), p.label())).collect();
    // The title says who is answered (WCAG 2.4.2).
    let title = match &parent {
        Some(p) => format!("Reply to {}: {}", p.author_label, info.title),
        None => format!("Reply: {}", info.title),
    };
    let page = Page::new(viewer, title);
    let action = format!("/conversations/{kind}/{id}/replies");
    // An archived group's words, or a block that would refuse the reply:
    // either way the form is left out.
    let mut archived = match conversations::archived(&state.db, &info).await? {
        Some(why) => Some(why),
        None => conversations::answer_refused(&state.db, actor, &info, parent.as_ref().map(|p| p.row.author_person)).await?,
    };
    // An account waiting for approval is told so in place of the form; a
    // reply it sent anyway comes back in the form, with why (the errors).
    if errors.is_empty() {
        crate::routes::replies::while_waiting(viewer, &mut archived, std::iter::empty());
    }
    Ok(render_status(status, &ReplyFormPage { page, info, parent, personas, form, errors, action, archived }))
}

pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((kind, id)): Path<(String, i64)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let form = FormData::default().with("parent_id", q.get("to").map(String::as_str).unwrap_or(""));
    render_form(&state, &viewer, &kind, id, form, FieldErrors::new(), StatusCode::OK).await
}

pub async fn submit(State(state): State<AppState>, Path((kind, id)): Path<(String, i64)>, KeptForm { viewer, data, expired }: KeptForm) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    if expired {
        // Shown again with what was typed and a fresh token; nothing is posted.
        return render_form(&state, &viewer, &kind, id, data, FieldErrors(vec![("form", EXPIRED_FORM.into())]), StatusCode::FORBIDDEN).await;
    }
    if let Err(message) = state.limits.reply(&actor.id.to_string()) {
        return render_form(&state, &viewer, &kind, id, data, FieldErrors(vec![("form", message.into())]), StatusCode::TOO_MANY_REQUESTS).await;
    }
    let subject = subject(&kind, id)?;
    match conversations::post_reply(&state.db, mailer(&state, &viewer), actor, subject, &reply_form(&data)).await {
        Ok(posted) => {
            let message = if posted.waiting {
                "Thank you. Your reply will appear once a moderator has looked at it: until then, only you can see it."
            } else {
                "Your reply is posted."
            };
            Ok(see_other_with_flash(&format!("/replies/{}", posted.id), message, state.config.tls))
        }
        Err(CoreError::Invalid(errors)) => render_form(&state, &viewer, &kind, id, data, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(CoreError::Forbidden(m)) => render_form(&state, &viewer, &kind, id, data, FieldErrors(vec![("form", m)]), StatusCode::FORBIDDEN).await,
        // A full disk: what was typed is shown back to copy.
        Err(other) => Err(WebError::from(other).keeping(&[("Your reply", data.get("body"))])),
    }
}
