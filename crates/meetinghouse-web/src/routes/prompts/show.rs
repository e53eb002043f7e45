//! `GET /prompts/{id}` — a prompt and the stories answering it that the
//! viewer may see (public ones, and their groups'), newest first, paginated;
//! for its hosts, the way to edit it and to close it now.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use meetinghouse_core::prompts::{self, PromptPage};
use meetinghouse_core::stories;
use meetinghouse_store::stories::StoryRow;

use crate::error::WebError;
use crate::page::{Page, date, render};
use crate::paging::Pager;
use crate::state::AppState;
use crate::viewer::Viewer;

const STORIES_PER_PAGE: i64 = 20;

#[derive(Template)]
#[template(path = "prompts/show.html")]
struct PromptShow {
    page: Page,
    p: PromptPage,
    stories: Vec<(StoryRow, String, String)>,
    base: String,
    next_page: Option<i64>,
    prev_page: Option<i64>,
    json_ld: String,
    section: crate::routes::conversations::Section,
    /// Whether a host may close it now (it is not closed yet).
    closable: bool,
    /// Whether it does not take stories yet but will (it opens later and
    /// its group is not archived): "No stories yet." Otherwise a prompt
    /// that takes no stories says "No stories were shared."
    opens_later: bool,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let p = prompts::page(&state.db, id, viewer.actor.as_ref()).await?;
    let section = crate::routes::conversations::section(&state, &viewer, meetinghouse_core::subjects::Subject::Prompt(id)).await?;
    let pager = Pager::new(&q, STORIES_PER_PAGE);
    let (rows, prev_page, next_page) = pager.cut(prompts::stories(&state.db, id, viewer.actor.as_ref(), pager.limit(), pager.offset()).await?)?;
    let stories = rows.into_iter().map(|s| {
        let by = stories::author_label(&s);
        let when = date(&s.created_at);
        (s, by, when)
    }).collect();
    let ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Question",
        "name": p.prompt.question,
        "url": format!("{}/prompts/{id}", state.config.base_url),
        "dateCreated": crate::routes::feeds::rfc3339(p.prompt.created_at),
        "author": {"@type": if p.host_is_person { "Person" } else { "Organization" }, "name": p.host_label},
    });
    let now = meetinghouse_store::now();
    let closable = p.viewer_manages && p.prompt.closes_at.is_none_or(|c| c > now);
    let opens_later = !p.archived && p.prompt.opens_at > now;
    Ok(render(&PromptShow {
        json_ld: crate::routes::stories::show::json_for_script(&ld),
        page: Page::new(&viewer, crate::page::paged(&p.prompt.question, pager.number)),
        base: format!("/prompts/{id}"),
        p,
        stories,
        next_page,
        prev_page,
        section,
        closable,
        opens_later,
    }))
}
