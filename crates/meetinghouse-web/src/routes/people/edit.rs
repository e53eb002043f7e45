//! `GET/POST /me/profile` — edit your own profile.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::people::{self, ProfileForm};
use meetinghouse_core::types::SECTORS;
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "people/edit.html")]
struct EditProfile {
    page: Page,
    form: FormData,
    errors: FieldErrors,
    sectors: &'static [(&'static str, &'static str)],
}

pub async fn form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let p = people::profile(&state.db, &viewer.settings, Some(actor), &actor.handle).await?;
    let mut form = FormData::default()
        .with("display_name", &p.display_name)
        .with("pronouns", &p.pronouns)
        .with("bio", &p.bio_source);
    for s in &p.sectors {
        form = form.with("sectors", s);
    }
    Ok(render(&EditProfile { page: Page::new(&viewer, "Edit your profile"), form, errors: FieldErrors::new(), sectors: SECTORS }))
}

pub async fn submit(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let form = ProfileForm {
        display_name: data.get("display_name").into(),
        pronouns: data.get("pronouns").into(),
        bio: data.get("bio").into(),
        sectors: data.all("sectors"),
    };
    match people::update_profile(&state.db, actor, &form).await {
        Ok(()) => Ok(see_other_with_flash(&format!("/@{}", actor.handle), "Your profile is saved.", state.config.tls)),
        Err(CoreError::Invalid(errors)) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &EditProfile { page: Page::new(&viewer, "Edit your profile"), form: data, errors, sectors: SECTORS },
        )),
        Err(other) => Err(other.into()),
    }
}
