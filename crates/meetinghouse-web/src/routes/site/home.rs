//! `GET /` — the home page: what this meeting house is and what is happening.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use meetinghouse_core::groups::GroupRow;
use meetinghouse_core::orgs::OrgRow;
use meetinghouse_store::{groups, orgs};

use crate::error::WebError;
use crate::page::{Page, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    page: Page,
    stories: Vec<(meetinghouse_store::stories::StoryRow, String, String)>,
    prompts: Vec<meetinghouse_store::prompts::PromptRow>,
    tagline: String,
    about_html: String,
    orgs: Vec<OrgRow>,
    groups: Vec<GroupRow>,
    /// Objects with new stories: (path, title).
    objects: Vec<(String, String)>,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let orgs = orgs::list(&state.db, 12, 0).await?;
    let groups = groups::list_public(&state.db, 12, 0).await?;
    let stories = meetinghouse_core::stories::recent(&state.db, None, 10, 0)
        .await?
        .into_iter()
        .map(|s| {
            let by = meetinghouse_core::stories::author_label(&s);
            let when = crate::page::date(&s.created_at);
            (s, by, when)
        })
        .collect();
    let mut prompts = Vec::new();
    for p in meetinghouse_core::prompts::open_now(&state.db, 12).await? {
        if p.group_id.is_none() {
            prompts.push(p);
        }
    }
    let objects = meetinghouse_store::objects::with_recent_stories(&state.db, 8)
        .await?
        .into_iter()
        .map(|(slug, accession, title)| (meetinghouse_core::collection::object_path(&slug, &accession), title))
        .collect();
    let s = &viewer.settings;
    Ok(render(&Home {
        objects,
        page: Page::new(&viewer, "Home"),
        stories,
        prompts,
        tagline: s.tagline.clone(),
        about_html: meetinghouse_core::markdown::render(&s.about),
        orgs,
        groups,
    }))
}
