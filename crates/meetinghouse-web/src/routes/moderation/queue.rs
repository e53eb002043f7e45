//! `GET /moderation?kind=&category=&page=` (the queue, [`moderation::QUEUE_PAGE`]
//! items a page, the urgent categories first, of one kind of thing and one
//! category of report if asked: everything for instance moderators; for the
//! hosts of a group, an organisation or a prompt, the reports about what they
//! host, each saying whose queue it is in) and `POST /moderation/{report}`
//! (act on an item, as of the reply's, story's, amendment's, objection's,
//! group's or organisation's text the page showed: field `seen`; with a suspension or a ban, an instance moderator may tick
//! `remove_all` to remove everything the person has posted too; the
//! address keeps the queue page's `kind` and `page`, and its fragment
//! opens the answer at the item).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::moderation::{self, ActionForm, QueueQuery};
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
    /// This page's items, each with the actions that apply to it
    /// (`QueueItem::choices`), and the counts by kind.
    queue: moderation::QueuePage,
    /// This page's address query ("?kind=reply&page=2"), kept on each form.
    query: String,
    /// The pager's address, ending in "?" or "&".
    pager_base: String,
    prev_page: Option<usize>,
    next_page: Option<usize>,
    /// The number of the page's first item in the whole list.
    first_number: usize,
    per_page: usize,
    scan: i64,
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
    /// The most reports "Dismiss the ticked reports" takes at once.
    bulk_max: usize,
}

impl QueuePage {
    /// Whether an item can be ticked for "Dismiss the ticked reports": dismissing applies to it.
    fn dismissable(&self, q: &moderation::QueueItem) -> bool {
        q.choices.iter().any(|(key, _)| *key == "dismiss")
    }

    /// For an instance moderator, how many reports the item's reporter sent
    /// ("Whoever sent it has sent 12 reports (11 open)").
    fn reporter_words(&self, q: &moderation::QueueItem) -> Option<String> {
        let (all, open) = q.by_reporter?;
        Some(format!("Whoever sent it has sent {all} {} ({open} open)", if all == 1 { "report" } else { "reports" }))
    }

    /// The address of the kinds' navigation for `kind` ("" for every
    /// kind), keeping the category shown.
    fn kind_link(&self, kind: &str) -> String {
        let query = QueueQuery { kind: (!kind.is_empty()).then(|| kind.to_string()), category: self.queue.category.clone(), page: 1 };
        format!("/moderation{}", query.query_string())
    }

    /// The address of the categories' navigation for `category` ("" for
    /// every category), keeping the kind shown.
    fn category_link(&self, category: &str) -> String {
        let query = QueueQuery { kind: self.queue.kind.clone(), category: (!category.is_empty()).then(|| category.to_string()), page: 1 };
        format!("/moderation{}", query.query_string())
    }

    /// Whether any item on the page can be ticked.
    fn any_dismissable(&self) -> bool {
        self.queue.items.iter().any(|q| !q.about_actor && self.dismissable(q))
    }

    /// The problem with a field of item `id`'s form, if that form failed.
    fn error(&self, id: &i64, field: &str) -> Option<&str> {
        if self.failed == Some(*id) && !self.gone { self.errors.get(field) } else { None }
    }
}

/// The queue's page, kind and category from its address query (`kind`,
/// `category`, `page`).
pub(crate) fn queue_query(q: &HashMap<String, String>) -> QueueQuery {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    QueueQuery::parse_with(get("kind"), get("category"), get("page"))
}

#[allow(clippy::too_many_arguments)]
async fn page(state: &AppState, viewer: &Viewer, query: &QueueQuery, failed: Option<i64>, form: FormData, errors: FieldErrors, status: StatusCode) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let queue = moderation::queue_page(&state.db, actor, query).await?;
    let gone = failed.is_some_and(|id| !queue.items.iter().any(|q| q.report.id == id));
    let public_log = moderation::Policy::load(&state.db).await?.public_log;
    let shown = QueueQuery { kind: queue.kind.clone(), category: queue.category.clone(), page: queue.page };
    let kind_words = queue.kind.as_deref().and_then(|k| moderation::QUEUE_KINDS.iter().find(|(key, _)| *key == k)).map(|(_, words)| *words);
    let mut title = match kind_words {
        Some(words) => format!("Moderation queue: {}", words.to_lowercase()),
        None => "Moderation queue".to_string(),
    };
    if queue.pages > 1 {
        title.push_str(&format!(", page {} of {}", queue.page, queue.pages));
    }
    if let Some(c) = &queue.category {
        title.push_str(&format!(" ({})", moderation::category_words(c).to_lowercase()));
    }
    let pager_base = format!("/moderation{}", QueueQuery { page: 1, ..shown.clone() }.query_string());
    let pager_base = if pager_base.contains('?') { format!("{pager_base}&") } else { format!("{pager_base}?") };

    Ok(render_status(status, &QueuePage {
        page: Page::new(viewer, title),
        query: shown.query_string(),
        pager_base,
        prev_page: (queue.page > 1).then(|| queue.page - 1),
        next_page: (queue.page < queue.pages).then(|| queue.page + 1),
        first_number: (queue.page - 1) * moderation::QUEUE_PAGE + 1,
        per_page: moderation::QUEUE_PAGE,
        scan: moderation::QUEUE_SCAN,
        queue,
        failed,
        form,
        errors,
        gone,
        about_you: moderation::ABOUT_YOU,
        your_place: moderation::YOUR_PLACE,
        public_log,
        bulk_max: moderation::BULK_MAX,
    }))
}

pub async fn show(State(state): State<AppState>, Query(params): Query<HashMap<String, String>>, viewer: Viewer) -> Result<Response, WebError> {
    page(&state, &viewer, &queue_query(&params), None, FormData::default(), FieldErrors::new(), StatusCode::OK).await
}

pub async fn act(
    State(state): State<AppState>,
    Path(report): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    Form { viewer, data }: Form,
) -> Result<Response, WebError> {
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
        Ok(done) => Ok(see_other_with_flash(&format!("/moderation{}", queue_query(&params).query_string()), &done, state.config.tls)),
        Err(CoreError::Invalid(errors)) => page(&state, &viewer, &queue_query(&params), Some(report), data, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(other) => Err(other.into()),
    }
}
