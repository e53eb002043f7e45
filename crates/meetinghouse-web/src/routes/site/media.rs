//! `GET /media/{key}` — a stored image by its content address, to those who
//! may see a story showing it (core's `media::access`); "not found" to
//! everyone else, so a link to a members-only or deleted story's photo
//! shows nothing to those outside, not even that it exists. Cached for a
//! year, publicly, only while a public story shows it (the key changes
//! whenever the bytes do); otherwise `private, no-store`, like every page,
//! since access can end at any moment and a shared computer should not keep
//! it after sign-out.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use meetinghouse_core::media::{self, Access};

use crate::error::WebError;
use crate::state::AppState;
use crate::viewer::Viewer;

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(key): Path<String>) -> Result<Response, WebError> {
    let mime = match key.rsplit_once('.').map(|(_, ext)| ext) {
        Some("jpg") => "image/jpeg",
        Some("png") => "image/png",
        _ => return Err(WebError::NotFound),
    };
    let cache = match media::access(&state.db, &key, viewer.actor.as_ref()).await? {
        Access::Public => "public, max-age=31536000, immutable",
        Access::Private => "private, no-store",
        Access::Hidden => return Err(WebError::NotFound),
    };
    let bytes = match state.config.media.get(&key).await {
        Ok(Some(b)) => b,
        Ok(None) => return Err(WebError::NotFound),
        // A malformed key is simply not there.
        Err(meetinghouse_media::StoreError::BadKey(_)) => return Err(WebError::NotFound),
        Err(e) => return Err(WebError::Internal(e.into())),
    };
    Ok(([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, cache), (header::CONTENT_DISPOSITION, "inline")], bytes).into_response())
}
