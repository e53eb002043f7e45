//! The page frame every template shares, and rendering helpers.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::viewer::Viewer;

/// What the layout needs: site name, the signed-in person, the CSRF token.
#[derive(Debug, Clone)]
pub struct Page {
    pub site_name: String,
    pub title: String,
    pub handle: Option<String>,
    pub display_name: Option<String>,
    pub is_admin: bool,
    pub csrf: String,
    pub flash: Option<String>,
    pub banner: Option<String>,
    /// Unread notifications (capped; 0 when signed out), shown in the header.
    pub unread: i64,
    /// Whether the header links to the moderation queue (the person has one).
    pub has_queue: bool,
    /// Whether the moderation log is public: the footer links to it.
    pub public_log: bool,
}

impl Page {
    /// The unread count as the header shows it ("99+" past the cap).
    pub fn unread_label(&self) -> String {
        if self.unread >= meetinghouse_core::notifications::UNREAD_CAP { "99+".into() } else { self.unread.to_string() }
    }

    pub fn new(viewer: &Viewer, title: impl Into<String>) -> Page {
        let banner = viewer.actor.as_ref().and_then(|a| match a.status.as_str() {
            "pending" => Some("Your account is waiting for an admin’s approval. You can look around until then.".to_string()),
            _ if !a.email_verified && !viewer.settings.post_before_verify => {
                Some("Please confirm your email address: we sent you a link.".to_string())
            }
            _ => None,
        });
        Page {
            site_name: viewer.settings.name.clone(),
            title: title.into(),
            handle: viewer.actor.as_ref().map(|a| a.handle.clone()),
            display_name: viewer.actor.as_ref().map(|a| a.display_name.clone()),
            is_admin: viewer.actor.as_ref().is_some_and(|a| a.is_admin),
            csrf: viewer.csrf.clone(),
            flash: viewer.flash.clone(),
            banner,
            unread: viewer.unread,
            has_queue: viewer.has_queue,
            public_log: viewer.settings.policy.public_log,
        }
    }

    /// A frame for an error page shown to a known viewer: as [`Page::new`],
    /// without the one-shot message, which waits for the next page that
    /// works (only a page that succeeds clears it).
    pub fn for_error(viewer: &Viewer, title: &str) -> Page {
        Page { flash: None, ..Page::new(viewer, title) }
    }

    /// A frame for an error page when who is asking is not known (a
    /// signed-out browser, or the database could not say): the site's name
    /// when the settings are known, and the signed-out header.
    pub fn signed_out(site_name: &str, title: &str) -> Page {
        Page { site_name: site_name.into(), ..Page::bare(title) }
    }

    /// A frame for error pages rendered without a viewer or the settings
    /// (`middleware::observe` shows them again with both when it can).
    pub fn bare(title: &str) -> Page {
        Page {
            site_name: "Meetinghouse".into(),
            title: title.into(),
            handle: None,
            display_name: None,
            is_admin: false,
            csrf: String::new(),
            flash: None,
            banner: None,
            unread: 0,
            has_queue: false,
            public_log: false,
        }
    }
}

/// Renders a template as a 200 page.
pub fn render<T: Template>(t: &T) -> Response {
    render_status(StatusCode::OK, t)
}

/// Renders a template with a status (422 for a form with errors, and so on).
pub fn render_status<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(body) => (status, [(header::CACHE_CONTROL, "no-store")], Html(error_titled(body))).into_response(),
        Err(e) => {
            let mut resp = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            resp.extensions_mut().insert(crate::error::InternalCause(format!("template failed: {e}")));
            resp
        }
    }
}

/// What marks a page as answering a form with errors: the error summary
/// (`macros.html` `summary`) or an error beside a field (`<p class="error"`).
const FORM_ERROR_MARKS: [&str; 2] = [r#"class="error-summary""#, r#"<p class="error""#];

/// A page answering a form with errors says so first in its title
/// ("Error: Sign in · …"): the title is the first thing a screen reader
/// reads of a new page (WCAG 3.3.1), and nothing else can move attention
/// to the problem without JavaScript. Done here, where every page is
/// rendered, so no route can forget it; a title that says so already is
/// left alone.
fn error_titled(body: String) -> String {
    if !FORM_ERROR_MARKS.iter().any(|mark| body.contains(mark)) {
        return body;
    }
    let (Some(start), Some(end)) = (body.find("<title>").map(|at| at + "<title>".len()), body.find("</title>")) else {
        return body;
    };
    if start > end || body[start..end].starts_with("Error: ") {
        return body;
    }
    // Once, first: a route's own "Error: " after a one-shot message moves up.
    let title = body[start..end].replace("Error: ", "");
    format!("{}Error: {title}{}", &body[..start], &body[end..])
}

/// A list's title with its page number past the first ("Organisations,
/// page 2"), so each page of a list has its own title (WCAG 2.4.2).
pub fn paged(title: &str, page: i64) -> String {
    if page > 1 { format!("{title}, page {page}") } else { title.to_string() }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub page: Page,
    pub message: String,
    pub request_id: Option<String>,
    /// The page the person came from on this site (a form's page), linked as
    /// "Go back"; see `middleware::referring_page`.
    pub back: Option<String>,
    /// For a page past the end of a list, the list's first page.
    pub first_page: Option<String>,
}

impl ErrorPage {
    pub fn new(title: &str, message: &str) -> ErrorPage {
        ErrorPage { page: Page::bare(title), message: message.into(), request_id: None, back: None, first_page: None }
    }

    pub fn back_to(self, back: Option<String>) -> ErrorPage {
        ErrorPage { back, ..self }
    }

    /// The same page in another frame (the viewer's, the site's name).
    pub fn in_frame(self, page: Page) -> ErrorPage {
        ErrorPage { page, ..self }
    }
}

/// Formats unix seconds as a date people read ("3 March 2026"), in the
/// meeting house's time zone.
pub fn date(ts: &i64) -> String {
    meetinghouse_core::clock::zone().date(*ts)
}

/// Formats unix seconds as date and time in the meeting house's time zone,
/// with its abbreviation ("3 Mar 2026 14:05 GMT").
pub fn datetime(ts: &i64) -> String {
    meetinghouse_core::clock::zone().datetime(*ts)
}

/// Whether a request's `If-None-Match` names `etag` (a quoted tag), or is
/// `*`: the asker has this version already. Weak tags compare as strong ones
/// (only a 304 depends on it), and every `If-None-Match` line is read.
pub fn etag_matches(headers: &axum::http::HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use super::{error_titled, paged};

    #[test]
    fn a_page_answering_with_form_errors_says_so_first_in_its_title() {
        let page = |title: &str, main: &str| format!("<html><head><title>{title} · Town</title></head><body>{main}</body></html>");
        let cases = [
            (page("Sign in", r#"<div class="error-summary" role="alert">"#), "<title>Error: Sign in · Town</title>"),
            (page("People", r#"<p class="error" id="note-error">"#), "<title>Error: People · Town</title>"),
            (page("Error: Edit your profile", r#"<div class="error-summary">"#), "<title>Error: Edit your profile · Town</title>"),
            (page("Saved. – Error: Edit your profile", r#"<div class="error-summary">"#), "<title>Error: Saved. – Edit your profile · Town</title>"),
            (page("Sign in", "<p>Welcome.</p>"), "<title>Sign in · Town</title>"),
        ];
        for (body, title) in cases {
            assert!(error_titled(body.clone()).contains(title), "{body}");
        }
        assert_eq!((paged("Prompts", 1), paged("Prompts", 3)), ("Prompts".to_string(), "Prompts, page 3".to_string()));
    }
}
