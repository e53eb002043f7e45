//! `GET /moderation` (the queue: everything for instance moderators; for the
//! hosts of a group, an organisation or a prompt, the reports about what they
//! host, each saying whose queue it is in) and `POST /moderation/{report}`
//! (act on an item, as of the reply's, story's, amendment's, objection's,
//! group's or organisation's text the page showed: field `seen`; with a suspension or a ban, an instance moderator may tick
//! `remove_all` to remove everything the person has posted too).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::moderation::{self, ActionForm, QueueItem};
use meetinghouse_core::{CoreError, FieldErrors};

use crate::error::WebError;
use crate::forms::{Form, FormData};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render_status};
use crate::routes::conversations::mailer;
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "moderation/queue.html")]
struct QueuePage {
    page: Page,
    /// Each with the actions that apply to it (`QueueItem::choices`).
    items: Vec<QueueItem>,
    /// The item whose form had a problem, with its input and errors.
    failed: Option<i64>,
    form: FormData,
    errors: FieldErrors,
    /// The failed item is no longer listed (dealt with meanwhile): its
    /// messages are shown above the queue instead.
    gone: bool,
    /// Said instead of the form on an item about the moderator.
    about_you: &'static str,
    /// Said instead of the form on an item about a group the moderator
    /// hosts or an organisation they work for.
    your_place: &'static str,
    /// Whether the moderation log is public (notes are published there).
    public_log: bool,
    /// Open reports waiting beyond the ones listed (`moderation::QUEUE_MAX`).
    more: i64,
}

impl QueuePage {
    /// The problem with a field of item `id`'s form, if that form failed.
    fn error(&self, id: &i64, field: &str) -> Option<&str> {
        if self.failed == Some(*id) && !self.gone { self.errors.get(field) } else { None }
    }
}

async fn page(state: &AppState, viewer: &Viewer, failed: Option<i64>, form: FormData, errors: FieldErrors, status: StatusCode) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let moderation::QueueList { items, more } = moderation::queue_list(&state.db, actor).await?;
    let gone = failed.is_some_and(|id| !items.iter().any(|q| q.report.id == id));
    let public_log = moderation::Policy::load(&state.db).await?.public_log;
    Ok(render_status(status, &QueuePage {
        page: Page::new(viewer, "Moderation queue"),
        items,
        failed,
        form,
        errors,
        gone,
        about_you: moderation::ABOUT_YOU,
        your_place: moderation::YOUR_PLACE,
        public_log,
        more,
    }))
}

pub async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    page(&state, &viewer, None, FormData::default(), FieldErrors::new(), StatusCode::OK).await
}

pub async fn act(State(state): State<AppState>, Path(report): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    // An address that names no report by number is answered as one that names none.
    let report = report.parse::<i64>().map_err(|_| WebError::NotFound)?;
    let form = ActionForm {
        action: data.get("action").into(),
        note: data.get("note").into(),
        days: data.get("days").into(),
        remove_all: data.checked("remove_all"),
    };
    // The version of the reply's text the moderator's page showed: a
    // decision about text that changed since changes nothing.
    match moderation::act_seen(&state.db, mailer(&state, &viewer), actor, report, &form, data.get("seen")).await {
        Ok(done) => Ok(see_other_with_flash("/moderation", &done, state.config.tls)),
        Err(CoreError::Invalid(errors)) => page(&state, &viewer, Some(report), data, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(other) => Err(other.into()),
    }
}
