//! `GET /unsubscribe?t=TOKEN` (a page with one button; GET never changes
//! anything) and `POST /unsubscribe` (stop notification email). The token is
//! signed, so neither needs a sign-in; a forged or expired one gets a 403.
//!
//! Notification emails also name `/unsubscribe?t=TOKEN` in their
//! `List-Unsubscribe` header with `List-Unsubscribe-Post:
//! List-Unsubscribe=One-Click` (RFC 8058): a mail program then posts
//! `List-Unsubscribe=One-Click` to that address, with no page and so no
//! CSRF token. Such a post is taken on the signed token alone, which is the
//! proof; any other post is a [`Form`] and has its CSRF token checked.

use std::collections::HashMap;

use askama::Template;
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::response::{IntoResponse, Response};
use meetinghouse_core::notifications;

use crate::error::WebError;
use crate::forms::{Form, MAX_FORM_BYTES};
use crate::page::{Page, render};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "notifications/unsubscribe.html")]
struct UnsubscribePage {
    page: Page,
    token: String,
    done: bool,
}

pub async fn form(viewer: Viewer, Query(q): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let token = q.get("t").cloned().unwrap_or_default();
    notifications::check_unsubscribe(&viewer.settings, &token)?;
    Ok(render(&UnsubscribePage { page: Page::new(&viewer, "Stop notification email"), token, done: false }))
}

/// What a one-click unsubscribe posts (RFC 8058), as a form field or a
/// multipart part.
const ONE_CLICK: &str = "List-Unsubscribe=One-Click";

pub async fn submit(State(state): State<AppState>, req: Request) -> Response {
    match one_click_or_form(state, req).await {
        Ok(resp) => resp,
        Err(resp) => resp,
    }
}

async fn one_click_or_form(state: AppState, req: Request) -> Result<Response, Response> {
    let (mut parts, body) = req.into_parts();
    let viewer = Viewer::from_request_parts(&mut parts, &state).await.map_err(IntoResponse::into_response)?;
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| WebError::TooLarge(format!("The form was larger than {} KB.", MAX_FORM_BYTES / 1024)).into_response())?;
    let in_address = parts.uri.query().and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "t").map(|(_, v)| v.into_owned()));
    let one_click = bytes.windows(ONE_CLICK.len()).any(|w| w == ONE_CLICK.as_bytes());
    let token = match in_address {
        Some(token) if one_click => token,
        _ => {
            let req = Request::from_parts(parts, Body::from(bytes));
            let Form { data, .. } = Form::from_request(req, &state).await.map_err(IntoResponse::into_response)?;
            data.get("t").to_string()
        }
    };
    notifications::unsubscribe(&state.db, &viewer.settings, &token).await.map_err(|e| WebError::from(e).into_response())?;
    Ok(render(&UnsubscribePage { page: Page::new(&viewer, "Stop notification email"), token: String::new(), done: true }))
}
