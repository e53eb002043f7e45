//! `GET /admin` — the admin overview: every admin page, the conversation
//! settings and the moderation queue and log among them, and how many
//! sign-ups wait for approval.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use meetinghouse_store::{groups, orgs, people};

use crate::error::WebError;
use crate::page::{Page, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "admin/index.html")]
struct AdminIndex {
    page: Page,
    people: i64,
    /// Accounts waiting for an admin's approval (listed first on `/admin/people`).
    waiting: i64,
    orgs: i64,
    groups: i64,
    registration: &'static str,
    /// Whether the moderation log is public.
    public_log: bool,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.require_admin()?;
    Ok(render(&AdminIndex {
        page: Page::new(&viewer, "Administration"),
        people: people::count(&state.db).await?,
        waiting: people::count_waiting(&state.db).await?,
        orgs: orgs::count(&state.db).await?,
        groups: groups::count(&state.db).await?,
        registration: viewer.settings.registration.as_str(),
        public_log: viewer.settings.policy.public_log,
    }))
}
