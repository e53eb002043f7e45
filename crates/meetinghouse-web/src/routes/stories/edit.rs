//! `GET/POST /stories/{id}/edit` — the author edits; the old text is kept.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::stories::StoryForm;
use meetinghouse_core::{CoreError, FieldErrors, prompts, stories};

use super::new::StoryFormPage;
use super::story_form;
use crate::error::WebError;
use crate::forms::{FormData, FormUpload, Upload};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

pub async fn form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    // As saving it would answer: not found to whoever may not see it, and
    // a deleted story is restored before it is edited.
    stories::ensure_can_edit(&state.db, &viewer.settings, actor, id).await?;
    let page = stories::page(&state.db, id, Some(actor)).await?;
    let s = &page.story;
    let choices = super::edit_choices(&state.db, actor, s).await?;
    let voice_notice = super::voice_notice(s, &choices);
    // A voice the author no longer holds is not offered: the form starts
    // from their own name (the notice says so).
    let speak_as = if voice_notice.is_some() { "self".to_string() } else { stories::speak_as_of(s) };
    // The story's own audience when it can be kept, else "Only me (a
    // draft)": the form offers only what saving can take.
    let visibility = super::edit_start(&choices, &[&super::own_choice(&state.db, s).await?]);
    let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let coord = |v: Option<i64>| v.map(|x| format!("{:.3}", x as f64 / 1000.0)).unwrap_or_default();
    let mut form = FormData::default()
        .with("speak_as", &speak_as)
        .with("title", &s.title)
        .with("body", &s.body)
        .with("place_name", &s.place_name)
        .with("latitude", &coord(s.lat_milli))
        .with("longitude", &coord(s.lon_milli))
        .with("period_text", &s.period_text)
        .with("year_from", &opt(s.year_from))
        .with("year_to", &opt(s.year_to))
        .with("prompt_id", &opt(s.prompt_id))
        .with("licence", &s.licence)
        .with("visibility", &visibility)
        .with("object_ids", &meetinghouse_store::objects::ids_of_story(&state.db, id).await?.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
    // The consent given before is shown, for the photos it was given for:
    // a photo added now needs it given again (core `stories::check`).
    if s.consent_people != 0 {
        form = form.with("consent_people", "on");
    }
    if s.consent_minors != 0 {
        form = form.with("consent_minors", "on");
    }
    if s.consent_people != 0 || s.consent_minors != 0 {
        form = form.with("consented_photos", &page.photos.iter().map(|p| p.media_id.to_string()).collect::<Vec<_>>().join(","));
    }
    for (i, p) in page.photos.iter().enumerate() {
        form = form.with(&format!("photo_id_{i}"), &p.media_id.to_string()).with(&format!("photo_alt_{i}"), &p.alt).with(&format!("photo_caption_{i}"), &p.caption);
    }
    let existing: Vec<i64> = page.photos.iter().map(|p| p.media_id).collect();
    let prompt_group = super::new::prompt_group(&state.db, form.get("prompt_id"), actor, &choices).await?;
    Ok(render_status(StatusCode::OK, &StoryFormPage {
        photos: super::photo_slots(&state.db, actor, &form, &existing, &FieldErrors::new()).await?,
        max_upload_mb: state.config.media_limits.max_bytes / (1024 * 1024),
        objects: page.objects.clone(),
        page: Page::new(&viewer, "Edit your story"),
        form,
        errors: FieldErrors::new(),
        choices,
        action: format!("/stories/{id}/edit"),
        prompt: page.prompt.clone(),
        editing: true,
        voice_notice,
        prompt_group,
        waiting: None,
    }))
}

pub async fn submit(State(state): State<AppState>, Path(id): Path<i64>, req: Request) -> Result<Response, WebError> {
    // Only the author goes further: nothing of the request's body is read,
    // and nothing of the story is loaded, for anyone else.
    let pending = Upload::start(req, &state).await?;
    let story = stories::ensure_can_edit(&state.db, &pending.viewer.settings, pending.viewer.require()?, id).await?;
    // Past the hourly budget of edits, the text is read (to show it again)
    // and no photo is taken.
    let over = stories::at_edit_limit(&state.db, &pending.viewer.settings, pending.viewer.require()?).await?;
    let FormUpload { viewer, data, files, unread, turn: _turn, expired } =
        pending.read_form(&state, state.config.media_limits.max_bytes, super::form_field, !over).await?;
    let actor = viewer.require()?;
    let existing: Vec<i64> = meetinghouse_store::media::photos_of_story(&state.db, id).await?.into_iter().map(|p| p.media_id).collect();
    let (data, photos, found) = super::take_photos(&state, actor, data, files, &unread, &existing).await?;
    let data = super::drop_unwanted_links(&state.db, data).await?;
    let form = StoryForm { photos, ..story_form(&data) };
    // The form's own problems are reported with the photos'.
    let edited = if expired {
        // Shown again with what was typed and a fresh token; nothing is stored.
        let mut errors = FieldErrors(vec![("form", crate::forms::EXPIRED_FORM.to_string())]);
        errors.0.extend(found.0.iter().cloned());
        Err(CoreError::Invalid(errors))
    } else if over {
        Ok(None)
    } else {
        stories::edit_counted(&state.db, &viewer.settings, actor, id, &form, found.clone()).await
    };
    let outcome = match edited {
        Err(CoreError::Invalid(errors)) if expired => Err((StatusCode::FORBIDDEN, errors)),
        Ok(Some(kept)) => Ok(kept),
        Ok(None) => {
            let mut errors = FieldErrors(vec![("form", stories::EDITS_PER_HOUR_MESSAGE.to_string())]);
            errors.0.extend(found.0);
            Err((StatusCode::TOO_MANY_REQUESTS, errors))
        }
        Err(CoreError::Invalid(errors)) => Err((super::refused_status(&unread), errors)),
        // A full disk: what was typed is shown back to copy.
        Err(other) => return Err(WebError::from(other).keeping(&[("Title", form.title.as_str()), ("Your story", form.body.as_str())])),
    };
    match outcome {
        Ok(kept) => {
            // Saving a shared story as a draft takes it from its readers: said so.
            let unshared = form.visibility == "draft" && story.visibility != "draft";
            let message = match (unshared, kept) {
                (true, true) => "Your changes are saved, and it is now a draft: only you can see it. The earlier version is in the history.",
                (true, false) => "Your changes are saved, and it is now a draft: only you can see it.",
                (false, true) => "Your changes are saved; the earlier version is in the history.",
                (false, false) => "Your changes are saved.",
            };
            Ok(see_other_with_flash(&format!("/stories/{id}"), message, state.config.tls))
        }
        Err((status, errors)) => {
            let data = super::consent_for_shown_photos(data.without_secrets(), &form.photos);
            let prompt = match data.get("prompt_id").parse::<i64>() {
                Ok(pid) => prompts::page(&state.db, pid, Some(actor)).await.ok().map(|p| (pid, p.prompt.question)),
                Err(_) => None,
            };
            let choices = super::edit_choices(&state.db, actor, &story).await?;
            // A choice sent that the form does not offer (saving refused it)
            // comes back as one it offers: never none marked.
            let own = super::own_choice(&state.db, &story).await?;
            let data = match super::edit_start(&choices, &[data.get("visibility"), &own]) {
                start if start == data.get("visibility") => data,
                start => data.without_prefix("visibility").with("visibility", &start),
            };
            let prompt_group = super::new::prompt_group(&state.db, data.get("prompt_id"), actor, &choices).await?;
            Ok(render_status(status, &StoryFormPage {
                prompt_group,
                voice_notice: super::voice_notice(&story, &choices),
                objects: super::linked_objects(&state.db, data.get("object_ids")).await?,
                photos: super::photo_slots(&state.db, actor, &data, &existing, &errors).await?,
                max_upload_mb: state.config.media_limits.max_bytes / (1024 * 1024),
                page: Page::new(&viewer, "Edit your story"),
                form: data,
                errors,
                choices,
                action: format!("/stories/{id}/edit"),
                prompt,
                editing: true,
                waiting: None,
            }))
        }
    }
}
