//! `GET /about` — the instance's about text, and how to reach its admins
//! (the contact they set on `/admin/settings`, when they set one).

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

#[derive(Template)]
#[template(path = "about.html")]
struct About {
    page: Page,
    html: String,
    /// How to reach the admins (empty: not set).
    contact: String,
    /// Whether the contact is an email address (shown as a `mailto:` link).
    contact_is_email: bool,
}

pub async fn show(viewer: Viewer) -> Response {
    let s = &viewer.settings;
    let html = if s.about.trim().is_empty() {
        format!("<p>{} is a meeting house for our town: a place to share stories, talk as people, find common ground and act together.</p>", askama_escape(&s.name))
    } else {
        meetinghouse_core::markdown::render(&s.about)
    };
    let contact = s.contact.trim().to_string();
    let contact_is_email = meetinghouse_core::types::Email::parse(&contact).is_ok();
    render(&About { page: Page::new(&viewer, format!("About {}", s.name)), html, contact, contact_is_email })
}

fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
