//! `GET /common-ground/{id}/edit` (the form) and `POST /common-ground/{id}/edit`
//! (save it): the conversation's hosts change its topic and description
//! while it is open, checked as when it was opened, and whether it is for an
//! in-person event, where many people join from one connection (core
//! `common_ground::edit`; the raised limits are `limits.rs`'s).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::common_ground::{self, Conversation, EditForm, caps};
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render_status};
use crate::routes::common_ground::load;
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "common_ground/edit.html")]
struct Edit {
    page: Page,
    c: Conversation,
    form: FormData,
    errors: FieldErrors,
    /// The in-person choices: (value, words), the usual limit first.
    sizes: Vec<(String, String)>,
}

impl Edit {
    fn new(viewer: &Viewer, c: Conversation, form: FormData, errors: FieldErrors) -> Edit {
        let page = Page::new(viewer, format!("Edit the conversation: {}", c.row.topic));
        let mut sizes = vec![(String::new(), format!("No: the usual limit, {} new people an hour from one connection", caps::NEWCOMERS_PER_HOUR))];
        sizes.extend(caps::IN_PERSON_SIZES.iter().map(|n| (n.to_string(), format!("Yes: up to {n} new people an hour from one connection"))));
        Edit { page, c, form, errors, sizes }
    }
}

/// The conversation, for one of its hosts; refused to anyone else.
async fn hosted(state: &AppState, viewer: &Viewer, id: i64) -> Result<Conversation, WebError> {
    viewer.require()?;
    let c = load(state, viewer, id).await?;
    if !c.viewer_hosts {
        return Err(WebError::Forbidden("Only the conversation's hosts can change its topic or description.".into()));
    }
    Ok(c)
}

pub async fn form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let c = hosted(&state, &viewer, id).await?;
    let in_person = c.in_person().map(|n| n.to_string()).unwrap_or_default();
    let form = FormData::default().with("topic", &c.row.topic).with("description", &c.row.description).with("in_person", &in_person);
    Ok(render_status(StatusCode::OK, &Edit::new(&viewer, c, form, FieldErrors::new())))
}

pub async fn submit(State(state): State<AppState>, Path(id): Path<i64>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let c = hosted(&state, &viewer, id).await?;
    let edit = EditForm { topic: data.get("topic").into(), description: data.get("description").into(), in_person: data.get("in_person").into() };
    let (status, errors) = match common_ground::edit(&state.db, &c, &edit).await {
        Ok(changed) => {
            let message = match (changed.words, changed.in_person) {
                (true, _) => "Saved: the conversation’s page says it was edited.",
                (false, true) => "Saved: the limit on new people from one connection is changed.",
                (false, false) => "Nothing changed.",
            };
            return Ok(see_other_with_flash(&format!("/common-ground/{id}"), message, state.config.tls));
        }
        Err(CoreError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(CoreError::Forbidden(m)) => (StatusCode::FORBIDDEN, FieldErrors(vec![("form", m)])),
        Err(other) => return Err(other.into()),
    };
    Ok(render_status(status, &Edit::new(&viewer, c, data, errors)))
}
