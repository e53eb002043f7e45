//! `GET /media/{key}` — a stored image by its content address, cached for a
//! year (the key changes whenever the bytes do).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::WebError;
use crate::state::AppState;

pub async fn show(State(state): State<AppState>, Path(key): Path<String>) -> Result<Response, WebError> {
    let mime = match key.rsplit_once('.').map(|(_, ext)| ext) {
        Some("jpg") => "image/jpeg",
        Some("png") => "image/png",
        _ => return Err(WebError::NotFound),
    };
    let bytes = match state.config.media.get(&key).await {
        Ok(Some(b)) => b,
        Ok(None) => return Err(WebError::NotFound),
        // A malformed key is simply not there.
        Err(meetinghouse_media::StoreError::BadKey(_)) => return Err(WebError::NotFound),
        Err(e) => return Err(WebError::Internal(e.into())),
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::CONTENT_DISPOSITION, "inline"),
        ],
        bytes,
    )
        .into_response())
}
