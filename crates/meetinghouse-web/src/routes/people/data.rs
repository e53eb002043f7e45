//! `GET /me/data` (what "Download your data" gives, and its button) and
//! `POST /me/data` (the file: `meetinghouse-<handle>-<date>.json`, core
//! `personal_data`). The file is sent for a posted form, so its CSRF token
//! keeps other sites from setting off downloads (and spending the
//! person's five an hour, `personal_data::DOWNLOADS`).

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use meetinghouse_core::FieldErrors;
use meetinghouse_core::personal_data::{self, Prepared};

use crate::error::WebError;
use crate::forms::Form;
use crate::page::{Page, render, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

#[derive(Template)]
#[template(path = "people/data.html")]
struct DataPage {
    page: Page,
    errors: FieldErrors,
    limit: u32,
    max_mb: usize,
}

const TITLE: &str = "Download your data";

fn data_page(viewer: &Viewer, errors: FieldErrors) -> DataPage {
    DataPage { page: Page::new(viewer, TITLE), errors, limit: personal_data::DOWNLOADS.limit, max_mb: personal_data::FILE_MAX_BYTES / (1024 * 1024) }
}

pub async fn show(viewer: Viewer) -> Result<Response, WebError> {
    viewer.require()?;
    Ok(render(&data_page(&viewer, FieldErrors::new())))
}

pub async fn download(State(state): State<AppState>, Form { viewer, .. }: Form) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    match personal_data::download(&state.db, &viewer.settings, &state.config.base_url, actor).await? {
        Prepared::Ready(file) => Ok((
            [
                (header::CONTENT_TYPE, "application/json; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", file.filename)),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            file.json,
        )
            .into_response()),
        Prepared::TooMany => {
            let errors = FieldErrors(vec![("form", personal_data::TOO_MANY.to_string())]);
            Ok(render_status(StatusCode::TOO_MANY_REQUESTS, &data_page(&viewer, errors)))
        }
    }
}
