//! Group membership: `POST /groups/{slug}/join` (also accepts an
//! invitation), `/leave` (also withdraws a request or declines an
//! invitation), `/invite`, `/approve`, `/decline`, `/members/org` (add an
//! organisation), `/members/group` (nest a group — refused if it would make a
//! loop), the hosts' `/members/role` (make a host, step a host down) and
//! `/members/remove` (remove a person, an organisation or a group; also how
//! an organisation's admins or a member group's hosts take it out, or
//! withdraw its request).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::groups::{self, JoinOutcome};
use meetinghouse_core::{CoreError, FieldErrors};

use super::show::render_group;
use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::routes::conversations::mailer;
use crate::state::AppState;
use crate::viewer::Viewer;

/// Turns a core result into a redirect with a message, or the page re-rendered with the error.
async fn respond(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    data: FormData,
    result: Result<String, CoreError>,
) -> Result<Response, WebError> {
    match result {
        Ok(message) => Ok(see_other_with_flash(&format!("/groups/{slug}"), &message, state.config.tls)),
        Err(e) => refused(state, viewer, slug, data, e).await,
    }
}

/// The group page again with a refusal: 422 for input errors, 403 for
/// permission, each shown where the person acted.
async fn refused(state: &AppState, viewer: &Viewer, slug: &str, data: FormData, e: CoreError) -> Result<Response, WebError> {
    match e {
        CoreError::Invalid(errors) => render_group(state, viewer, slug, StatusCode::UNPROCESSABLE_ENTITY, data, errors).await,
        CoreError::Forbidden(m) => render_group(state, viewer, slug, StatusCode::FORBIDDEN, data, FieldErrors(vec![("form", m)])).await,
        other => Err(other.into()),
    }
}

/// The message for what happened: `joined` and `already` are the words for
/// this kind of newcomer (the person themselves, an organisation, a group).
fn outcome_message(o: JoinOutcome, joined: &str, already: &str) -> String {
    match o {
        JoinOutcome::Joined => joined.to_string(),
        JoinOutcome::AlreadyMember => already.to_string(),
        JoinOutcome::Requested => "Your request is sent. A host will look at it soon.".to_string(),
        JoinOutcome::AlreadyRequested => "Your request was already sent and is waiting for a host, so there is no need to ask again.".to_string(),
    }
}

/// Joining, asking to join or accepting an invitation goes back to the
/// group's page; a request that waits for a group the person may not see
/// (made members only since they asked) goes to their own page instead,
/// which lists it with a way to withdraw it.
pub async fn join(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let r = groups::join(&state.db, &viewer.settings, actor, &slug).await;
    // Only a new request tells the hosts: asking again tells nobody twice.
    // The request is saved by now, so a failure to tell is logged, not shown.
    if let Ok(JoinOutcome::Requested) = r
        && let Err(err) = meetinghouse_core::notifications::join_requested(&state.db, mailer(&state, &viewer), &slug, actor).await
    {
        tracing::warn!(group = %slug, error = %err, "a request to join was saved, but its hosts could not be told");
    }
    if let Ok(o @ (JoinOutcome::Requested | JoinOutcome::AlreadyRequested)) = r
        && !groups::can_see_address(&state.db, &slug, Some(actor)).await?
    {
        let message = outcome_message(o, "", "");
        return Ok(see_other_with_flash("/me", &message, state.config.tls));
    }
    let r = r.map(|o| outcome_message(o, "Welcome: you have joined the group.", "You are already a member of this group."));
    respond(&state, &viewer, &slug, data, r).await
}

/// Leaving goes back to the group's page only while it is still there for
/// them: a members-only group is "not found" to someone who just left it.
/// Declining an invitation, or withdrawing a request to a group they may
/// not see, goes back to their own page, where both are listed.
pub async fn leave(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    match groups::leave(&state.db, actor, &slug).await {
        Ok(left) => {
            let (to, message) = match left.status.as_str() {
                "invited" => ("/me".to_string(), "You have declined the invitation."),
                "requested" if left.still_visible => (format!("/groups/{slug}"), "Your request is withdrawn."),
                "requested" => ("/me".to_string(), "Your request is withdrawn."),
                _ if left.still_visible => (format!("/groups/{slug}"), "You have left the group."),
                _ => ("/groups".to_string(), "You have left the group."),
            };
            Ok(see_other_with_flash(&to, message, state.config.tls))
        }
        Err(e) => refused(&state, &viewer, &slug, data, e).await,
    }
}

/// A host invites a person; invitations are limited per account (they
/// notify, and may email, someone else).
pub async fn invite(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    if let Err(message) = state.limits.invite(&actor.id.to_string()) {
        return render_group(&state, &viewer, &slug, StatusCode::TOO_MANY_REQUESTS, data, FieldErrors(vec![("handle", message.into())])).await;
    }
    let r = groups::invite(&state.db, mailer(&state, &viewer), actor, &slug, data.get("handle"))
        .await
        .map(|()| format!("Invitation sent to @{}.", data.get("handle").trim().trim_start_matches('@')));
    respond(&state, &viewer, &slug, data, r).await
}

/// The member a row's form names: its kind and id (hidden fields).
fn named_member(data: &FormData, what: &str) -> Result<(String, i64), WebError> {
    let id = data.get("member_id").parse::<i64>().map_err(|_| WebError::BadRequest(format!("The {what} was not named.")))?;
    Ok((data.get("kind").to_string(), id))
}

pub async fn approve(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let (kind, id) = named_member(&data, "request to approve")?;
    let r = groups::approve(&state.db, mailer(&state, &viewer), actor, &slug, &kind, id).await.map(|()| "Request approved.".to_string());
    respond(&state, &viewer, &slug, data, r).await
}

pub async fn decline(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let (kind, id) = named_member(&data, "request to decline")?;
    let r = groups::decline(&state.db, mailer(&state, &viewer), actor, &slug, &kind, id).await.map(|()| "Request declined.".to_string());
    respond(&state, &viewer, &slug, data, r).await
}

/// A host makes a member a host (`role=host`) or steps a host down (`role=member`).
pub async fn role(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let (_, id) = named_member(&data, "member")?;
    let host = match data.get("role") {
        "host" => true,
        "member" => false,
        _ => return Err(WebError::BadRequest("Choose host or member.".into())),
    };
    let r = groups::set_host(&state.db, actor, &slug, id, host).await.map(|name| {
        if host { format!("{name} is now a host.") } else { format!("{name} is no longer a host, and is still a member.") }
    });
    respond(&state, &viewer, &slug, data, r).await
}

/// A host removes a member (a person, an organisation or a group), or
/// withdraws an invitation; an organisation's admins, or a member group's
/// hosts, take it out or withdraw its request. Back to the group's page
/// while it is still there for them; otherwise to the organisation's or the
/// member group's page, or (a host who removed themselves) the list of groups.
pub async fn remove(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let (kind, id) = named_member(&data, "member to remove")?;
    match groups::remove_telling(&state.db, mailer(&state, &viewer), actor, &slug, &kind, id).await {
        Ok(gone) => {
            let message = match gone.status.as_str() {
                "requested" => format!("The request for {} to join is withdrawn.", gone.name),
                "invited" => format!("The invitation to {} is withdrawn.", gone.name),
                _ => format!("{} is no longer in the group.", gone.name),
            };
            let to = match gone.kind {
                _ if gone.still_visible => format!("/groups/{slug}"),
                "org" => format!("/orgs/{}", gone.key),
                "group" => format!("/groups/{}", gone.key),
                _ => "/groups".to_string(),
            };
            Ok(see_other_with_flash(&to, &message, state.config.tls))
        }
        Err(e) => refused(&state, &viewer, &slug, data, e).await,
    }
}

pub async fn add_org(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let r = groups::add_org(&state.db, mailer(&state, &viewer), actor, &slug, data.get("org")).await.map(|o| {
        outcome_message(o, "The organisation is now a member of this group.", "That organisation is already a member of this group.")
    });
    respond(&state, &viewer, &slug, data, r).await
}

pub async fn nest(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let r = groups::nest(&state.db, mailer(&state, &viewer), actor, &slug, data.get("child"))
        .await
        .map(|o| outcome_message(o, "The group is now a member of this network.", "That group is already a member of this network."));
    respond(&state, &viewer, &slug, data, r).await
}
