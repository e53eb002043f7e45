//! Common ground: opinion-mapping conversations. List and open one; take
//! part (one statement at a time, plain forms); "my votes"; the opinion map
//! and report, with a CSV export. The engine runs as a debounced job (see
//! `meetinghouse_core::common_ground::run_due`), never in a request.
//!
//! Someone who took part without an account and then signs in on the same
//! browser takes their browser's votes with them at their first request to
//! the conversation ([`load`], core `adopt_browser`): counted once, as
//! theirs, unless their account had taken part there already, which the
//! take-part page and "my votes" then say.
pub mod act;
pub mod afresh;
pub mod close;
pub mod draw;
pub mod edit;
pub mod limits;
pub mod list;
pub mod new;
pub mod report;
pub mod show;

use meetinghouse_core::CoreError;
use meetinghouse_core::common_ground::{self, Adoption, Conversation, Participant};

use crate::error::WebError;
use crate::state::AppState;
use crate::viewer::Viewer;

/// Loads a conversation as the viewer may see it.
pub async fn load(state: &AppState, viewer: &Viewer, id: i64) -> Result<Conversation, WebError> {
    Ok(load_adopting(state, viewer, id).await?.0)
}

/// [`load`], with what became of this browser's votes given without an
/// account, for a signed-in viewer (core `adopt_browser`): taken over now,
/// or kept apart because the account had taken part already.
pub async fn load_adopting(state: &AppState, viewer: &Viewer, id: i64) -> Result<(Conversation, Adoption), WebError> {
    let c = common_ground::load(&state.db, id, viewer.actor.as_ref()).await?;
    let adoption = match &viewer.actor {
        Some(actor) => common_ground::adopt_browser(&state.db, &c, actor, &viewer.anon).await?,
        None => Adoption::Nothing,
    };
    Ok((c, adoption))
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
