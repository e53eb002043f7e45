//! `GET /about` — the instance's about text.

use askama::Template;
use axum::response::Response;

use crate::page::{Page, render};
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "prose.html")]
pub struct Prose {
    pub page: Page,
    pub html: String,
}

pub async fn show(viewer: Viewer) -> Response {
    let s = &viewer.settings;
    let html = if s.about.trim().is_empty() {
        format!("<p>{} is a meeting house for our town: a place to share stories, talk as people, find common ground and act together.</p>", askama_escape(&s.name))
    } else {
        meetinghouse_core::markdown::render(&s.about)
    };
    render(&Prose { page: Page::new(&viewer, format!("About {}", s.name)), html })
}

fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
