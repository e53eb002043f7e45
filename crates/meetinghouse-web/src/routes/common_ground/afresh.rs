//! `POST /common-ground/{id}/afresh` — "Not you? Start afresh": a browser
//! taking part without an account gets a new anonymous token, so the next
//! person at a shared computer (a library's, a kiosk at an event) neither
//! sees nor changes the votes given before. Those votes stay, under the old
//! token, which this browser no longer holds: nobody can reach them again.
//! Its took-part mark goes with it (the new token has taken part nowhere).

use axum::extract::{Path, State};
use axum::response::Response;

use crate::error::WebError;
use crate::forms::Form;
use crate::middleware::see_other_with_flash;
use crate::routes::common_ground::load;
use crate::state::AppState;
use crate::viewer::{ANON_COOKIE, TOOK_PART_COOKIE, new_anon_token, set_cookie, signed_anon};

/// How long the new anonymous cookie lasts, as the one it replaces did.
const ONE_YEAR_SECS: i64 = 365 * 24 * 3600;

pub async fn afresh(State(state): State<AppState>, Path(id): Path<i64>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    // Only a conversation the viewer may see: the address says nothing else.
    load(&state, &viewer, id).await?;
    if viewer.actor.is_some() {
        return Err(WebError::Unprocessable(
            "You are signed in, so your votes are your account's: sign out to leave them, and the next person starts afresh.".into(),
        ));
    }
    let tls = state.config.tls;
    let mut resp = see_other_with_flash(
        &format!("/common-ground/{id}"),
        "This browser starts afresh: the votes given on it before are no longer shown here, and cannot be changed from it.",
        tls,
    );
    let headers = resp.headers_mut();
    set_cookie(headers, ANON_COOKIE, &signed_anon(&viewer.settings.secret_key, &new_anon_token()), ONE_YEAR_SECS, tls);
    set_cookie(headers, TOOK_PART_COOKIE, "", 0, tls);
    Ok(resp)
}
