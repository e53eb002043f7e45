//! `GET /media/{key}` — a stored image by its content address, to those who
//! may see a story showing it (core's `media::access`); "not found" to
//! everyone else, so a link to a members-only or deleted story's photo
//! shows nothing to those outside, not even that it exists. Cached
//! publicly for an hour only while a public story shows it, so a photo
//! whose story is deleted, made private or removed by a moderator (consent
//! withdrawn) leaves shared caches within the hour; its key is its content
//! hash, so the key is its ETag and a browser asking again gets 304 without
//! the bytes. Otherwise `private, no-store`, like every page, since access
//! can end at any moment and a shared computer should not keep it after
//! sign-out.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use meetinghouse_core::media::{self, Access};

use crate::error::WebError;
use crate::state::AppState;
use crate::viewer::Viewer;

/// How long a public image may be kept by browsers and shared caches.
pub const PUBLIC_CACHE: &str = "public, max-age=3600";

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path(key): Path<String>, headers: HeaderMap) -> Result<Response, WebError> {
    let mime = match key.rsplit_once('.').map(|(_, ext)| ext) {
        Some("jpg") => "image/jpeg",
        Some("png") => "image/png",
        _ => return Err(WebError::NotFound),
    };
    let access = media::access(&state.db, &key, viewer.actor.as_ref()).await?;
    let cache = match access {
        Access::Public => PUBLIC_CACHE,
        Access::Private => "private, no-store",
        Access::Hidden => return Err(WebError::NotFound),
    };
    // The key is a content hash (checked by the media store when read; a
    // key with a quote cannot be one), so it stands for these bytes.
    let etag = format!("\"{key}\"");
    if matches!(access, Access::Public)
        && !key.contains('"')
        && crate::page::etag_matches(&headers, &etag)
    {
        return Ok((StatusCode::NOT_MODIFIED, [(header::CACHE_CONTROL, cache.to_string()), (header::ETAG, etag)]).into_response());
    }
    let bytes = match state.config.media.get(&key).await {
        Ok(Some(b)) => b,
        Ok(None) => return Err(WebError::NotFound),
        // A malformed key is simply not there.
        Err(meetinghouse_media::StoreError::BadKey(_)) => return Err(WebError::NotFound),
        Err(e) => return Err(WebError::Internal(e.into())),
    };
    let mut response = ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, cache), (header::CONTENT_DISPOSITION, "inline")], bytes).into_response();
    if matches!(access, Access::Public) && !key.contains('"') {
        response.headers_mut().insert(header::ETAG, etag.parse().map_err(|e: axum::http::header::InvalidHeaderValue| WebError::Internal(e.into()))?);
    }
    Ok(response)
}
