//! Submitted forms: the body is parsed as `application/x-www-form-urlencoded`
//! (repeated keys kept, for checkboxes), and the CSRF token is checked before
//! a handler sees any field. A handler that takes [`Form`] cannot forget CSRF.

use axum::extract::{FromRequest, Request};

use crate::error::WebError;
use crate::state::AppState;
use crate::viewer::Viewer;

/// Largest form body accepted, in bytes (documented in the README).
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// Submitted fields, in order, after the CSRF check passed.
#[derive(Debug, Clone, Default)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(form_urlencoded::parse(body).into_owned().collect())
    }
    /// The first value of a field, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }
    /// Every value of a repeated field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
    /// Whether a checkbox was ticked.
    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), "on" | "true" | "yes" | "1")
    }
    /// Whether a repeated field holds `value` (for re-ticking checkboxes).
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == value)
    }
    pub fn with(mut self, name: &str, value: &str) -> FormData {
        self.0.push((name.into(), value.into()));
        self
    }
    /// A copy without secrets, for re-rendering a form after an error.
    pub fn without_secrets(&self) -> FormData {
        FormData(self.0.iter().filter(|(k, _)| !k.contains("password") && k != "csrf").cloned().collect())
    }
}

/// A CSRF-checked form together with the viewer who sent it.
pub struct Form {
    pub viewer: Viewer,
    pub data: FormData,
}

impl FromRequest<AppState> for Form {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let viewer = <Viewer as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, state).await?;
        let ok_type = parts
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !ok_type {
            return Err(WebError::BadRequest("This address expects a submitted form.".into()));
        }
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| WebError::TooLarge(format!("The form was larger than {} KB.", MAX_FORM_BYTES / 1024)))?;
        let data = FormData::parse(&bytes);
        if !viewer.csrf_ok(data.get("csrf")) {
            return Err(WebError::Csrf);
        }
        Ok(Form { viewer, data })
    }
}
