//! `GET /groups/new` (the form) and `POST /groups` (create a group): at most
//! `groups::GROUPS_PER_HOUR` an hour per account, instance admins aside.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::groups::{self, GroupForm};
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "groups/new.html")]
struct NewGroup {
    page: Page,
    form: FormData,
    errors: FieldErrors,
}

pub async fn form(viewer: Viewer) -> Result<Response, WebError> {
    viewer.require()?;
    // A join policy every visibility takes: a members-only group cannot let anyone join.
    let form = FormData::default().with("visibility", "public").with("join_policy", "request");
    Ok(render(&NewGroup { page: Page::new(&viewer, "Start a group"), form, errors: FieldErrors::new() }))
}

pub async fn submit(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let form = GroupForm {
        name: data.get("name").into(),
        slug: data.get("slug").into(),
        purpose: data.get("purpose").into(),
        visibility: data.get("visibility").into(),
        join_policy: data.get("join_policy").into(),
    };
    let again = |status, errors| render_status(status, &NewGroup { page: Page::new(&viewer, "Start a group"), form: data.clone(), errors });
    // Only a group that would be started counts against the hourly budget.
    match groups::create_counted(&state.db, &viewer.settings, actor, &form).await {
        Ok(Some(slug)) => Ok(see_other_with_flash(&format!("/groups/{slug}"), "Your group is started. You are its host.", state.config.tls)),
        Ok(None) => Ok(again(StatusCode::TOO_MANY_REQUESTS, FieldErrors(vec![("form", groups::GROUPS_PER_HOUR_MESSAGE.into())]))),
        Err(CoreError::Invalid(errors)) => Ok(again(StatusCode::UNPROCESSABLE_ENTITY, errors)),
        Err(CoreError::Forbidden(m)) => Ok(again(StatusCode::FORBIDDEN, FieldErrors(vec![("form", m)]))),
        Err(other) => Err(other.into()),
    }
}
