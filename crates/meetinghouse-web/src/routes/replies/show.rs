//! `GET /replies/{id}` — a reply's permalink: the reply in context, its
//! answers, and (for its author) who thanked them.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use meetinghouse_core::conversations::{self, THANKS, Thread};

use crate::error::WebError;
use crate::page::{Page, render};
use crate::routes::conversations::show::when;
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "replies/show.html")]
struct ReplyPage {
    page: Page,
    t: Thread,
    thanks_kinds: &'static [(&'static str, &'static str, &'static str)],
    signed_in: bool,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let t = conversations::thread(&state.db, id, viewer.actor.as_ref()).await?;
    let title = format!("Reply by {} on {}", t.reply.author_label, t.info.title);
    let _ = when;
    Ok(render(&ReplyPage { page: Page::new(&viewer, title), t, thanks_kinds: THANKS, signed_in: viewer.actor.is_some() }))
}
