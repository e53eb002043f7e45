//! `GET /conduct` — the code of conduct, linked from every form that posts.

use axum::response::Response;

use super::about::Prose;
use crate::page::{Page, render};
use crate::viewer::Viewer;

pub async fn show(viewer: Viewer) -> Response {
    let html = meetinghouse_core::markdown::render(&viewer.settings.code_of_conduct);
    render(&Prose { page: Page::new(&viewer, "Code of conduct"), html })
}
