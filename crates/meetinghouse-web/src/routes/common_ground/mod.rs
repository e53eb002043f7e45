//! Common ground: opinion-mapping conversations. List and open one; take
//! part (one statement at a time, plain forms); "my votes"; the opinion map
//! and report, with a CSV export. The engine runs as a debounced job (see
//! `meetinghouse_core::common_ground::run_due`), never in a request.
pub mod act;
pub mod close;
pub mod draw;
pub mod edit;
pub mod list;
pub mod new;
pub mod report;
pub mod show;

use meetinghouse_core::CoreError;
use meetinghouse_core::common_ground::{self, Conversation, Participant};

use crate::error::WebError;
use crate::state::AppState;
use crate::viewer::Viewer;

/// Loads a conversation as the viewer may see it.
pub async fn load(state: &AppState, viewer: &Viewer, id: i64) -> Result<Conversation, WebError> {
    Ok(common_ground::load(&state.db, id, viewer.actor.as_ref()).await?)
}

/// The viewer as a participant: their account, or this browser.
pub fn participant(viewer: &Viewer) -> Participant<'_> {
    Participant::of(viewer.actor.as_ref(), &viewer.anon)
}

/// The key rate limits count a participant under: their account, or this browser.
pub fn limit_key(viewer: &Viewer) -> String {
    match &viewer.actor {
        Some(a) => format!("person:{}", a.id),
        None => format!("browser:{}", viewer.anon),
    }
}

/// Input errors on one-button forms come back as a 422 page with the message.
pub fn refused(e: CoreError) -> WebError {
    match e {
        CoreError::Invalid(errors) => WebError::Unprocessable(errors.0.into_iter().map(|(_, m)| m).collect::<Vec<_>>().join(" ")),
        other => other.into(),
    }
}
