//! `GET /report?kind=reply|story|person|amendment|objection|group|org&target=ID|HANDLE|SLUG`
//! (the form) and `POST /report`. A review request goes through the same
//! form (category `review-request`): from the author of a story the
//! moderators removed (from the story's page), of an amendment or an
//! objection whose words they hid (from the amendment's page, field `back`
//! saying where to return), or from the hosts of a group they archived or
//! the admins of an organisation they hid or flagged (from its page).
//! The form shows what is reported (a reply's words and author, a story's
//! title and author) with a link to it, and a sent report returns there.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::moderation::{self, CATEGORIES, ReportForm};
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
    /// What is reported, as the reporter may see it; `None` when it is
    /// not a reply or a story, or cannot be found.
    reported: Option<Reported>,
    /// A review request (no categories): the author of a removed story or
    /// of hidden words, or the hosts or admins of what the moderators
    /// archived, hid or flagged, asks them to look again.
    review: bool,
}

impl ReportPage {
    /// The hint under a review request's text box.
    fn review_hint(&self) -> &'static str {
        match self.form.get("target_kind") {
            "story" => "For example, that everyone in the photos agreed to share it.",
            "amendment" | "objection" => "For example, what you meant, or how you would put it now.",
            _ => "For example, who you are and how the moderators can check it.",
        }
    }
}

/// A reply or a story as the report form shows it.
struct Reported {
    /// "A reply by Tara Singh", "The story “Canal days” by Tara Singh".
    words: String,
    /// The reply's text (its first words), empty for a story.
    quote: String,
    /// Its page: the form links to it, and a sent report returns there.
    link: String,
}

/// The reply or story a report is about, if the reporter may see it.
async fn reported(state: &AppState, viewer: &Viewer, form: &FormData) -> Result<Option<Reported>, WebError> {
    let Ok(id) = form.get("target").trim().parse::<i64>() else { return Ok(None) };
    let actor = viewer.actor.as_ref();
    Ok(match form.get("target_kind") {
        "reply" => match meetinghouse_core::conversations::visible_reply(&state.db, id, actor).await {
            Ok((r, _)) => {
                let mut quote: String = meetinghouse_core::search::plain_text(&r.body).chars().take(QUOTE_CHARS + 1).collect();
                if quote.chars().count() > QUOTE_CHARS {
                    quote = quote.chars().take(QUOTE_CHARS).collect::<String>() + "…";
                }
                Some(Reported { words: format!("A reply by {}", meetinghouse_core::conversations::author_label(&r)), quote, link: format!("/replies/{id}") })
            }
            Err(CoreError::NotFound | CoreError::Forbidden(_)) => None,
            Err(other) => return Err(other.into()),
        },
        "story" => match meetinghouse_store::stories::by_id(&state.db, id).await? {
            Some(s) if s.deleted_at.is_none() && meetinghouse_core::stories::can_see(&state.db, &s, actor).await? => Some(Reported {
                words: format!("The story “{}” by {}", s.title, meetinghouse_core::stories::author_label(&s)),
                quote: String::new(),
                link: format!("/stories/{id}"),
            }),
            _ => None,
        },
        _ => None,
    })
}

/// The most characters of a reply the report form quotes.
const QUOTE_CHARS: usize = 300;

async fn page(state: &AppState, viewer: &Viewer, form: FormData, errors: FieldErrors, status: StatusCode) -> Result<Response, WebError> {
    let review = form.get("category") == moderation::REVIEW_REQUEST;
    let what = match form.get("target_kind") {
        "person" => format!("the person @{}", form.get("target")),
        "story" => "a story".to_string(),
        "amendment" => "an amendment to a group's purpose".to_string(),
        "objection" => "an objection to an amendment".to_string(),
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
    if let Err(message) = state.limits.report(&actor.id.to_string()) {
        return page(&state, &viewer, data, FieldErrors(vec![("form", message.into())]), StatusCode::TOO_MANY_REQUESTS).await;
    }
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
            // Back to what was reported, where the reporter was reading.
            let back = reported_page(&form.target_kind, form.target.trim(), data.get("back"));
            Ok(see_other_with_flash(&back, "Thank you for your report. A moderator will look at it, and you will hear what they decided.", state.config.tls))
        }
        Err(CoreError::Invalid(errors)) => page(&state, &viewer, data, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
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
