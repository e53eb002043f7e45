//! `GET /orgs/new` (the form) and `POST /orgs` (create an organisation).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::orgs::{self, OrgForm};
use meetinghouse_core::types::SECTORS;
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "orgs/new.html")]
struct NewOrg {
    page: Page,
    form: FormData,
    errors: FieldErrors,
    sectors: &'static [(&'static str, &'static str)],
}

pub async fn form(viewer: Viewer) -> Result<Response, WebError> {
    viewer.require()?;
    Ok(render(&NewOrg { page: Page::new(&viewer, "Add an organisation"), form: FormData::default(), errors: FieldErrors::new(), sectors: SECTORS }))
}

pub async fn submit(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let form = OrgForm {
        name: data.get("name").into(),
        slug: data.get("slug").into(),
        sector: data.get("sector").into(),
        description: data.get("description").into(),
        website: data.get("website").into(),
        town: data.get("town").into(),
    };
    let again = |status, errors| {
        render_status(status, &NewOrg { page: Page::new(&viewer, "Add an organisation"), form: data.clone(), errors, sectors: SECTORS })
    };
    match orgs::create_counted(&state.db, &viewer.settings, actor, &form).await {
        Ok(None) => Ok(again(StatusCode::TOO_MANY_REQUESTS, FieldErrors(vec![("form", orgs::ORGS_PER_HOUR_MESSAGE.to_string())]))),
        Ok(Some(slug)) => Ok(see_other_with_flash(&format!("/orgs/{slug}"), "Your organisation is created. You are its admin.", state.config.tls)),
        Err(CoreError::Invalid(errors)) => Ok(again(StatusCode::UNPROCESSABLE_ENTITY, errors)),
        Err(CoreError::Forbidden(m)) => Ok(again(StatusCode::FORBIDDEN, FieldErrors(vec![("form", m)]))),
        Err(other) => Err(other.into()),
    }
}
