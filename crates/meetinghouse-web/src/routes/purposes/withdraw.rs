//! `POST /groups/{slug}/amendments/{id}/withdraw` — its proposer withdraws
//! an open amendment.

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
    let mail = crate::routes::conversations::mailer(&state, &viewer);
    match purposes::withdraw(&state.db, mail, actor, &slug, id).await {
        Ok(()) => {
            let to = purposes::amendment_path(&slug.to_ascii_lowercase(), id);
            Ok(see_other_with_flash(&to, "Your amendment is withdrawn. Those whose objections stood are told.", state.config.tls))
        }
        Err(CoreError::Forbidden(m)) => render_amendment(&state, &viewer, &slug, id, data, FieldErrors(vec![("form", m)]), StatusCode::FORBIDDEN).await,
        Err(other) => Err(other.into()),
    }
}
