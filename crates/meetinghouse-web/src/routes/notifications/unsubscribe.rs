//! `GET /unsubscribe?t=TOKEN` (a page with one button; GET never changes
//! anything) and `POST /unsubscribe` (stop notification email). The token is
//! signed, so neither needs a sign-in; a forged or expired one gets a 403.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use meetinghouse_core::notifications;

use crate::error::WebError;
use crate::forms::Form;
use crate::page::{Page, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "notifications/unsubscribe.html")]
struct UnsubscribePage {
    page: Page,
    token: String,
    done: bool,
}

pub async fn form(viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let token = q.get("t").cloned().unwrap_or_default();
    notifications::check_unsubscribe(&viewer.settings, &token)?;
    Ok(render(&UnsubscribePage { page: Page::new(&viewer, "Stop notification email"), token, done: false }))
}

pub async fn submit(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    notifications::unsubscribe(&state.db, &viewer.settings, data.get("t")).await?;
    Ok(render(&UnsubscribePage { page: Page::new(&viewer, "Stop notification email"), token: String::new(), done: true }))
}
