//! The forms of a common-ground conversation: `POST …/vote`,
//! `POST …/statements` and `POST …/statements/{sid}/moderate`.
//! A browser without an account taking part for the first time is counted
//! against its address's budget of new participants in that conversation
//! (`RateLimits::cg_newcomer`), so clearing cookies does not make a script
//! many voters; past it, the page says so. It is counted only once the
//! vote or statement has passed every check made before writing (core
//! `check_vote`, `check_statement`): a refused request stores nothing,
//! leaves the browser a newcomer, and costs the address nothing, so one
//! browser sending bad forms cannot lock out everyone else behind its
//! address. A browser is counted once: its first write that goes through
//! makes it a participant, no longer a newcomer. A conversation set up for
//! an in-person event has budgets per connection of its own (`limits`).
//! A vote refused for a limit comes back on the conversation's page with
//! the statement it was for, and the limit's message, so the person can
//! cast it again once they may.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::common_ground::{self, Added, Conversation, vote_label};
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{EXPIRED_FORM, Form, FormData, KeptForm};
use crate::middleware::{mark_took_part, see_other_with_flash};
use crate::routes::common_ground::{limit_key, limits, load, participant, refused, show};
use crate::state::AppState;
use crate::viewer::Viewer;

pub async fn vote(State(state): State<AppState>, Path(id): Path<i64>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let c = load(&state, &viewer, id).await?;
    let statement = data
        .get("statement")
        .parse::<i64>()
        .map_err(|_| WebError::Unprocessable("The vote did not say which statement it was for.".into()))?;
    if let Err(message) = limits::vote(&state, &c, &limit_key(&viewer), viewer.ip) {
        return not_counted(&state, &viewer, c, statement, message).await;
    }
    let me = participant(&viewer);
    let checked = common_ground::check_vote(&state.db, &viewer.settings, &c, &me, statement, data.get("vote")).await.map_err(refused)?;
    if let Err(message) = newcomer_limit(&state, &viewer, &c).await? {
        return not_counted(&state, &viewer, c, statement, message).await;
    }
    common_ground::write_vote(&state.db, &c, &me, &checked).await.map_err(refused)?;
    // Back to where the vote was cast: the next statement, or the vote
    // changed on "my votes", said there (the list does not change, so
    // nothing else would show the button did something).
    let mut resp = if data.get("back") == "mine" {
        let message = format!("Your vote on “{}” is now {}.", shortened(&checked.statement().body), vote_label(checked.vote()));
        see_other_with_flash(&format!("/common-ground/{id}/mine#s-{statement}"), &message, state.config.tls)
    } else {
        // Said above the next statement (`?voted`), so the voter knows the
        // button did something and where to change it.
        let s = checked.statement();
        let message = format!("Your vote on statement {} (“{}”) is counted: {}.", s.number, shortened(&s.body), vote_label(checked.vote()).to_lowercase());
        see_other_with_flash(&format!("/common-ground/{id}?voted={statement}#vote"), &message, state.config.tls)
    };
    mark_took_part(&mut resp, &viewer, state.config.tls);
    Ok(resp)
}

/// A vote refused for a limit: the conversation's page (429) with the
/// statement it was for to vote on again, and the limit's message.
async fn not_counted(state: &AppState, viewer: &Viewer, c: Conversation, statement: i64, message: &str) -> Result<Response, WebError> {
    let notice = format!("Your vote was not counted. {message} The statement is below, to vote on again.");
    show::render_tried(state, viewer, c, StatusCode::TOO_MANY_REQUESTS, notice, statement).await
}

/// A statement as a one-line message quotes it: at most 80 characters.
fn shortened(body: &str) -> String {
    const MAX: usize = 80;
    if body.chars().count() <= MAX {
        return body.to_string();
    }
    let cut: String = body.chars().take(MAX - 1).collect();
    format!("{}…", cut.trim_end())
}

pub async fn add_statement(State(state): State<AppState>, Path(id): Path<i64>, KeptForm { viewer, data, expired }: KeptForm) -> Result<Response, WebError> {
    let c = load(&state, &viewer, id).await?;
    if expired {
        // Shown again with what was typed and a fresh token; nothing is added.
        let errors = FieldErrors(vec![("statement", EXPIRED_FORM.to_string())]);
        return show::render_show(&state, &viewer, c, StatusCode::FORBIDDEN, data, errors, None).await;
    }
    if let Err(message) = limits::statement(&state, &c, &limit_key(&viewer), viewer.ip) {
        return too_many(&state, &viewer, c, &data, message).await;
    }
    let me = participant(&viewer);
    let written = match common_ground::check_statement(&state.db, &viewer.settings, &c, &me, data.get("statement")).await {
        Ok(checked) => match newcomer_limit(&state, &viewer, &c).await? {
            Err(message) => return too_many(&state, &viewer, c, &data, message).await,
            Ok(()) => common_ground::write_statement(&state.db, &c, &me, &checked).await,
        },
        Err(e) => Err(e),
    };
    match written {
        Ok(added) => {
            let message = match added {
                Added::Accepted(_) => "Thank you: your statement is in, and others can vote on it now.",
                Added::Pending(_) => "Thank you: your statement will appear once a host has checked it.",
            };
            let mut resp = see_other_with_flash(&format!("/common-ground/{id}"), message, state.config.tls);
            mark_took_part(&mut resp, &viewer, state.config.tls);
            Ok(resp)
        }
        Err(CoreError::Invalid(errors)) => {
            show::render_show(&state, &viewer, c, StatusCode::UNPROCESSABLE_ENTITY, data.without_secrets(), errors, None).await
        }
        Err(other) => Err(other.into()),
    }
}

/// The statement form again, with a limit's message tied to the box and
/// the text kept.
async fn too_many(state: &AppState, viewer: &Viewer, c: Conversation, data: &FormData, message: &str) -> Result<Response, WebError> {
    let errors = FieldErrors(vec![("statement", message.into())]);
    show::render_show(state, viewer, c, StatusCode::TOO_MANY_REQUESTS, data.without_secrets(), errors, None).await
}

/// Counts a browser without an account that is about to take part in this
/// conversation for the first time against its address's budget of new
/// participants; the message when it is spent. Anyone else passes uncounted.
/// Called only for a request that passed every check before writing.
async fn newcomer_limit(state: &AppState, viewer: &Viewer, c: &Conversation) -> Result<Result<(), &'static str>, WebError> {
    if !common_ground::is_newcomer(&state.db, c, &participant(viewer)).await? {
        return Ok(Ok(()));
    }
    Ok(limits::newcomer(state, c, viewer.ip).await)
}

pub async fn moderate(
    State(state): State<AppState>,
    Path((id, statement)): Path<(i64, i64)>,
    Form { viewer, data }: Form,
) -> Result<Response, WebError> {
    viewer.require()?;
    let c = load(&state, &viewer, id).await?;
    let accept = match data.get("decision") {
        "accept" => true,
        "reject" => false,
        _ => return Err(WebError::Unprocessable("Choose to accept or reject the statement.".into())),
    };
    common_ground::moderate(&state.db, &c, statement, accept).await.map_err(refused)?;
    let message = if accept { "Accepted: people can vote on it now." } else { "Rejected: it is out of the conversation and the map." };
    Ok(see_other_with_flash(&format!("/common-ground/{id}"), message, state.config.tls))
}
