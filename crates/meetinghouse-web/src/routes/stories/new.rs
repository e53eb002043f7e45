//! `GET /stories/new` (the form, optionally answering a prompt) and
//! `POST /stories` (publish or save as a draft).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::accounts::ensure_can_post;
use meetinghouse_core::stories::StoryForm;
use meetinghouse_core::{CoreError, FieldErrors, prompts, stories};

use super::{Choices, choices, story_form};
use crate::error::WebError;
use crate::forms::{FormData, FormUpload, Upload};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "stories/form.html")]
pub struct StoryFormPage {
    pub page: Page,
    pub form: FormData,
    pub errors: FieldErrors,
    pub choices: Choices,
    pub action: String,
    pub prompt: Option<(i64, String)>,
    /// Collection objects the story is about: (path, title).
    pub objects: Vec<(String, String)>,
    pub photos: Vec<super::PhotoSlot>,
    pub max_upload_mb: usize,
    pub editing: bool,
    /// On the edit form of a story in a voice its author no longer holds.
    pub voice_notice: Option<String>,
    /// The group the prompt it answers is for, if it is one group's: the
    /// form says, next to "Who can see it", that "Everyone" goes beyond it.
    pub prompt_group: Option<PromptGroup>,
    /// For an account waiting for approval: the notice shown instead of the
    /// form (the form, with what was written, when one was sent anyway).
    pub waiting: Option<&'static str>,
}

impl StoryFormPage {
    /// The ids of what describes "Who can see it" (its `aria-describedby`,
    /// empty when nothing does): why the edit form offers less than usual,
    /// the prompt's group, the error.
    pub fn visibility_described(&self) -> String {
        let mut ids = Vec::new();
        if self.choices.audience_note.is_some() {
            ids.push("visibility-note");
        }
        // (The prompt's group is named when "Everyone" is offered: the hint says what it means.)
        if self.prompt_group.is_some() && self.choices.everyone {
            ids.push("visibility-hint");
        }
        if self.errors.get("visibility").is_some() {
            ids.push("visibility-error");
        }
        ids.join(" ")
    }
}

/// The group a prompt is for, as the story form names it.
pub struct PromptGroup {
    /// Its "Who can see it" choice: `group:SLUG`.
    pub value: String,
    pub name: String,
    /// Whether the person may share with it (it is among their choices).
    pub member: bool,
}

/// The group the prompt named in a form's `prompt_id` is for, when the
/// person may see the prompt and it is one group's.
pub async fn prompt_group(db: &meetinghouse_core::Db, prompt_id: &str, actor: &meetinghouse_core::Actor, choices: &Choices) -> Result<Option<PromptGroup>, WebError> {
    let Ok(pid) = prompt_id.trim().parse::<i64>() else { return Ok(None) };
    let p = match prompts::page(db, pid, Some(actor)).await {
        Ok(p) => p,
        Err(CoreError::NotFound) => return Ok(None),
        Err(other) => return Err(other.into()),
    };
    Ok(group_choice(p.for_group, choices))
}

/// A prompt's group, (address, name), as the story form names it.
fn group_choice(for_group: Option<(String, String)>, choices: &Choices) -> Option<PromptGroup> {
    for_group.map(|(slug, name)| {
        let value = format!("group:{slug}");
        let member = choices.groups.iter().any(|(v, _)| *v == value);
        PromptGroup { member, value, name }
    })
}

pub async fn form(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let mut form = FormData::default().with("licence", "cc-by-4.0");
    let mut prompt = None;
    let mut for_group = None;
    if let Some(pid) = q.get("prompt").and_then(|p| p.parse::<i64>().ok()) {
        let p = prompts::page(&state.db, pid, Some(actor)).await?;
        if let Err(m) = &p.open {
            return Err(WebError::Forbidden(m.clone()));
        }
        form = form.with("prompt_id", &pid.to_string());
        prompt = Some((pid, p.prompt.question));
        for_group = p.for_group;
    }
    // A withdrawn object's page answers 410 and offers no story link; an
    // address made by hand to one starts the form without it.
    if let Some(oid) = q.get("object").and_then(|o| o.parse::<i64>().ok())
        && meetinghouse_store::objects::by_id(&state.db, oid).await?.is_some_and(|o| !o.withdrawn())
    {
        form = form.with("object_ids", &oid.to_string());
    }
    let objects = super::linked_objects(&state.db, form.get("object_ids")).await?;
    let choices = choices(&state.db, actor).await?;
    // An answer to one group's prompt starts shared with that group's
    // members, when the person may share with it; other stories start
    // shared with everyone.
    let prompt_group = group_choice(for_group, &choices);
    let visibility = prompt_group.as_ref().filter(|g| g.member).map_or("public", |g| g.value.as_str());
    let form = form.with("visibility", visibility);
    Ok(render_status(StatusCode::OK, &StoryFormPage {
        page: Page::new(&viewer, "Share a story"),
        photos: super::photo_slots(&state.db, actor, &form, &[], &FieldErrors::new()).await?,
        max_upload_mb: state.config.media_limits.max_bytes / (1024 * 1024),
        objects,
        form,
        errors: FieldErrors::new(),
        choices,
        action: "/stories".into(),
        prompt,
        editing: false,
        voice_notice: None,
        prompt_group,
        waiting: stories::waiting_for_approval(actor).then_some(stories::WAITING_FOR_APPROVAL),
    }))
}

pub async fn submit(State(state): State<AppState>, req: Request) -> Result<Response, WebError> {
    // Someone who may not post yet (waiting for approval, email not
    // confirmed, suspended) is refused before any file is read or stored:
    // the form comes back with its text and why.
    let pending = Upload::start(req, &state).await?;
    let refused = match ensure_can_post(pending.viewer.require()?, &pending.viewer.settings) {
        Ok(()) => None,
        Err(_) if stories::waiting_for_approval(pending.viewer.require()?) => Some(stories::WAITING_NOT_SHARED.to_string()),
        Err(CoreError::Forbidden(m)) => Some(m),
        Err(other) => return Err(other.into()),
    };
    // At the hourly limit, the text is read (to show it again) and no photo
    // is taken.
    let at_limit = refused.is_none() && stories::at_story_limit(&state.db, pending.viewer.require()?).await?;
    let FormUpload { viewer, data, files, unread, turn: _turn, expired } =
        pending.read_form(&state, state.config.media_limits.max_bytes, super::form_field, refused.is_none() && !at_limit).await?;
    let actor = viewer.require()?;
    let (data, photos, found) = super::take_photos(&state, actor, data, files, &unread, &[]).await?;
    let data = super::drop_unwanted_links(&state.db, data).await?;
    let form = StoryForm { photos, ..story_form(&data) };
    let outcome = if let Some(m) = refused {
        Err(CoreError::Forbidden(m))
    } else if expired {
        // Shown again with what was typed and a fresh token; nothing is stored.
        Err(CoreError::Invalid(FieldErrors(vec![("form", crate::forms::EXPIRED_FORM.to_string())])))
    } else if at_limit {
        Ok(None)
    } else {
        // The form's own problems are reported with the photos'.
        stories::create_counted(&state.db, &viewer.settings, actor, &form, found.clone()).await
    };
    let outcome = match outcome {
        Ok(Some(id)) => Ok((id, form.visibility == "draft")),
        Ok(None) => {
            let mut errors = FieldErrors(vec![("form", stories::STORIES_PER_HOUR_MESSAGE.to_string())]);
            errors.0.extend(found.0);
            Err((StatusCode::TOO_MANY_REQUESTS, errors))
        }
        Err(CoreError::Invalid(mut errors)) if expired => {
            errors.0.extend(found.0);
            Err((StatusCode::FORBIDDEN, errors))
        }
        Err(CoreError::Invalid(errors)) => Err((super::refused_status(&unread), errors)),
        Err(CoreError::Forbidden(m)) => Err((StatusCode::FORBIDDEN, FieldErrors(vec![("form", m)]))),
        // A full disk: what was typed is shown back to copy.
        Err(other) => return Err(WebError::from(other).keeping(&[("Title", form.title.as_str()), ("Your story", form.body.as_str())])),
    };
    match outcome {
        Ok((id, draft)) => {
            let message = if draft { "Your draft is saved. Only you can see it." } else { "Thank you for sharing your story." };
            Ok(see_other_with_flash(&format!("/stories/{id}"), message, state.config.tls))
        }
        Err((status, errors)) => {
            let prompt = match data.get("prompt_id").parse::<i64>() {
                Ok(pid) => prompts::page(&state.db, pid, Some(actor)).await.ok().map(|p| (pid, p.prompt.question)),
                Err(_) => None,
            };
            let choices = choices(&state.db, actor).await?;
            let prompt_group = prompt_group(&state.db, data.get("prompt_id"), actor, &choices).await?;
            let data = data.without_secrets();
            Ok(render_status(status, &StoryFormPage {
                objects: super::linked_objects(&state.db, data.get("object_ids")).await?,
                photos: super::photo_slots(&state.db, actor, &data, &[], &errors).await?,
                max_upload_mb: state.config.media_limits.max_bytes / (1024 * 1024),
                page: Page::new(&viewer, "Share a story"),
                form: data,
                errors,
                choices,
                action: "/stories".into(),
                prompt,
                editing: false,
                voice_notice: None,
                prompt_group,
                waiting: stories::waiting_for_approval(actor).then_some(stories::WAITING_FOR_APPROVAL),
            }))
        }
    }
}
