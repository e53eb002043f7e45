//! `POST /groups/{slug}/amendments/{id}/objection/withdraw` — withdraw
//! one's objection (it stays on the page, marked withdrawn).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::purposes;
use meetinghouse_core::{CoreError, FieldErrors};

use super::amendment::render_amendment;
use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::state::AppState;

pub async fn submit(State(state): State<AppState>, Path((slug, id)): Path<(String, String)>, Form { viewer, data }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let id = id.parse::<i64>().map_err(|_| WebError::NotFound)?;
    match purposes::withdraw_objection(&state.db, actor, &slug, id).await {
        Ok(()) => {
            let to = format!("{}#objections", purposes::amendment_path(&slug.to_ascii_lowercase(), id));
            Ok(see_other_with_flash(&to, "Your objection is withdrawn. It stays on the page, marked withdrawn.", state.config.tls))
        }
        Err(CoreError::Forbidden(m)) => render_amendment(&state, &viewer, &slug, id, data, FieldErrors(vec![("form", m)]), StatusCode::FORBIDDEN).await,
        Err(other) => Err(other.into()),
    }
}
