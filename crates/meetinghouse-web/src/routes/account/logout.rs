//! `POST /logout` — end this session.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use meetinghouse_core::accounts;

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::state::AppState;
use crate::viewer::SESSION_COOKIE;

pub async fn submit(State(state): State<AppState>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    if let Some(token) = &viewer.session_token {
        accounts::end_session(&state.db, token).await?;
    }
    let mut resp = see_other_with_flash("/", "You have signed out. See you soon.", state.config.tls);
    let secure = if state.config.tls { "; Secure" } else { "" };
    if let Ok(v) = HeaderValue::from_str(&format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}")) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}
