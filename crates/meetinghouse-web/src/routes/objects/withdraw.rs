//! `POST /objects/{id}/withdraw` and `/objects/{id}/restore` — an
//! organisation's staff and admins withdraw an object from its collection
//! (deaccessioned, imported by mistake) and put it back; a moderator (an
//! instance admin) withdraws one as a moderation decision (`as=moderator`),
//! which only moderators undo. `POST /orgs/{slug}/collection/withdraw` and
//! `/restore` — a moderator withdraws a whole organisation's collection
//! (and holds it: no import runs into it) and puts it back. See core
//! `collection::withdraw`.

use axum::extract::{Path, State};
use axum::response::Response;
use meetinghouse_core::CoreError;
use meetinghouse_core::collection::withdraw::{self, As};
use meetinghouse_core::collection::{object_path, thousands};

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::state::AppState;

/// Where an object's page is.
async fn back_to(state: &AppState, org_id: i64, accession: &str) -> Result<String, WebError> {
    let org = meetinghouse_store::orgs::by_id(&state.db, org_id).await?.ok_or(WebError::NotFound)?;
    Ok(object_path(&org.slug, accession))
}

/// A refusal for a note too long, as the error page's message.
fn refused(e: CoreError) -> WebError {
    match e {
        CoreError::Invalid(errors) => WebError::Unprocessable(errors.to_string()),
        other => other.into(),
    }
}

pub async fn object(State(state): State<AppState>, Path(id): Path<i64>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let how = if data.get("as") == "moderator" { As::Moderator } else { As::Org };
    let o = withdraw::withdraw(&state.db, actor, id, how, data.get("note")).await.map_err(refused)?;
    let message = match how {
        As::Moderator => "The object is withdrawn by the moderators: it left the collection's list, search and the sitemap. The moderation log records it.",
        As::Org => "The object is withdrawn from the collection: it left the collection's list, search and the sitemap. You can put it back from this page.",
    };
    Ok(see_other_with_flash(&back_to(&state, o.org_id, &o.accession_number).await?, message, state.config.tls))
}

pub async fn restore(State(state): State<AppState>, Path(id): Path<i64>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let o = withdraw::restore(&state.db, actor, id).await?;
    Ok(see_other_with_flash(&back_to(&state, o.org_id, &o.accession_number).await?, "The object is back in the collection.", state.config.tls))
}

pub async fn collection(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let n = withdraw::withdraw_collection(&state.db, actor, &slug, data.get("note")).await.map_err(refused)?;
    let message = format!(
        "The whole collection is withdrawn ({} {}), and no import runs into it until the moderators put it back. The moderation log records it.",
        thousands(n as i64),
        if n == 1 { "object" } else { "objects" }
    );
    Ok(see_other_with_flash(&format!("/orgs/{}/objects", slug.to_ascii_lowercase()), &message, state.config.tls))
}

pub async fn restore_collection(State(state): State<AppState>, Path(slug): Path<String>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let n = withdraw::restore_collection(&state.db, actor, &slug).await?;
    let message = format!("The collection is back ({} {} put back), and open for imports again.", thousands(n as i64), if n == 1 { "object" } else { "objects" });
    Ok(see_other_with_flash(&format!("/orgs/{}/objects", slug.to_ascii_lowercase()), &message, state.config.tls))
}
