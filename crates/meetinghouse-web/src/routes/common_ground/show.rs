//! `GET /common-ground/{id}` — take part: the next statement to vote on,
//! "you have voted on N of M", a form to add a statement and, for hosts,
//! the statements waiting for them. `GET /common-ground/{id}/mine` — my
//! votes, each changeable. Both show the viewer's own votes once they have
//! taken part, so they are then never kept in the page cache (a closed
//! conversation's pages have no form, which would otherwise keep them out).
//! The hosts' lists of statements waiting for them and of statements in
//! the conversation come [`HOST_PAGE`] at a time (`?waiting=N`,
//! `?decided=N`), so a conversation of a thousand statements is not a
//! thousand forms on one page.
//!
//! A browser taking part without an account is told that its votes are
//! remembered by this browser, and offered "Not you? Start afresh"
//! (`afresh.rs`) for a shared computer. Someone who signs in after voting
//! without an account is told what became of those votes (`load_adopting`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::FieldErrors;
use meetinghouse_core::common_ground::{self, Adoption, Ballot, Conversation, status_words, vote_label};
use meetinghouse_store::common_ground::StatementRow;

use crate::error::WebError;
use crate::forms::FormData;
use crate::page::{Page, date, render, render_status};
use crate::routes::common_ground::{load_adopting, participant};
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
    /// The vote just cast, in words (the one-shot message after `?voted`).
    voted: Option<String>,
    opened: String,
    /// "closed 3 May 2025", "open again since …", "edited …": said after
    /// the opening date.
    since: Vec<String>,
    /// Tied to the statement box, so screen readers read the limit with it.
    statement_hint: String,
    /// The page of the statements waiting for a host, and of those in the
    /// conversation or taken out, each with its neighbours' numbers.
    waiting: HostList,
    decided: HostList,
    /// What became of this browser's votes given without an account, for
    /// someone signed in ([`adoption_words`]).
    adoption: Option<String>,
    /// A browser without an account that has taken part here: told its
    /// votes are remembered by this browser, and offered to start afresh.
    browser_voter: bool,
}

impl Show {
    /// Whether a statement was taken out because its author closed their
    /// account choosing "remove": it cannot be put back.
    fn removed_by_closing(&self, s: &StatementRow) -> bool {
        s.status == "rejected" && self.ballot.removed.contains(&s.id)
    }
}

/// What the page says of this browser's votes given without an account,
/// for someone signed in: taken over by their account now, or kept apart.
fn adoption_words(a: Adoption) -> Option<String> {
    match a {
        Adoption::Nothing => None,
        Adoption::TakenOver => Some(
            "The votes this browser gave here before you signed in are now your account’s: they count once, as yours, and are no longer shown to this browser when you sign out."
                .into(),
        ),
        Adoption::Apart { votes } => Some(format!(
            "Before you signed in, this browser also voted here ({votes} {}). You had taken part with your account already, so those votes stay anonymous, with this browser: they count as another participant’s in the figures, and are shown here again if you sign out.",
            if votes == 1 { "vote" } else { "votes" }
        )),
    }
}

/// How many statements each of the hosts' lists shows at a time.
pub const HOST_PAGE: usize = 25;

/// One page of a host's list of statements.
struct HostList {
    statements: Vec<StatementRow>,
    /// The 1-based number of this page, and the previous and next, if any.
    page: usize,
    prev: Option<usize>,
    next: Option<usize>,
}

impl HostList {
    fn cut(all: &[StatementRow], asked: Option<&String>) -> HostList {
        let pages = all.len().div_ceil(HOST_PAGE).max(1);
        let page = asked.and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).clamp(1, pages);
        let statements = all.iter().skip((page - 1) * HOST_PAGE).take(HOST_PAGE).cloned().collect();
        HostList { statements, page, prev: (page > 1).then(|| page - 1), next: (page < pages).then(|| page + 1) }
    }
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

/// What the page says after the opening date: closed, open again, edited.
pub(super) fn since(c: &Conversation) -> Vec<String> {
    let mut out = Vec::new();
    if !c.is_open() {
        out.push(c.row.closed_at.map_or_else(|| "closed".to_string(), |t| format!("closed {}", date(&t))));
    } else if let Some(t) = c.row.reopened_at {
        out.push(format!("open again since {}", date(&t)));
    }
    if let Some(t) = c.row.edited_at {
        out.push(format!("edited {}", date(&t)));
    }
    out
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
    let shown = Shown { status, form, errors, notice, ..Shown::default() };
    render_page(state, viewer, c, shown, &HashMap::new()).await
}

/// The page again after a vote on `statement` was refused for a limit:
/// that statement to vote on (while it takes votes), and why.
pub(super) async fn render_tried(state: &AppState, viewer: &Viewer, c: Conversation, status: StatusCode, notice: String, statement: i64) -> Result<Response, WebError> {
    let shown = Shown { status, notice: Some(notice), tried: Some(statement), ..Shown::default() };
    render_page(state, viewer, c, shown, &HashMap::new()).await
}

/// How the page is shown: its status, the statement form as sent with its
/// errors, a notice in the voting panel, the statement a refused vote was
/// for, and what became of the browser's votes on signing in.
#[derive(Default)]
struct Shown {
    status: StatusCode,
    form: FormData,
    errors: FieldErrors,
    notice: Option<String>,
    tried: Option<i64>,
    adoption: Option<Adoption>,
}

async fn render_page(state: &AppState, viewer: &Viewer, c: Conversation, shown: Shown, q: &HashMap<String, String>) -> Result<Response, WebError> {
    let Shown { status, form, errors, notice, tried, adoption } = shown;
    let ballot = common_ground::ballot_keeping(&state.db, &c, &participant(viewer), tried).await?;
    let mut page = Page::new(viewer, c.row.topic.clone());
    // A vote just cast is confirmed in the vote section, above the next
    // statement, rather than at the top of the page; the title says it too.
    let voted = if q.contains_key("voted") { page.flash.take() } else { None };
    if let Some(v) = &voted {
        page.title = format!("{v} – {}", page.title);
    }
    let opened = date(&c.row.created_at);
    let statement_hint = format!("At most {} characters.", c.row.statement_max);
    let personal = ballot.me.is_some();
    let waiting = HostList::cut(&ballot.pending, q.get("waiting"));
    let decided = HostList::cut(&ballot.decided, q.get("decided"));
    let browser_voter = viewer.actor.is_none() && personal;
    let adoption = adoption.and_then(adoption_words);
    let show = Show {
        can_take_part: can_take_part(&c, viewer),
        page,
        ballot,
        form,
        errors,
        notice,
        voted,
        opened,
        since: since(&c),
        statement_hint,
        waiting,
        decided,
        adoption,
        browser_voter,
        c,
    };
    let mut resp = render_status(status, &show);
    if personal {
        // "You have voted on N of M": this participant's own.
        resp.extensions_mut().insert(crate::pagecache::Personal);
    }
    Ok(resp)
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let (c, adoption) = load_adopting(&state, &viewer, id).await?;
    render_page(&state, &viewer, c, Shown { status: StatusCode::OK, adoption: Some(adoption), ..Shown::default() }, &q).await
}

#[derive(Template)]
#[template(path = "common_ground/mine.html")]
struct Mine {
    page: Page,
    c: Conversation,
    votes: Vec<(StatementRow, i64, &'static str)>,
    /// The participant's own statements, with what became of each.
    statements: Vec<(StatementRow, &'static str)>,
    can_take_part: Result<(), String>,
    adoption: Option<String>,
    browser_voter: bool,
}

pub async fn mine(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, WebError> {
    let (c, adoption) = load_adopting(&state, &viewer, id).await?;
    let me = common_ground::participant_id(&state.db, id, &participant(&viewer)).await?;
    let votes = common_ground::my_votes(&state.db, &c, &participant(&viewer))
        .await?
        .into_iter()
        .map(|(s, v)| (s, v, vote_label(v)))
        .collect();
    let statements = common_ground::my_statements(&state.db, &c, &participant(&viewer)).await?.into_iter().map(|s| {
        let words = status_words(&s.status);
        (s, words)
    }).collect();
    let page = Page::new(&viewer, format!("My votes: {}", c.row.topic));
    let browser_voter = viewer.actor.is_none() && me.is_some();
    let mine = Mine { can_take_part: can_take_part(&c, &viewer), page, votes, statements, adoption: adoption_words(adoption), browser_voter, c };
    let mut resp = render(&mine);
    if me.is_some() {
        resp.extensions_mut().insert(crate::pagecache::Personal);
    }
    Ok(resp)
}
