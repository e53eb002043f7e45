//! `GET /replies/{id}` — a reply's permalink: the reply in context, its
//! answers 200 a page (`?after=ANSWER_ID` goes on after an answer), and (for
//! its author) who thanked them. Its author also reaches it once they may no
//! longer see its subject: the reply alone, to see what became of it and
//! retract it.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
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

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let after = match q.get("after") {
        Some(a) => Some(a.trim().parse::<i64>().map_err(|_| {
            WebError::BadRequest("We could not tell which answers to show: the address should end with ?after= and an answer's number. Open the reply again from its link.".into())
        })?),
        None => None,
    };
    let mut t = conversations::thread_page(&state.db, id, viewer.actor.as_ref(), after).await?;
    let Thread { refused, reply, parent, answers, .. } = &mut t;
    super::while_waiting(&viewer, refused, std::iter::once(reply).chain(parent.as_mut()).chain(answers.iter_mut()));
    let title = match &t.info {
        Some(info) => format!("Reply by {} on {}", t.reply.author_label, info.title),
        None => "Your reply".to_string(),
    };
    let _ = when;
    Ok(render(&ReplyPage { page: Page::new(&viewer, title), t, thanks_kinds: THANKS, signed_in: viewer.actor.is_some() }))
}
