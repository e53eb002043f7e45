//! `GET /stories/{id}/history` — the earlier versions of a story's text the
//! viewer may read, newest first, 20 a page (`?page=N`), their Markdown
//! rendered and sanitised as on the story's page. Each is numbered ("Version
//! 2 of 4, in use until …", core `stories::version_numbers`), its section
//! named by that heading. Its author, and the
//! instance moderators, are offered a button on each version to remove its
//! text (`remove_version.rs`), with a box to tick first: "I understand this
//! cannot be undone".

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::{FieldErrors, markdown, stories};

use crate::error::WebError;
use crate::page::{Page, datetime, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "stories/history.html")]
struct History {
    page: Page,
    id: i64,
    /// Newest first.
    versions: Vec<Version>,
    base: String,
    number: i64,
    prev_page: Option<i64>,
    next_page: Option<i64>,
    /// The viewer wrote the story: each version can have its text removed.
    own: bool,
    /// The viewer is an instance moderator (not its author): each version
    /// they see can have its text removed, with a note.
    moderator: bool,
    errors: FieldErrors,
}

/// One earlier version as shown.
struct Version {
    id: i64,
    /// "Version 2 of 4", which tells apart versions replaced in the same
    /// minute: its heading names its section, and the hidden text of its
    /// removal form's label, box and button says it.
    number: String,
    when: String,
    title: String,
    body_html: String,
    /// "its author" or "the moderators", when its text was removed.
    removed_by: Option<&'static str>,
    /// Whether the errors are about this version's removal form; its note
    /// field's and "I understand" box's ids (`note` and `understood` then,
    /// where the error summary links) and the note typed in it.
    failed_here: bool,
    note_id: String,
    understood_id: String,
    typed: String,
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let number = crate::paging::page_number(&q);
    page(&state, &viewer, id, number, StatusCode::OK, FieldErrors::new(), None).await
}

/// The history's page `number`, with `errors` from a removal form sent
/// from it (`failed`: which version's, and the note typed).
pub async fn page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    number: i64,
    status: StatusCode,
    errors: FieldErrors,
    failed: Option<(i64, String)>,
) -> Result<Response, WebError> {
    let (story, revisions, more, numbers) = stories::history_page(&state.db, id, viewer.actor.as_ref(), number as usize).await?;
    crate::paging::within(number, revisions.is_empty())?;
    let own = viewer.actor.as_ref().is_some_and(|a| a.id == story.author_person);
    let moderator = !own && viewer.actor.as_ref().is_some_and(|a| a.is_admin);
    let versions = revisions
        .into_iter()
        .map(|r| {
            let failed_here = failed.as_ref().is_some_and(|(f, _)| *f == r.id);
            Version {
            failed_here,
            note_id: if failed_here { "note".to_string() } else { format!("note-{}", r.id) },
            understood_id: if failed_here { "understood".to_string() } else { format!("understood-{}", r.id) },
            typed: failed.as_ref().filter(|_| failed_here).map(|(_, t)| t.clone()).unwrap_or_default(),
            number: numbers.label(r.id),
            id: r.id,
            when: datetime(&r.created_at),
            removed_by: match r.removed_by.as_deref() {
                Some("moderators") => Some("the moderators"),
                Some(_) => Some("its author"),
                None => None,
            },
            body_html: markdown::render(&r.body),
            title: r.title,
        }
        })
        .collect();
    Ok(render_status(status, &History {
        page: Page::new(viewer, format!("History of “{}”", story.title)),
        id,
        versions,
        base: format!("/stories/{id}/history"),
        number,
        prev_page: (number > 1).then_some(number - 1),
        next_page: more.then_some(number + 1),
        own,
        moderator,
        errors,
    }))
}
