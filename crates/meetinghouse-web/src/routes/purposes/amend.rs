//! `GET /groups/{slug}/purpose/amend` (the form, the new text starting as
//! the current purpose) and `POST /groups/{slug}/purpose/amend` (propose
//! it): for the group's members. A refused proposal is shown again with
//! what was typed; only one that would be taken counts against the hourly
//! budget (`purposes::propose_counted`).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::groups::GroupRow;
use meetinghouse_core::purposes::{self, AmendForm, VersionRow};
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{EXPIRED_FORM, FormData, KeptForm};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "purposes/amend.html")]
struct AmendPage {
    page: Page,
    group: GroupRow,
    current: VersionRow,
    form: FormData,
    errors: FieldErrors,
}

impl AmendPage {
    fn window_days(&self) -> i64 {
        purposes::WINDOW_SECS / 86_400
    }

    fn text_hint(&self) -> String {
        format!(
            "At most {} characters. Change the words you want to amend: members will see what changed, word by word. Markdown works.",
            meetinghouse_core::types::limits::PURPOSE_MAX
        )
    }

    fn why_hint(&self) -> String {
        format!("At most {} characters. Members read this first: say what the change is for.", purposes::WHY_MAX)
    }
}

pub async fn form(State(state): State<AppState>, viewer: Viewer, Path(slug): Path<String>) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let (group, current) = purposes::for_amending(&state.db, &viewer.settings, actor, &slug).await?;
    let form = FormData::default().with("text", &current.text);
    let page = Page::new(&viewer, format!("Propose an amendment to the purpose of {}", group.name));
    Ok(render_status(StatusCode::OK, &AmendPage { page, group, current, form, errors: FieldErrors::new() }))
}

pub async fn submit(State(state): State<AppState>, Path(slug): Path<String>, KeptForm { viewer, data, expired }: KeptForm) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let again = |errors: FieldErrors, status: StatusCode| render_form(&state, &viewer, &slug, data.clone(), errors, status);
    if expired {
        // Shown again with what was typed and a fresh token; nothing is proposed.
        return again(FieldErrors(vec![("form", EXPIRED_FORM.into())]), StatusCode::FORBIDDEN).await;
    }
    let form = AmendForm { text: data.get("text").into(), why: data.get("why").into() };
    let mail = crate::routes::conversations::mailer(&state, &viewer);
    // Only a proposal that would be taken is counted against the budget.
    match purposes::propose_counted(&state.db, mail, actor, &slug, &form).await {
        Ok(None) => again(FieldErrors(vec![("form", purposes::PROPOSALS_MESSAGE.into())]), StatusCode::TOO_MANY_REQUESTS).await,
        Ok(Some(id)) => {
            let message = format!(
                "Your amendment is proposed. Members have {} days to object, until the time shown below; the group’s hosts are told.",
                purposes::WINDOW_SECS / 86_400
            );
            Ok(see_other_with_flash(&purposes::amendment_path(&slug.to_ascii_lowercase(), id), &message, state.config.tls))
        }
        Err(CoreError::Invalid(errors)) => again(errors, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(CoreError::Forbidden(m)) => again(FieldErrors(vec![("form", m)]), StatusCode::FORBIDDEN).await,
        Err(other) => Err(other.into()),
    }
}

/// The form again, with what was typed and what was wrong.
async fn render_form(state: &AppState, viewer: &Viewer, slug: &str, form: FormData, errors: FieldErrors, status: StatusCode) -> Result<Response, WebError> {
    let (group, current) = purposes::current(&state.db, slug, viewer.actor.as_ref()).await?;
    let page = Page::new(viewer, format!("Propose an amendment to the purpose of {}", group.name));
    Ok(render_status(status, &AmendPage { page, group, current, form, errors }))
}
