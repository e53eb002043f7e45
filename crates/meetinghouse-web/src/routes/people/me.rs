//! `GET /me` — your own overview: organisations, invitations, groups, and
//! the voices you can speak in.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use meetinghouse_core::groups::GroupRow;
use meetinghouse_core::orgs::OrgRow;
use meetinghouse_core::{groups, persona};
use meetinghouse_store::orgs;

use crate::error::WebError;
use crate::page::{Page, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "people/me.html")]
struct Me {
    page: Page,
    verified: bool,
    orgs: Vec<(OrgRow, String)>,
    invitations: Vec<(OrgRow, String)>,
    /// Groups that invited you and wait for your answer.
    group_invitations: Vec<GroupRow>,
    groups: Vec<GroupRow>,
    personas: Vec<String>,
    stories: Vec<meetinghouse_store::stories::StoryRow>,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let orgs_of = orgs::of_person(&state.db, actor.id).await?;
    let invitations = orgs::invitations_for(&state.db, actor.id).await?;
    let groups = groups::reachable(&state.db, actor.id).await?;
    let personas = persona::available(&state.db, actor).await?.iter().map(|p| p.label()).collect();
    Ok(render(&Me {
        page: Page::new(&viewer, "Your meeting house"),
        verified: actor.email_verified,
        orgs: orgs_of,
        invitations,
        group_invitations: groups::invitations(&state.db, actor.id).await?,
        groups,
        personas,
        stories: meetinghouse_core::stories::mine(&state.db, actor).await?,
    }))
}
