//! The one web error: what the person sees is separate from what is logged.
//! A 500 shows only a request id; the cause goes to the log with that id.
//! Error pages are rendered here without knowing who is asking;
//! `middleware::observe` shows each again as the person asking, with the
//! site's name (see [`ErrorShown`]).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use meetinghouse_core::CoreError;

use crate::page::{ErrorPage, render_status};

#[derive(Debug)]
pub enum WebError {
    /// The page needs a signed-in person; the page to come back to after.
    SignInNeeded(Option<String>),
    NotFound,
    Forbidden(String),
    BadRequest(String),
    /// Input that cannot be accepted, on a form with nothing to re-render (422).
    Unprocessable(String),
    TooLarge(String),
    /// A rate limit was reached; the message says how long to wait.
    TooManyRequests(String),
    /// The form's CSRF token was missing or stale; the fields are kept so the
    /// person can send them again with a fresh token.
    Csrf,
    Internal(anyhow::Error),
}

/// Marks a 500 response so the observing middleware logs the cause with the request id.
#[derive(Debug, Clone)]
pub struct InternalCause(pub String);

/// Marks an error page with what it says, so the observing middleware can
/// show it again as the person asking, with the site's name and a link back
/// to the page the person came from.
#[derive(Debug, Clone)]
pub struct ErrorShown {
    pub title: &'static str,
    pub message: String,
}

impl From<CoreError> for WebError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::NotFound => WebError::NotFound,
            CoreError::Forbidden(m) => WebError::Forbidden(m),
            CoreError::Invalid(errors) => WebError::BadRequest(errors.to_string()),
            other => WebError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<meetinghouse_store::StoreError> for WebError {
    fn from(e: meetinghouse_store::StoreError) -> Self {
        WebError::from(CoreError::from(e))
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            WebError::SignInNeeded(back) => {
                let to = match back {
                    Some(page) => format!("/login?need=1&next={}", percent_encoding::utf8_percent_encode(&page, percent_encoding::NON_ALPHANUMERIC)),
                    None => "/login?need=1".to_string(),
                };
                return Redirect::to(&to).into_response();
            }
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "We could not find that page. It may have moved, or it may be private.".to_string(),
            ),
            WebError::Forbidden(m) => (StatusCode::FORBIDDEN, "You can’t do that here", m),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Something was wrong with the request", m),
            WebError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, "Please check what you sent", m),
            WebError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "That was too large", m),
            WebError::TooManyRequests(m) => (StatusCode::TOO_MANY_REQUESTS, "Please slow down", m),
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "Your form had expired",
                "For your safety, forms only work from the page we sent them on, and expire when you sign in or out. \
                 Go back, reload the page, and send it again — your browser usually keeps what you typed."
                    .to_string(),
            ),
            WebError::Internal(cause) => {
                let mut resp = StatusCode::INTERNAL_SERVER_ERROR.into_response();
                resp.extensions_mut().insert(InternalCause(format!("{cause:#}")));
                return resp;
            }
        };
        let mut resp = render_status(status, &ErrorPage::new(title, &message));
        resp.extensions_mut().insert(ErrorShown { title, message });
        resp
    }
}
