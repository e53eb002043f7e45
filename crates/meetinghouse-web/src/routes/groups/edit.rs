//! `GET /groups/{slug}/edit` (the form) and `POST /groups/{slug}/edit`
//! (save): a group's hosts change its name, who can see it and how people
//! join. Its address stays, so links, labels and QR codes keep working; its
//! purpose is shown, not edited (amendments change it). The page lists the
//! group's latest changes, and leads to archiving it (or opens it again).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::groups::{self, ChangeRow, EditPage, GroupEditForm};
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, date, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "groups/edit.html")]
struct EditGroup {
    page: Page,
    e: EditPage,
    form: FormData,
    errors: FieldErrors,
    public_warning: &'static str,
}

impl EditGroup {
    /// One change of the log, in words, with who made it and when.
    fn change(&self, c: &ChangeRow) -> (String, String, String) {
        (date(&c.created_at), groups::change_by(c), groups::change_words(c))
    }
}

pub async fn form(State(state): State<AppState>, viewer: Viewer, Path(slug): Path<String>) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let e = groups::edit_page(&state.db, actor, &slug).await?;
    let form = FormData::default().with("name", &e.group.name).with("visibility", &e.group.visibility).with("join_policy", &e.group.join_policy);
    Ok(render_status(StatusCode::OK, &page(&viewer, e, form, FieldErrors::new())))
}

pub async fn submit(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let form = GroupEditForm {
        name: data.get("name").into(),
        visibility: data.get("visibility").into(),
        join_policy: data.get("join_policy").into(),
        confirm_public: data.checked("confirm_public"),
    };
    let errors = match groups::edit(&state.db, &viewer.settings, actor, &slug, &form).await {
        Ok(changed) if changed.is_empty() => {
            return Ok(see_other_with_flash(&format!("/groups/{slug}"), "Nothing was changed.", state.config.tls));
        }
        Ok(_) => return Ok(see_other_with_flash(&format!("/groups/{slug}"), "The group is saved.", state.config.tls)),
        Err(CoreError::Invalid(errors)) => errors,
        Err(other) => return Err(other.into()),
    };
    let e = groups::edit_page(&state.db, actor, &slug).await?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&viewer, e, data, errors)))
}

fn page(viewer: &Viewer, e: EditPage, form: FormData, errors: FieldErrors) -> EditGroup {
    EditGroup { page: Page::new(viewer, format!("Edit {}", e.group.name)), e, form, errors, public_warning: groups::PUBLIC_WARNING }
}
