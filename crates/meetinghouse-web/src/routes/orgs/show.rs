//! `GET /orgs/{slug}` — an organisation's page, with its people and groups.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::FieldErrors;
use meetinghouse_core::orgs::{self, OrgPage};
use meetinghouse_core::types::sector_label;

use crate::error::WebError;
use crate::forms::FormData;
use crate::page::{Page, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "orgs/show.html")]
struct OrgShow {
    page: Page,
    o: OrgPage,
    sector: String,
    is_admin: bool,
    /// How many active admins the organisation has (the last keeps their role).
    n_admins: usize,
    is_member: bool,
    invited: bool,
    form: FormData,
    errors: FieldErrors,
    section: crate::routes::conversations::Section,
}

impl OrgShow {
    /// The role a member's select shows: after a refused change, the role
    /// the admin chose for them (their input kept); otherwise their role.
    fn role_shown<'a>(&'a self, m: &'a orgs::OrgMemberRow) -> &'a str {
        if self.form.get("person_id") == m.person_id.to_string() && !self.form.get("role").is_empty() {
            self.form.get("role")
        } else {
            &m.role
        }
    }
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(slug): Path<String>) -> Result<Response, WebError> {
    render_org(&state, &viewer, &slug, StatusCode::OK, FormData::default(), FieldErrors::new()).await
}

/// Renders the page, optionally with a form's errors (used by the membership actions).
pub async fn render_org(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    status: StatusCode,
    form: FormData,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let o = orgs::page(&state.db, slug, viewer.actor.as_ref()).await?;
    let role = o.viewer.clone();
    let section = crate::routes::conversations::section(state, viewer, meetinghouse_core::subjects::Subject::Org(o.org.id)).await?;
    let is_admin = role.as_ref().is_some_and(|(r, s)| r == "admin" && s == "active") || viewer.actor.as_ref().is_some_and(|a| a.is_admin);
    Ok(render_status(
        status,
        &OrgShow {
            page: Page::new(viewer, o.org.name.clone()),
            sector: sector_label(&o.org.sector).to_string(),
            is_admin,
            n_admins: o.members.iter().filter(|m| m.role == "admin" && m.status == "active").count(),
            is_member: role.as_ref().is_some_and(|(_, s)| s == "active"),
            invited: role.as_ref().is_some_and(|(_, s)| s == "invited"),
            o,
            form,
            errors,
            section,
        },
    ))
}
