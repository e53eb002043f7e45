//! `GET /common-ground/{id}` — take part: the next statement to vote on,
//! "you have voted on N of M", a form to add a statement and, for hosts,
//! the statements waiting for them. `GET /common-ground/{id}/mine` — my
//! votes, each changeable. Both show the viewer's own votes once they have
//! taken part, so they are then never kept in the page cache (a closed
//! conversation's pages have no form, which would otherwise keep them out).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::FieldErrors;
use meetinghouse_core::common_ground::{self, Ballot, Conversation, vote_label};
use meetinghouse_store::common_ground::StatementRow;

use crate::error::WebError;
use crate::forms::FormData;
use crate::page::{Page, date, render, render_status};
use crate::routes::common_ground::{load, participant};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "common_ground/show.html")]
struct Show {
    page: Page,
    c: Conversation,
    ballot: Ballot,
    /// Whether this viewer may vote and add statements now, and if not, why.
    can_take_part: Result<(), String>,
    form: FormData,
    errors: FieldErrors,
    /// A refusal shown in the voting panel (too many new participants from
    /// this connection).
    notice: Option<String>,
    opened: String,
    /// Tied to the statement box, so screen readers read the limit with it.
    statement_hint: String,
}

/// Why the viewer cannot take part, if they cannot.
fn can_take_part(c: &Conversation, viewer: &Viewer) -> Result<(), String> {
    if !c.is_open() {
        return Err("This conversation is closed. Its report stays open to read.".into());
    }
    if let Some(why) = &c.group_archived {
        return Err(why.clone());
    }
    if viewer.actor.is_none() && !c.allows_anonymous() {
        return Err("Sign in to take part: this conversation is for people with an account.".into());
    }
    Ok(())
}

pub(super) async fn render_show(
    state: &AppState,
    viewer: &Viewer,
    c: Conversation,
    status: StatusCode,
    form: FormData,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<Response, WebError> {
    let ballot = common_ground::ballot(&state.db, &c, &participant(viewer)).await?;
    let page = Page::new(viewer, c.row.topic.clone());
    let opened = date(&c.row.created_at);
    let statement_hint = format!("At most {} characters.", c.row.statement_max);
    let personal = ballot.me.is_some();
    let mut resp = render_status(status, &Show { can_take_part: can_take_part(&c, viewer), page, ballot, form, errors, notice, opened, statement_hint, c });
    if personal {
        // "You have voted on N of M": this participant's own.
        resp.extensions_mut().insert(crate::pagecache::Personal);
    }
    Ok(resp)
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let c = load(&state, &viewer, id).await?;
    render_show(&state, &viewer, c, StatusCode::OK, FormData::default(), FieldErrors::new(), None).await
}

#[derive(Template)]
#[template(path = "common_ground/mine.html")]
struct Mine {
    page: Page,
    c: Conversation,
    votes: Vec<(StatementRow, i64, &'static str)>,
    can_take_part: Result<(), String>,
}

pub async fn mine(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let c = load(&state, &viewer, id).await?;
    let me = common_ground::participant_id(&state.db, id, &participant(&viewer)).await?;
    let votes = common_ground::my_votes(&state.db, &c, &participant(&viewer))
        .await?
        .into_iter()
        .map(|(s, v)| (s, v, vote_label(v)))
        .collect();
    let page = Page::new(&viewer, format!("My votes: {}", c.row.topic));
    let mut resp = render(&Mine { can_take_part: can_take_part(&c, &viewer), page, votes, c });
    if me.is_some() {
        resp.extensions_mut().insert(crate::pagecache::Personal);
    }
    Ok(resp)
}
