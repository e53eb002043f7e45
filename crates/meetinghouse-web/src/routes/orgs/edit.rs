//! `GET /orgs/{slug}/edit` (the form) and `POST /orgs/{slug}/edit` (save):
//! an organisation's admins change its name, sector, description, website
//! and town. Its address stays. The page lists its latest changes, to its
//! details and to its members.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::groups;
use meetinghouse_store::orgs::OrgChangeRow;
use meetinghouse_core::orgs::{self, EditPage, OrgForm};
use meetinghouse_core::types::SECTORS;
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, date, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "orgs/edit.html")]
struct EditOrg {
    page: Page,
    e: EditPage,
    form: FormData,
    errors: FieldErrors,
    sectors: &'static [(&'static str, &'static str)],
}

impl EditOrg {
    /// One change of the log, in words, with who made it and when.
    fn change(&self, c: &OrgChangeRow) -> (String, String, String) {
        let what = orgs::member_change_words(c).unwrap_or_else(|| groups::change_words(&c.change));
        (date(&c.change.created_at), groups::change_by(&c.change), what)
    }
}

pub async fn form(State(state): State<AppState>, viewer: Viewer, Path(slug): Path<String>) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let e = orgs::edit_page(&state.db, actor, &slug).await?;
    let o = &e.org;
    let form = FormData::default()
        .with("name", &o.name)
        .with("sector", &o.sector)
        .with("description", &o.description)
        .with("website", &o.website)
        .with("town", &o.town);
    Ok(render_status(StatusCode::OK, &page(&viewer, e, form, FieldErrors::new())))
}

pub async fn submit(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let form = OrgForm {
        name: data.get("name").into(),
        slug: String::new(),
        sector: data.get("sector").into(),
        description: data.get("description").into(),
        website: data.get("website").into(),
        town: data.get("town").into(),
    };
    let errors = match orgs::edit(&state.db, &viewer.settings, actor, &slug, &form).await {
        Ok(changed) if changed.is_empty() => return Ok(see_other_with_flash(&format!("/orgs/{slug}"), "Nothing was changed.", state.config.tls)),
        Ok(_) => return Ok(see_other_with_flash(&format!("/orgs/{slug}"), "The organisation is saved.", state.config.tls)),
        Err(CoreError::Invalid(errors)) => errors,
        Err(other) => return Err(other.into()),
    };
    let e = orgs::edit_page(&state.db, actor, &slug).await?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page(&viewer, e, data, errors)))
}

fn page(viewer: &Viewer, e: EditPage, form: FormData, errors: FieldErrors) -> EditOrg {
    EditOrg { page: Page::new(viewer, format!("Edit {}", e.org.name)), e, form, errors, sectors: SECTORS }
}
