//! `GET /admin/people`, `/admin/orgs`, `/admin/groups`; `POST
//! /admin/people/{id}/approve`, `POST /admin/people/{id}/decline` (erases a
//! sign-up waiting for approval), `POST /admin/people/{id}/lift` and `POST
//! /admin/invites` (its answer is the people page showing the new code; with
//! a `withdraw` field, it withdraws that open code instead).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::{CoreError, accounts, format_date, moderation};
use meetinghouse_core::groups::GroupRow;
use meetinghouse_core::orgs::OrgRow;
use meetinghouse_store::people::PersonRow;
use meetinghouse_store::moderation::{BANNED, suspension_ends};
use meetinghouse_store::{groups, orgs, people};

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::page::{Page, date, render, render_status};
use crate::routes::conversations::mailer;
use crate::paging::Pager;
use crate::routes::orgs::list::PAGE_SIZE;
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "admin/people.html")]
struct PeopleList {
    page: Page,
    people: Vec<Listed>,
    next_page: Option<i64>,
    prev_page: Option<i64>,
    page_number: i64,
    invite_code: Option<String>,
    /// The sign-up link that carries the new code, in full.
    invite_link: String,
    /// The codes that still work, with their notes.
    invites: Vec<InviteShown>,
    /// A "lift" that was refused: whose, why, and the note typed.
    lift_failed: Option<i64>,
    lift_error: String,
    lift_note: String,
    /// Whether the moderation log is public (a lift's note is published there).
    public_log: bool,
    /// An invite note that was refused: why, and the note typed.
    invite_error: Option<String>,
    invite_note: String,
    /// How many days a sign-up may wait for approval before it is erased.
    waiting_days: i64,
    /// The registration mode (`open`, `approval`, `invite`): what an invite code does.
    registration: &'static str,
}

/// A person on the admin's list, with their suspension in words.
struct Listed {
    person: PersonRow,
    /// "banned", "suspended until 3 December 2026", "waiting for
    /// approval", or the status.
    status: String,
    suspended: bool,
}

/// An open invite code on the admins' list.
struct InviteShown {
    code_hash: String,
    note: String,
    made: String,
    expires: String,
    made_by: String,
}

struct LiftFailed {
    person: i64,
    error: String,
    note: String,
}

/// What the people page shows besides the list: a refused "lift", or the
/// invite code just made (only ever in the answer to the form that made it,
/// never from the address: a code in an address stays in the browser's
/// history and in proxies' logs, and any text there would be shown as one).
enum Outcome {
    Listed,
    LiftFailed(LiftFailed),
    Invited(String),
    /// An invite code not made: why, and the note typed.
    InviteFailed(String, String),
}

async fn people_page(state: &AppState, viewer: &Viewer, q: &HashMap<String, String>, outcome: Outcome) -> Result<Response, WebError> {
    let actor = viewer.require_admin()?;
    let pager = Pager::new(q, PAGE_SIZE);
    let (rows, prev_page, next_page) = pager.cut(people::list(&state.db, pager.limit(), pager.offset()).await?)?;
    let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    let ends: HashMap<i64, i64> = suspension_ends(&state.db, &ids).await?.into_iter().collect();
    let people = rows
        .into_iter()
        .map(|person| {
            let suspended = person.status == "suspended";
            let status = match ends.get(&person.id) {
                Some(&BANNED) if suspended => "banned".to_string(),
                Some(&end) if suspended => format!("suspended until {}", format_date(end)),
                _ if person.status == "pending" => "waiting for approval".to_string(),
                _ => person.status.clone(),
            };
            Listed { person, status, suspended }
        })
        .collect();
    let invites = accounts::open_invites(&state.db, actor)
        .await?
        .into_iter()
        .map(|i| InviteShown { code_hash: i.code_hash, note: i.note, made: format_date(i.created_at), expires: format_date(i.expires_at), made_by: i.made_by })
        .collect();
    let status = if matches!(outcome, Outcome::LiftFailed(_) | Outcome::InviteFailed(..)) { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let (mut invite_error, mut invite_note) = (None, String::new());
    let (lift_failed, lift_error, lift_note, invite_code) = match outcome {
        Outcome::Listed => (None, String::new(), String::new(), None),
        Outcome::LiftFailed(f) => (Some(f.person), f.error, f.note, None),
        Outcome::Invited(code) => (None, String::new(), String::new(), Some(code)),
        Outcome::InviteFailed(error, note) => {
            (invite_error, invite_note) = (Some(error), note);
            (None, String::new(), String::new(), None)
        }
    };
    let invite_link = invite_code.as_deref().map(|code| format!("{}/signup?invite={code}", state.config.base_url.trim_end_matches('/'))).unwrap_or_default();
    Ok(render_status(status, &PeopleList {
        page: Page::new(viewer, crate::page::paged("Admin: People", pager.number)),
        invite_link,
        invites,
        people,
        next_page,
        prev_page,
        page_number: pager.number,
        invite_code,
        lift_failed,
        lift_error,
        lift_note,
        public_log: viewer.settings.policy.public_log,
        invite_error,
        invite_note,
        waiting_days: meetinghouse_core::people::WAITING_KEEP_SECS / (24 * 3600),
        registration: viewer.settings.registration.as_str(),
    }))
}

pub async fn people(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    people_page(&state, &viewer, &q, Outcome::Listed).await
}

/// What the people page says when a sign-up it listed is gone (declined
/// by another admin, or erased after waiting too long).
const SIGN_UP_GONE: &str = "That sign-up is no longer there (declined already, or erased after waiting too long): nothing was changed.";

/// Approves an account waiting for approval. One already approved (a
/// second click, or another admin meanwhile) is said to be so: nothing is
/// done or sent again. One declined meanwhile, or no longer waiting (a
/// suspension), is said so on the people page too.
pub async fn approve(State(state): State<AppState>, Path(id): Path<i64>, form: Form) -> Result<Response, WebError> {
    let actor = form.viewer.require_admin()?;
    if let Some(p) = people::by_id(&state.db, id).await?
        && p.status == "active"
    {
        let said = format!("@{} was already approved: nothing was changed.", p.handle);
        return Ok(see_other_with_flash("/admin/people", &said, state.config.tls));
    }
    let said = match accounts::approve(&state.db, mailer(&state, &form.viewer), actor, id).await {
        Ok(()) => "Account approved. We emailed them to say so.".to_string(),
        Err(CoreError::NotFound) => SIGN_UP_GONE.to_string(),
        Err(CoreError::Forbidden(why)) => why,
        Err(e) => return Err(e.into()),
    };
    Ok(see_other_with_flash("/admin/people", &said, state.config.tls))
}

/// Declines an account waiting for approval: it is erased, and the person
/// is emailed when their address was confirmed (core `people::decline`).
/// A second click (it is gone already) is said so; an account approved
/// meanwhile is refused in plain words, on the people page as well.
pub async fn decline(State(state): State<AppState>, Path(id): Path<i64>, form: Form) -> Result<Response, WebError> {
    let actor = form.viewer.require_admin()?;
    let said = match meetinghouse_core::people::decline(&state.db, mailer(&state, &form.viewer), actor, id).await {
        Ok(handle) => format!("The sign-up @{handle} was declined and the account erased. If their address was confirmed, we emailed them to say so."),
        Err(CoreError::NotFound) => SIGN_UP_GONE.to_string(),
        Err(CoreError::Forbidden(why)) => why,
        Err(e) => return Err(e.into()),
    };
    Ok(see_other_with_flash("/admin/people", &said, state.config.tls))
}

/// Ends a suspension or a ban early, with a note for the person and the log.
pub async fn lift(State(state): State<AppState>, Path(id): Path<i64>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require_admin()?;
    let note = data.get("note");
    match moderation::lift(&state.db, mailer(&state, &viewer), actor, id, note).await {
        Ok(done) => Ok(see_other_with_flash("/admin/people", &done, state.config.tls)),
        Err(CoreError::Invalid(errors)) => {
            let error = errors.0.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(" ");
            let failed = LiftFailed { person: id, error, note: note.to_string() };
            // The page the form was on, so the person is still in view.
            let q = HashMap::from([("page".to_string(), data.get("page").to_string())]);
            people_page(&state, &viewer, &q, Outcome::LiftFailed(failed)).await
        }
        Err(other) => Err(other.into()),
    }
}

/// Makes a single-use invite code and shows it on the page that answers the
/// form (first page of the list), not in an address.
pub async fn invite(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require_admin()?;
    if !data.get("withdraw").is_empty() {
        let said = if accounts::withdraw_invite(&state.db, actor, data.get("withdraw")).await? {
            "Invite code withdrawn: it no longer works."
        } else {
            "That invite code was already used or withdrawn."
        };
        return Ok(see_other_with_flash("/admin/people", said, state.config.tls));
    }
    match accounts::create_invite(&state.db, actor, data.get("note")).await {
        Ok(code) => people_page(&state, &viewer, &HashMap::new(), Outcome::Invited(code)).await,
        Err(CoreError::Invalid(errors)) => {
            let error = errors.0.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(" ");
            people_page(&state, &viewer, &HashMap::new(), Outcome::InviteFailed(error, data.get("note").to_string())).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "admin/orgs.html")]
struct OrgsList {
    page: Page,
    orgs: Vec<OrgRow>,
    next_page: Option<i64>,
    prev_page: Option<i64>,
}

pub async fn orgs(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let pager = Pager::new(&q, PAGE_SIZE);
    let (rows, prev_page, next_page) = pager.cut(orgs::list(&state.db, pager.limit(), pager.offset()).await?)?;
    Ok(render(&OrgsList { page: Page::new(&viewer, crate::page::paged("Admin: Organisations", pager.number)), orgs: rows, next_page, prev_page }))
}

#[derive(Template)]
#[template(path = "admin/groups.html")]
struct GroupsList {
    page: Page,
    groups: Vec<GroupRow>,
    next_page: Option<i64>,
    prev_page: Option<i64>,
}

pub async fn groups(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let pager = Pager::new(&q, PAGE_SIZE);
    let (rows, prev_page, next_page) = pager.cut(groups::list_all(&state.db, pager.limit(), pager.offset()).await?)?;
    Ok(render(&GroupsList { page: Page::new(&viewer, crate::page::paged("Admin: Groups", pager.number)), groups: rows, next_page, prev_page }))
}

#[allow(dead_code)]
fn joined(p: &PersonRow) -> String {
    date(&p.created_at)
}
