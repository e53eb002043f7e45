//! `GET /admin/outbox` — the email outbox: what was sent, what waits, and
//! (when no SMTP server is configured) the messages themselves, so an admin
//! can pass on a verification or reset link by hand.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use meetinghouse_store::outbox::{self, EmailRow};

use crate::error::WebError;
use crate::page::{Page, datetime, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct Outbox {
    page: Page,
    emails: Vec<(EmailRow, String)>,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let emails = outbox::recent(&state.db, 200).await?.into_iter().map(|e| {
        let when = datetime(&e.created_at);
        (e, when)
    }).collect();
    Ok(render(&Outbox { page: Page::new(&viewer, "Email outbox"), emails }))
}
