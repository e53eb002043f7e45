//! Conversations: the section on every subject's page, the paged
//! conversation page, and the reply form.
pub mod reply;
pub mod show;

use meetinghouse_core::conversations::{self, Conversation, ReplyForm};
use meetinghouse_core::notifications::Mailer;
use meetinghouse_core::subjects::Subject;

use crate::error::WebError;
use crate::forms::FormData;
use crate::state::AppState;
use crate::viewer::Viewer;

/// A subject's conversation as a page section (the first page of replies).
pub struct Section {
    pub convo: Conversation,
    pub kind: &'static str,
    pub id: i64,
}

/// Loads the first page of a subject's conversation for a subject page.
pub async fn section(state: &AppState, viewer: &Viewer, subject: Subject) -> Result<Section, WebError> {
    let mut convo = conversations::conversation(&state.db, subject, viewer.actor.as_ref(), None).await?;
    // An account waiting for approval is told so in place of the form.
    crate::routes::replies::while_waiting(viewer, &mut convo.refused, convo.replies.iter_mut());
    Ok(Section { convo, kind: subject.kind(), id: subject.id() })
}

/// The conversation under a story, unless the story is deleted (its author
/// still sees it, to restore it).
pub async fn story_section(state: &AppState, viewer: &Viewer, s: &meetinghouse_core::stories::StoryPage) -> Result<Option<Section>, WebError> {
    if s.story.deleted_at.is_some() {
        return Ok(None);
    }
    Ok(Some(section(state, viewer, Subject::Story(s.story.id)).await?))
}

/// The subject named in a URL, or "not found".
pub fn subject(kind: &str, id: i64) -> Result<Subject, WebError> {
    Subject::parse(kind, id).ok_or(WebError::NotFound)
}

pub fn reply_form(data: &FormData) -> ReplyForm {
    ReplyForm {
        speak_as: data.get("speak_as").into(),
        body: data.get("body").into(),
        parent_id: data.get("parent_id").into(),
        pause_confirmed: data.checked("pause_confirmed"),
    }
}

pub fn mailer<'a>(state: &'a AppState, viewer: &'a Viewer) -> Mailer<'a> {
    Mailer { settings: &viewer.settings, base_url: &state.config.base_url }
}
