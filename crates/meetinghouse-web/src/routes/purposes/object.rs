//! `POST /groups/{slug}/amendments/{id}/object` — object to an amendment
//! with a reason, change one's reason, or object again after withdrawing.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::purposes::{self, Objected, ObjectionForm};
use meetinghouse_core::{CoreError, FieldErrors};

use super::amendment::render_amendment;
use crate::error::WebError;
use crate::forms::{EXPIRED_FORM, KeptForm};
use crate::middleware::see_other_with_flash;
use crate::state::AppState;

pub async fn submit(State(state): State<AppState>, Path((slug, id)): Path<(String, String)>, KeptForm { viewer, data, expired }: KeptForm) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    let id = id.parse::<i64>().map_err(|_| WebError::NotFound)?;
    if expired {
        // Shown again with what was typed and a fresh token; nothing is recorded.
        return render_amendment(&state, &viewer, &slug, id, data, FieldErrors(vec![("form", EXPIRED_FORM.into())]), StatusCode::FORBIDDEN).await;
    }
    let form = ObjectionForm { reason: data.get("reason").into() };
    let mail = crate::routes::conversations::mailer(&state, &viewer);
    let message = match purposes::object(&state.db, mail, actor, &slug, id, &form).await {
        Ok(Objected::New) => "Your objection is recorded, and the proposer is told. Talk it through in the conversation below.",
        Ok(Objected::Changed) => "Your objection is changed.",
        Ok(Objected::Again) => "Your objection stands again.",
        Err(CoreError::Invalid(errors)) => return render_amendment(&state, &viewer, &slug, id, data, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(CoreError::Forbidden(m)) => {
            return render_amendment(&state, &viewer, &slug, id, data, FieldErrors(vec![("form", m)]), StatusCode::FORBIDDEN).await;
        }
        Err(other) => return Err(other.into()),
    };
    let to = format!("{}#objections", purposes::amendment_path(&slug.to_ascii_lowercase(), id));
    Ok(see_other_with_flash(&to, message, state.config.tls))
}
