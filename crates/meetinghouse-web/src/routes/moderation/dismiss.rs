//! `POST /moderation/dismiss` — "Dismiss the ticked reports", for a flood of
//! reports that need nothing done: the queue's checkboxes (`report`, one
//! per ticked item) and an optional `note`. The first post shows what was
//! ticked and asks to confirm; the confirming post (`confirmed`) dismisses
//! each as a single dismissal would (core `moderation::dismiss_many`) and
//! goes back to the queue page it came from, saying how many went and which
//! were left, and why.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use meetinghouse_core::moderation::{self, QueueItem};
use meetinghouse_core::CoreError;

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render};
use crate::routes::conversations::mailer;
use crate::routes::moderation::queue::queue_query;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "moderation/dismiss.html")]
struct ConfirmPage {
    page: Page,
    /// The ticked reports still open in the moderator's queue.
    items: Vec<QueueItem>,
    note: String,
    /// The queue page's address query, kept.
    query: String,
    /// Ticked reports no longer listed (dealt with meanwhile).
    gone: usize,
}

pub async fn submit(State(state): State<AppState>, Query(params): Query<HashMap<String, String>>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let query = queue_query(&params).query_string();
    let back = format!("/moderation{query}");
    let ids: Vec<i64> = data.all("report").iter().filter_map(|id| id.trim().parse::<i64>().ok()).collect();
    if ids.is_empty() {
        return Ok(see_other_with_flash(&back, "Nothing was dismissed: tick the reports to dismiss first.", state.config.tls));
    }
    if ids.len() > moderation::BULK_MAX {
        let message = format!("Nothing was dismissed: dismiss at most {} reports at once.", moderation::BULK_MAX);
        return Ok(see_other_with_flash(&back, &message, state.config.tls));
    }
    if !data.checked("confirmed") {
        let items = moderation::queue_items_by_id(&state.db, actor, &ids).await?;
        let gone = ids.len().saturating_sub(items.len());
        let title = format!("Dismiss {} {}?", items.len(), if items.len() == 1 { "report" } else { "reports" });
        return Ok(render(&ConfirmPage { page: Page::new(&viewer, title), items, note: data.get("note").to_string(), query, gone }));
    }
    let done = match moderation::dismiss_many(&state.db, mailer(&state, &viewer), actor, &ids, data.get("note")).await {
        Ok(done) => done,
        Err(CoreError::Invalid(e)) => {
            let message = e.0.first().map(|(_, m)| m.clone()).unwrap_or_default();
            return Ok(see_other_with_flash(&back, &format!("Nothing was dismissed: {message}"), state.config.tls));
        }
        Err(other) => return Err(other.into()),
    };
    let mut message = format!("Dismissed {} {}.", done.done, if done.done == 1 { "report" } else { "reports" });
    for (id, why) in &done.left {
        message.push_str(&format!(" Report {id} was left as it was: {why}"));
    }
    message.push_str(" The actions are in the moderation log.");
    Ok(see_other_with_flash(&back, &message, state.config.tls))
}
