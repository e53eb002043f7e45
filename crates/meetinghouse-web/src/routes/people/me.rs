//! `GET /me` — your own overview: organisations, invitations, your requests
//! to join groups still waiting (each with a way to withdraw it, also for a
//! group made members only since you asked, whose page you no longer see),
//! groups, and the voices you can speak in. Invitations come fifty at a
//! time (`?invitations=2` for more), your requests fifty (`?asked=2`), your
//! groups a hundred (`?groups=2`), and your stories fifty, newest first
//! (`?stories_before=STORY_ID` for older ones), drafts and those you may
//! still restore included. A page past the end of one of the numbered
//! lists is "no such page" (404, `paging::within`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use meetinghouse_core::groups::{AskedGroup, GroupRow};
use meetinghouse_core::orgs::OrgRow;
use meetinghouse_core::stories::StoryList;
use meetinghouse_core::{groups, orgs, persona};

use crate::error::WebError;
use crate::paging::{numbered, within};
use crate::page::{Page, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "people/me.html")]
struct Me {
    page: Page,
    verified: bool,
    orgs: Vec<(OrgRow, String)>,
    /// A page of the invitations to organisations, with the role offered.
    invitations: Vec<(OrgRow, String)>,
    /// A page of the groups that invited you and wait for your answer.
    group_invitations: Vec<GroupRow>,
    /// Which page of invitations this is (from 1), and whether there is another.
    invitations_page: i64,
    more_invitations: bool,
    /// A page of the groups you asked to join that have not answered yet,
    /// each with whether you may see its page; which page (from 1), and
    /// whether there is another.
    asked: Vec<AskedGroup>,
    asked_page: i64,
    more_asked: bool,
    /// A page of your groups, at any depth.
    groups: Vec<GroupRow>,
    groups_page: i64,
    more_groups: bool,
    personas: Vec<String>,
    /// A page of your stories, and where the next starts.
    stories: StoryList,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let (invitations_page, groups_page, asked_page) = (numbered(&q, "invitations"), numbered(&q, "groups"), numbered(&q, "asked"));
    let orgs_of = meetinghouse_store::orgs::of_person(&state.db, actor.id).await?;
    let (invitations, more_org_invitations) = orgs::invitations(&state.db, actor.id, invitations_page).await?;
    let (group_invitations, more_group_invitations) = groups::invitations(&state.db, actor.id, invitations_page).await?;
    let (asked, more_asked) = groups::asked(&state.db, actor, asked_page).await?;
    let (groups, more_groups) = groups::mine(&state.db, actor.id, groups_page).await?;
    within(invitations_page, invitations.is_empty() && group_invitations.is_empty())?;
    within(asked_page, asked.is_empty())?;
    within(groups_page, groups.is_empty())?;
    let stories_before = match q.get("stories_before") {
        Some(b) => Some(b.trim().parse::<i64>().map_err(|_| {
            WebError::BadRequest("We could not tell which of your stories to show: the address should end with ?stories_before= and a story's number. Go back to your newest stories at /me.".into())
        })?),
        None => None,
    };
    let personas = persona::available(&state.db, actor).await?.iter().map(|p| p.label()).collect();
    Ok(render(&Me {
        page: Page::new(&viewer, "Your meeting house"),
        verified: actor.email_verified,
        orgs: orgs_of,
        invitations,
        group_invitations,
        invitations_page,
        more_invitations: more_org_invitations || more_group_invitations,
        asked,
        asked_page,
        more_asked,
        groups,
        groups_page,
        more_groups,
        personas,
        stories: meetinghouse_core::stories::mine_page(&state.db, actor, stories_before).await?,
    }))
}
