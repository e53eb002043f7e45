//! `GET/POST /admin/settings` — name, tagline, about, code of conduct, how
//! to reach the admins, registration mode and posting rules.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::settings::{self, SettingsForm};
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{Form, FormData, SettingsForm as LargeForm};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    page: Page,
    form: FormData,
    errors: FieldErrors,
}

pub async fn form(viewer: Viewer) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let s = &viewer.settings;
    let mut form = FormData::default()
        .with("name", &s.name)
        .with("tagline", &s.tagline)
        .with("about", &s.about)
        .with("code_of_conduct", &s.code_of_conduct)
        .with("registration", s.registration.as_str())
        .with("contact", &s.contact);
    if s.post_before_verify {
        form = form.with("post_before_verify", "on");
    }
    if s.orgs_admin_only {
        form = form.with("orgs_admin_only", "on");
    }
    if s.collection_approval {
        form = form.with("collection_approval", "on");
    }
    Ok(render(&SettingsPage { page: Page::new(&viewer, "Admin: Settings"), form, errors: FieldErrors::new() }))
}

/// The form's body may be up to `forms::MAX_SETTINGS_FORM_BYTES`: its two
/// long texts are 20,000 characters each, in any script.
pub async fn submit(State(state): State<AppState>, LargeForm(Form { viewer, data }): LargeForm) -> Result<Response, WebError> {
    let actor = viewer.require_admin()?;
    let form = SettingsForm {
        name: data.get("name").into(),
        tagline: data.get("tagline").into(),
        about: data.get("about").into(),
        code_of_conduct: data.get("code_of_conduct").into(),
        registration: data.get("registration").into(),
        post_before_verify: data.checked("post_before_verify"),
        orgs_admin_only: data.checked("orgs_admin_only"),
        collection_approval: data.checked("collection_approval"),
        contact: data.get("contact").into(),
    };
    match settings::save(&state.db, actor, &form).await {
        Ok(()) => {
            state.invalidate_settings();
            Ok(see_other_with_flash("/admin/settings", "Settings saved.", state.config.tls))
        }
        Err(CoreError::Invalid(errors)) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SettingsPage { page: Page::new(&viewer, "Admin: Settings"), form: data, errors },
        )),
        Err(other) => Err(other.into()),
    }
}
