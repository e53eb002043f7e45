//! `GET /moderation/reporters/{report}` — for the meeting house's
//! moderators only: the other reports sent by whoever sent report
//! `{report}`, with how many they sent and how many are open (core
//! `moderation::reports_by_reporter`), to tell a flood from a neighbour
//! who reports often. Hosts never learn who reported: to them, and to
//! everyone else, it is "not found".

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use meetinghouse_core::moderation::{self, ReporterReports};

use crate::error::WebError;
use crate::page::{Page, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "moderation/reporter.html")]
struct ReporterPage {
    page: Page,
    report: i64,
    list: ReporterReports,
    listed: i64,
}

pub async fn show(State(state): State<AppState>, Path(report): Path<String>, viewer: Viewer) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let report = report.parse::<i64>().map_err(|_| WebError::NotFound)?;
    let list = moderation::reports_by_reporter(&state.db, actor, report).await?;
    let title = format!("Reports sent by {}", list.reporter);
    Ok(render(&ReporterPage { page: Page::new(&viewer, title), report, list, listed: moderation::REPORTER_LISTED }))
}
