//! `GET /groups/{slug}/amendments/{id}` — an amendment: what it changes in
//! the version it amends, word by word, why, its state and when its window
//! closes (on the meeting house's clock), every objection (withdrawn ones
//! marked, and once it is settled as each counted then), the forms to
//! object, change or withdraw one's objection and to withdraw the
//! amendment, links to report it and each objection (words the moderators
//! hid shown as removed), and its conversation.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::FieldErrors;
use meetinghouse_core::purposes::{self, AmendmentPage};
use meetinghouse_core::subjects::Subject;

use super::Diff;
use crate::error::WebError;
use crate::forms::FormData;
use crate::page::{Page, render_status};
use crate::routes::conversations::Section;
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "purposes/amendment.html")]
struct AmendmentShow {
    page: Page,
    a: AmendmentPage,
    diff: Diff,
    section: Section,
    form: FormData,
    errors: FieldErrors,
}

impl AmendmentShow {
    fn amendment_path(&self) -> String {
        purposes::amendment_path(&self.a.group.slug, self.a.amendment.id)
    }

    /// Whether the viewer's objection stands.
    fn mine_stands(&self) -> bool {
        self.a.mine.as_ref().is_some_and(|o| o.withdrawn_at.is_none())
    }

    /// Whether the moderators hid the reason of the viewer's objection.
    fn mine_hidden(&self) -> bool {
        self.a.mine.as_ref().is_some_and(|o| o.hidden_at.is_some())
    }

    fn reason_hint(&self) -> String {
        format!(
            "At most {} characters, shown with your name. Say what would have to change for you to withdraw it.",
            purposes::REASON_MAX
        )
    }

    /// What the objection form's button says.
    fn object_label(&self) -> &'static str {
        match &self.a.mine {
            None => "Object",
            Some(o) if o.withdrawn_at.is_none() => "Change my objection",
            Some(_) => "Object again",
        }
    }
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path((slug, id)): Path<(String, String)>) -> Result<Response, WebError> {
    let id = id.parse::<i64>().map_err(|_| WebError::NotFound)?;
    render_amendment(&state, &viewer, &slug, id, FormData::default(), FieldErrors::new(), StatusCode::OK).await
}

/// The amendment's page, with the objection form's input and errors (the
/// actions show it again when they are refused).
pub async fn render_amendment(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    id: i64,
    form: FormData,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, WebError> {
    let a = purposes::amendment_page(&state.db, &viewer.settings, slug, id, viewer.actor.as_ref()).await?;
    let section = crate::routes::conversations::section(state, viewer, Subject::Amendment(id)).await?;
    // The form starts with the viewer's standing reason, to change it.
    let form = match (&a.mine, form.get("reason").is_empty()) {
        (Some(o), true) if o.withdrawn_at.is_none() => form.with("reason", &o.reason),
        _ => form,
    };
    let diff = Diff::new(&a.diff);
    let page = Page::new(viewer, a.title.clone());
    Ok(render_status(status, &AmendmentShow { page, a, diff, section, form, errors }))
}
