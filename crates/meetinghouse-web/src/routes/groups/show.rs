//! `GET /groups/{slug}` — a group's page: purpose, members (people,
//! organisations and groups), and the groups it belongs to that the viewer
//! may see; for hosts, the member list with its actions.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::FieldErrors;
use meetinghouse_core::groups::{self, GroupPage};
use meetinghouse_core::orgs::OrgRow;

use crate::error::WebError;
use crate::forms::FormData;
use crate::page::{Page, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "groups/show.html")]
struct GroupShow {
    page: Page,
    g: GroupPage,
    /// Organisations the viewer can act for (staff or admin), not yet in the group.
    my_orgs: Vec<OrgRow>,
    /// Groups the viewer hosts, other than this one, not yet in it.
    my_groups: Vec<groups::GroupRow>,
    signed_in: bool,
    n_groups: usize,
    n_orgs: usize,
    n_requested: usize,
    form: FormData,
    errors: FieldErrors,
    section: crate::routes::conversations::Section,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(slug): Path<String>) -> Result<Response, WebError> {
    render_group(&state, &viewer, &slug, StatusCode::OK, FormData::default(), FieldErrors::new()).await
}

pub async fn render_group(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    status: StatusCode,
    form: FormData,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let g = groups::page(&state.db, slug, viewer.actor.as_ref()).await?;
    let section = crate::routes::conversations::section(state, viewer, meetinghouse_core::subjects::Subject::Group(g.group.id)).await?;
    let offers = match &viewer.actor {
        Some(actor) => groups::offers(&state.db, actor, g.group.id).await?,
        None => groups::Offers::default(),
    };
    let (my_orgs, my_groups) = (offers.orgs, offers.groups);
    let count = |f: &dyn Fn(&groups::MemberView) -> bool| g.members.iter().filter(|m| f(m)).count();
    let n_groups = count(&|m| m.member_kind == "group");
    let n_orgs = count(&|m| m.member_kind == "org");
    let n_requested = count(&|m| m.status == "requested");
    Ok(render_status(
        status,
        &GroupShow {
            n_groups,
            n_orgs,
            n_requested,
            page: Page::new(viewer, g.group.name.clone()),
            g,
            my_orgs,
            my_groups,
            signed_in: viewer.actor.is_some(),
            form,
            errors,
            section,
        },
    ))
}
