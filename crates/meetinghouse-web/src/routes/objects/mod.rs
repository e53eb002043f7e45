//! Collection objects: an organisation's list, each object's page with the
//! stories about it, its printable label, the browser import and its status
//! page, and withdrawing objects.
pub mod import;
pub mod list;
pub mod show;
pub mod status;
pub mod withdraw;

use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};

/// A permanent redirect to the same page at the organisation's own address
/// (`/orgs/{slug}/…`, its slug in lower case), when the request named it
/// otherwise (`/orgs/TIVERTON-MUSEUM/objects`), so the page's links and
/// forms, built from the address, lead where they should.
pub(crate) fn own_address(uri: &Uri, slug: &str) -> Option<Response> {
    let path = uri.path();
    let mut segments: Vec<&str> = path.split('/').collect();
    // ["", "orgs", "{slug}", …]
    if segments.get(2).is_none_or(|s| *s == slug) {
        return None;
    }
    segments[2] = slug;
    let query = uri.query().filter(|q| !q.is_empty()).map(|q| format!("?{q}")).unwrap_or_default();
    Some(Redirect::permanent(&format!("{}{query}", segments.join("/"))).into_response())
}
