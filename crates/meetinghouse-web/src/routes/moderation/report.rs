//! `GET /report?kind=reply|story|person|amendment|objection|group|org|statement|prompt|object&target=ID|HANDLE|SLUG`
//! (the form) and `POST /report`. A review request goes through the same
//! form (category `review-request`): from the author of a story the
//! moderators removed (from the story's page), of an amendment or an
//! objection whose words they hid (from the amendment's page, field `back`
//! saying where to return), or from the hosts of a group they archived or
//! the admins of an organisation they hid or flagged (from its page).
//! The form shows what is reported (a reply's words and author, a story's
//! title and author, …) as the reporter is shown it where it is (never the
//! text of a reply hidden or waiting for review), says who reads the report
//! for its kind, and a sent report returns to its page (an amendment's or
//! an objection's: the amendment's). How many reports an account sends an
//! hour is counted in the database (core `moderation::REPORTS_PER_HOUR`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::moderation::{self, CATEGORIES, ReportForm, ReportedView};
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{EXPIRED_FORM, FormData, KeptForm};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "moderation/report.html")]
struct ReportPage {
    page: Page,
    form: FormData,
    errors: FieldErrors,
    categories: &'static [(&'static str, &'static str)],
    what: String,
    /// What is reported, as the reporter may see it; `None` for a person,
    /// a group or an organisation, or what cannot be found.
    reported: Option<ReportedView>,
    /// A review request (no categories): the author of a removed story or
    /// of hidden words, or the hosts or admins of what the moderators
    /// archived, hid or flagged, asks them to look again.
    review: bool,
}

impl ReportPage {
    /// Who reads a report about this kind of thing, besides the meeting
    /// house's moderators: the hosts whose queue it reaches (store
    /// `moderation::insert_report_into` records them), or why nobody else.
    fn readers(&self) -> &'static str {
        match self.form.get("target_kind") {
            "reply" => " (and the hosts of what it replies to: a group’s hosts, an organisation’s staff for its page, collection and stories in its name, a prompt’s hosts for the prompt and the stories answering it)",
            "story" => " (and the story’s hosts: the organisation it speaks for, its group, the prompt it answers)",
            "statement" => " (and the conversation’s hosts: the organisation’s staff, the group’s hosts or the prompt’s hosts it belongs to)",
            "prompt" => " (and the prompt’s hosts: its group’s hosts, its organisation’s admins, the person who opened it)",
            "object" => " (and the staff of the organisation whose collection it is in)",
            "amendment" | "objection" => " of the meeting house only: the group’s hosts have a stake in what becomes of its purpose, so they do not decide it. The moderators can hide the words; they never change whether an objection counts",
            "group" => " of the meeting house only: the group’s hosts have a stake in it, so they do not decide it. The moderators can warn its hosts or archive it",
            "org" => " of the meeting house only: the organisation’s admins have a stake in it, so they do not decide it. The moderators can warn its admins, hide its description and website, or say on its page that they could not confirm it is who its name says",
            _ => "",
        }
    }

    /// The hint under a review request's text box.
    fn review_hint(&self) -> &'static str {
        match self.form.get("target_kind") {
            "story" => "For example, that everyone in the photos agreed to share it.",
            "amendment" | "objection" => "For example, what you meant, or how you would put it now.",
            _ => "For example, who you are and how the moderators can check it.",
        }
    }
}

/// What is reported, as the reporter may see it where it is (core
/// `moderation::reported_view`: never the text of a reply hidden, retracted
/// or waiting for review, nor words the moderators hid).
async fn reported(state: &AppState, viewer: &Viewer, form: &FormData) -> Result<Option<ReportedView>, WebError> {
    Ok(moderation::reported_view(&state.db, viewer.actor.as_ref(), form.get("target_kind"), form.get("target")).await?)
}

async fn page(state: &AppState, viewer: &Viewer, form: FormData, errors: FieldErrors, status: StatusCode) -> Result<Response, WebError> {
    let review = form.get("category") == moderation::REVIEW_REQUEST;
    let what = match form.get("target_kind") {
        "person" => format!("the person @{}", form.get("target")),
        "story" => "a story".to_string(),
        "amendment" => "an amendment to a group's purpose".to_string(),
        "objection" => "an objection to an amendment".to_string(),
        "statement" => "a statement in a conversation".to_string(),
        "prompt" => "a prompt".to_string(),
        "object" => "an object in a collection".to_string(),
        "group" => format!("the group at /groups/{}", form.get("target")),
        "org" => format!("the organisation at /orgs/{}", form.get("target")),
        _ => "a reply".to_string(),
    };
    // The title says what the heading says (WCAG 2.4.2).
    let title = if review { "Ask for a review".to_string() } else { format!("Report {what}") };
    let reported = if review { None } else { reported(state, viewer, &form).await? };
    Ok(render_status(status, &ReportPage { page: Page::new(viewer, title), form, errors, categories: CATEGORIES, what, reported, review }))
}

pub async fn form(State(state): State<AppState>, viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    viewer.require()?;
    let form = FormData::default()
        .with("target_kind", q.get("kind").map(String::as_str).unwrap_or("reply"))
        .with("target", q.get("target").map(String::as_str).unwrap_or(""));
    page(&state, &viewer, form, FieldErrors::new(), StatusCode::OK).await
}

pub async fn submit(State(state): State<AppState>, KeptForm { viewer, data, expired }: KeptForm) -> Result<Response, WebError> {
    viewer.require()?;
    if expired {
        // Shown again with what was typed and a fresh token; nothing is sent.
        return page(&state, &viewer, data, FieldErrors(vec![("form", EXPIRED_FORM.into())]), StatusCode::FORBIDDEN).await;
    }
    let actor = viewer.require()?;
    let form = ReportForm {
        target_kind: data.get("target_kind").into(),
        target: data.get("target").into(),
        category: data.get("category").into(),
        details: data.get("details").into(),
    };
    match moderation::report(&state.db, actor, &form).await {
        Ok(()) if form.target_kind == "story" && form.category == moderation::REVIEW_REQUEST => Ok(see_other_with_flash(
            &format!("/stories/{}", form.target.trim()),
            "You asked the moderators to look at your story again. You will hear what they decide.",
            state.config.tls,
        )),
        Ok(()) if form.category == moderation::REVIEW_REQUEST => Ok(see_other_with_flash(
            &review_back(&form.target_kind, form.target.trim(), data.get("back")),
            "You asked the moderators to look again. You will hear what they decide.",
            state.config.tls,
        )),
        Ok(()) => {
            // Back to what was reported, where the reporter was reading (an
            // amendment's or an objection's page is the amendment's).
            let back = match moderation::report_return(&state.db, actor, &form.target_kind, &form.target).await? {
                Some(page) => page,
                None => reported_page(&form.target_kind, form.target.trim(), data.get("back")),
            };
            Ok(see_other_with_flash(&back, "Thank you for your report. A moderator will look at it, and you will hear what they decided.", state.config.tls))
        }
        Err(CoreError::Invalid(errors)) => page(&state, &viewer, data, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
        // The hourly budget is counted in the database (core `moderation::REPORTS_PER_HOUR`).
        Err(CoreError::Forbidden(m)) if m == moderation::TOO_MANY_REPORTS => {
            page(&state, &viewer, data, FieldErrors(vec![("form", m)]), StatusCode::TOO_MANY_REQUESTS).await
        }
        Err(CoreError::Forbidden(m)) => page(&state, &viewer, data, FieldErrors(vec![("form", m)]), StatusCode::FORBIDDEN).await,
        Err(other) => Err(other.into()),
    }
}

/// Where a review request returns to: a group's or an organisation's page,
/// or the same-site page it was sent from (`back`), else the front page.
fn review_back(kind: &str, target: &str, back: &str) -> String {
    match kind {
        "group" => format!("/groups/{target}"),
        "org" => format!("/orgs/{target}"),
        _ if crate::middleware::is_local_path(back) => back.to_string(),
        _ => "/".to_string(),
    }
}

/// Where a sent report returns to: the reported reply, story, person,
/// group or organisation, or the same-site page it was sent from (`back`),
/// else the front page.
fn reported_page(kind: &str, target: &str, back: &str) -> String {
    let number = target.parse::<i64>().ok();
    match (kind, number) {
        ("reply", Some(id)) => format!("/replies/{id}"),
        ("story", Some(id)) => format!("/stories/{id}"),
        ("person", _) if !target.is_empty() && target.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') => format!("/@{target}"),
        ("group" | "org", _) => review_back(kind, target, back),
        _ if crate::middleware::is_local_path(back) => back.to_string(),
        _ => "/".to_string(),
    }
}
