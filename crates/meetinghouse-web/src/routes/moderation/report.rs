//! `GET /report?kind=reply|story|person|amendment|objection|group|org&target=ID|HANDLE|SLUG`
//! (the form) and `POST /report`. A review request goes through the same
//! form (category `review-request`): from the author of a story the
//! moderators removed (from the story's page), of an amendment or an
//! objection whose words they hid (from the amendment's page, field `back`
//! saying where to return), or from the hosts of a group they archived or
//! the admins of an organisation they hid or flagged (from its page).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::moderation::{self, CATEGORIES, ReportForm};
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{Form, FormData};
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

fn page(viewer: &Viewer, form: FormData, errors: FieldErrors, status: StatusCode) -> Response {
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
    let title = if review { "Ask for a review" } else { "Report" };
    render_status(status, &ReportPage { page: Page::new(viewer, title), form, errors, categories: CATEGORIES, what, review })
}

pub async fn form(viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    viewer.require()?;
    let form = FormData::default()
        .with("target_kind", q.get("kind").map(String::as_str).unwrap_or("reply"))
        .with("target", q.get("target").map(String::as_str).unwrap_or(""));
    Ok(page(&viewer, form, FieldErrors::new(), StatusCode::OK))
}

pub async fn submit(State(state): State<AppState>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    if let Err(message) = state.limits.report(&actor.id.to_string()) {
        return Ok(page(&viewer, data, FieldErrors(vec![("form", message.into())]), StatusCode::TOO_MANY_REQUESTS));
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
        Ok(()) => Ok(see_other_with_flash("/", "Thank you for your report. A moderator will look at it, and you will hear what they decided.", state.config.tls)),
        Err(CoreError::Invalid(errors)) => Ok(page(&viewer, data, errors, StatusCode::UNPROCESSABLE_ENTITY)),
        Err(CoreError::Forbidden(m)) => Ok(page(&viewer, data, FieldErrors(vec![("form", m)]), StatusCode::FORBIDDEN)),
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
