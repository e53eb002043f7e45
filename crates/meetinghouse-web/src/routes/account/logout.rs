//! `POST /logout` — end this session.

use axum::extract::State;
use axum::response::Response;
use meetinghouse_core::accounts;

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::state::AppState;
use crate::viewer::{SESSION_COOKIE, set_cookie};

pub async fn submit(State(state): State<AppState>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    if let Some(token) = &viewer.session_token {
        accounts::end_session(&state.db, token).await?;
    }
    let mut resp = see_other_with_flash("/", "You have signed out. See you soon.", state.config.tls);
    set_cookie(resp.headers_mut(), SESSION_COOKIE, "", 0, state.config.tls);
    Ok(resp)
}
