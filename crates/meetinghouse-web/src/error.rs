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
    /// A page of a list past its end (`?page=N`, N > 1, with nothing on
    /// it): 404 with a link to the list's first page ([`crate::paging`]).
    NoSuchPage(i64),
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
    /// The disk holding the database is full, so nothing could be saved
    /// (503): a plain page that says so, showing what the person typed,
    /// (label, text), so they can copy it ([`WebError::keeping`]).
    DiskFull(Vec<(&'static str, String)>),
    Internal(anyhow::Error),
}

/// The title of the page a write refused for a full disk shows.
pub const DISK_FULL_TITLE: &str = "The server is out of disk space";
/// What that page says.
pub const DISK_FULL_MESSAGE: &str = "The meeting house’s server has run out of disk space, so what you sent could not be saved: \
     nothing of it was stored. The people who run the server need to free some space. Please try again later.";

/// The page a write refused for a full disk shows (see [`WebError::DiskFull`]).
#[derive(askama::Template)]
#[template(path = "disk_full.html")]
struct DiskFullPage {
    page: crate::page::Page,
    message: &'static str,
    /// (id, label, text) of each text kept.
    kept: Vec<(String, &'static str, String)>,
}

impl WebError {
    /// On a write refused for a full disk, keeps the texts the person
    /// typed, (label, text), to show them back; any other error is left
    /// as it is. Empty texts are left out.
    // Used by the reply and story forms' handlers.
    #[allow(dead_code)]
    pub fn keeping(self, texts: &[(&'static str, &str)]) -> WebError {
        match self {
            WebError::DiskFull(mut kept) => {
                kept.extend(texts.iter().filter(|(_, t)| !t.trim().is_empty()).map(|(label, text)| (*label, (*text).to_string())));
                WebError::DiskFull(kept)
            }
            other => other,
        }
    }
}

/// Whether an error, or anything it was caused by, is a write the full
/// disk refused.
fn disk_full_cause(cause: &anyhow::Error) -> bool {
    cause.chain().any(|e| {
        e.downcast_ref::<meetinghouse_store::StoreError>().is_some_and(|s| s.is_disk_full())
            || e.downcast_ref::<CoreError>().is_some_and(|c| matches!(c, CoreError::Store(s) if s.is_disk_full()))
    })
}

/// Marks a 500 response so the observing middleware logs the cause with the request id.
#[derive(Debug, Clone)]
pub struct InternalCause(pub String);

/// Marks the 404 for a page past the end of a list, with the number of the
/// page asked for, so the error page shown as the person asking names the
/// list and links to its first page ([`crate::paging::past_the_end`]).
#[derive(Debug, Clone, Copy)]
pub struct PastTheEnd(pub i64);

/// The title of the page for a page past the end of a list.
pub const NO_SUCH_PAGE_TITLE: &str = "There is no such page";

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
            CoreError::Store(e) if e.is_disk_full() => {
                tracing::error!(error = %e, "a write failed: the disk holding the database is full");
                WebError::DiskFull(Vec::new())
            }
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
            WebError::NoSuchPage(n) => {
                let message = format!("This list has {}: it is shorter than that. Lists change as things are added and taken away.", crate::paging::no_page(n));
                let mut resp = render_status(StatusCode::NOT_FOUND, &ErrorPage::new(NO_SUCH_PAGE_TITLE, &message));
                resp.extensions_mut().insert(ErrorShown { title: NO_SUCH_PAGE_TITLE, message });
                resp.extensions_mut().insert(PastTheEnd(n));
                return resp;
            }
            WebError::Forbidden(m) => (StatusCode::FORBIDDEN, "You can’t do that here", m),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Something was wrong with the request", m),
            WebError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, "Please check what you sent", m),
            WebError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, "That was too large", m),
            WebError::TooManyRequests(m) => (StatusCode::TOO_MANY_REQUESTS, "Please slow down", m),
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "Your form had expired",
                "For your safety, forms only work from the page we sent them on, and expire when you sign in or out. \
                 Go back and copy anything you typed that you want to keep (a reloaded page can lose it), \
                 then open the form again and send it from there."
                    .to_string(),
            ),
            WebError::DiskFull(kept) => return disk_full_page(kept),
            WebError::Internal(cause) if disk_full_cause(&cause) => {
                tracing::error!(error = %format!("{cause:#}"), "a write failed: the disk holding the database is full");
                return disk_full_page(Vec::new());
            }
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

/// The 503 page for a full disk: plain (it is shown as it is, without the
/// person's frame, which would need the database), never cached, with
/// `Retry-After`, and each kept text in a read-only box to copy from.
fn disk_full_page(kept: Vec<(&'static str, String)>) -> Response {
    let kept = kept.into_iter().enumerate().map(|(i, (label, text))| (format!("kept-{}", i + 1), label, text)).collect();
    let page = DiskFullPage { page: crate::page::Page::bare(DISK_FULL_TITLE), message: DISK_FULL_MESSAGE, kept };
    let mut resp = render_status(StatusCode::SERVICE_UNAVAILABLE, &page);
    resp.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("300"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_disk_is_a_plain_503_with_what_was_typed() {
        let full = meetinghouse_store::StoreError::Bulk("database or disk is full".into());
        let e = WebError::from(CoreError::Store(full)).keeping(&[("Your reply", "It was <b>lovely</b>"), ("Title", "  ")]);
        let resp = e.into_response();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(resp.extensions().get::<InternalCause>().is_none(), "not the 500 page");
        assert_eq!(resp.headers()[axum::http::header::RETRY_AFTER], "300");
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains(DISK_FULL_TITLE), "{body}");
        assert!(body.contains(r#"<label for="kept-1">Your reply</label>"#), "{body}");
        assert!(body.contains("It was &#60;b&#62;lovely&#60;/b&#62;") || body.contains("It was &lt;b&gt;lovely&lt;/b&gt;"), "escaped: {body}");
        assert!(!body.contains("kept-2"), "an empty text is left out: {body}");
        // Any other error keeps nothing and stays as it was.
        assert!(matches!(WebError::NotFound.keeping(&[("Your reply", "x")]), WebError::NotFound));
        let other = WebError::Internal(anyhow::Error::new(CoreError::Store(meetinghouse_store::StoreError::Bulk("database or disk is full".into()))));
        assert_eq!(other.into_response().status(), StatusCode::SERVICE_UNAVAILABLE, "found inside an internal error too");
    }
}
