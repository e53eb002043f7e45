//! `GET /orgs/{slug}` — an organisation's page, with its people (a hundred
//! at a time: `?page=2` for more) and the public groups it belongs to (a
//! hundred at a time: `?groups=2`); a page past the end of either is "no
//! such page" (404, `paging::within`). An address with capitals is
//! sent on (308) to the same address in lower case.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::FieldErrors;
use meetinghouse_core::orgs::{self, OrgPage};
use meetinghouse_core::types::sector_label;

use crate::error::WebError;
use crate::forms::FormData;
use crate::page::{Page, render_status};
use crate::routes::groups::show::lower_case_address;
use crate::paging::{numbered, page_number, within};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "orgs/show.html")]
struct OrgShow {
    page: Page,
    o: OrgPage,
    sector: String,
    is_admin: bool,
    is_member: bool,
    invited: bool,
    form: FormData,
    errors: FieldErrors,
    section: crate::routes::conversations::Section,
    /// The report link, and what the moderators did to it that stands.
    marks: meetinghouse_core::moderation::PageMarks,
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

    /// The role the viewer is invited to take, in words ("an admin").
    fn invited_as(&self) -> &'static str {
        orgs::role_words(self.o.viewer.as_ref().map_or("member", |(role, _)| role.as_str()))
    }

    /// The role the invitation form shows: what was chosen in it, not in a
    /// member's row (a row's refused change keeps its choice in the row).
    fn invite_role(&self) -> &str {
        if self.form.get("person_id").is_empty() { self.form.get("role") } else { "" }
    }
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    if slug.chars().any(|c| c.is_ascii_uppercase()) {
        return Ok(lower_case_address("/orgs", &slug, raw.as_deref()));
    }
    let groups_page = numbered(&q, "groups");
    render_org_at(&state, &viewer, &slug, StatusCode::OK, FormData::default(), FieldErrors::new(), (page_number(&q), groups_page)).await
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
    render_org_at(state, viewer, slug, status, form, errors, (1, 1)).await
}

async fn render_org_at(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    status: StatusCode,
    form: FormData,
    errors: FieldErrors,
    (number, groups_page): (i64, i64),
) -> Result<Response, WebError> {
    let mut o = orgs::page_parts(&state.db, slug, viewer.actor.as_ref(), number, groups_page).await?;
    within(o.members_page, o.members.is_empty())?;
    within(o.groups_page, o.groups.is_empty())?;
    let marks = meetinghouse_core::moderation::org_page_marks(&state.db, &mut o, viewer.actor.as_ref()).await?;
    let role = o.viewer.clone();
    let section = crate::routes::conversations::section(state, viewer, meetinghouse_core::subjects::Subject::Org(o.org.id)).await?;
    let is_admin = o.viewer_manages;
    Ok(render_status(
        status,
        &OrgShow {
            page: Page::new(viewer, o.org.name.clone()),
            sector: sector_label(&o.org.sector).to_string(),
            is_admin,
            is_member: role.as_ref().is_some_and(|(_, s)| s == "active"),
            invited: role.as_ref().is_some_and(|(_, s)| s == "invited"),
            o,
            form,
            errors,
            section,
            marks,
        },
    ))
}
