//! `GET/POST /orgs/{slug}/import` — organisation admins import collection
//! records from the browser: the same formats, mapping and report as
//! `meetinghouse import objects`.

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use meetinghouse_core::collection::{self, Format, ImportOptions, ImportReport, Mapping};
use meetinghouse_store::orgs;

use crate::error::WebError;
use crate::forms::{FormData, Upload};
use crate::page::{Page, render_status};
use crate::state::AppState;
use crate::viewer::Viewer;

/// Largest collection file accepted from the browser, in bytes (the command
/// line has no limit).
pub const MAX_IMPORT_BYTES: usize = 50 * 1024 * 1024;

#[derive(Template)]
#[template(path = "objects/import.html")]
struct ImportPage {
    page: Page,
    slug: String,
    org_name: String,
    form: FormData,
    error: Option<String>,
    report: Option<ImportReport>,
    max_mb: usize,
}

pub async fn form(State(state): State<AppState>, viewer: Viewer, Path(slug): Path<String>) -> Result<Response, WebError> {
    let actor = viewer.require()?;
    collection::ensure_can_import(&state.db, actor, &slug).await?;
    let org = orgs::by_slug(&state.db, &slug).await?.ok_or(WebError::NotFound)?;
    Ok(render_status(StatusCode::OK, &ImportPage {
        page: Page::new(&viewer, format!("Import into {}", org.name)),
        slug,
        org_name: org.name,
        form: FormData::default(),
        error: None,
        report: None,
        max_mb: MAX_IMPORT_BYTES / (1024 * 1024),
    }))
}

pub async fn submit(State(state): State<AppState>, Path(slug): Path<String>, req: Request) -> Result<Response, WebError> {
    // Only someone who may import here gets their file read.
    let pending = Upload::start(req, &state).await?;
    let org_id = collection::ensure_can_import(&state.db, pending.viewer.require()?, &slug).await?;
    let upload = pending.read(&state, MAX_IMPORT_BYTES).await?;
    // The import cannot go on without its file: a file over the limit is refused whole.
    upload.refuse_too_large(MAX_IMPORT_BYTES)?;
    let Upload { viewer, data, files, turn: _turn, .. } = upload;
    let org = orgs::by_slug(&state.db, &slug).await?.ok_or(WebError::NotFound)?;
    let page = |error: Option<String>, report: Option<ImportReport>, form: FormData| {
        let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
        render_status(status, &ImportPage {
            page: Page::new(&viewer, format!("Import into {}", org.name)),
            slug: slug.clone(),
            org_name: org.name.clone(),
            form,
            error,
            report,
            max_mb: MAX_IMPORT_BYTES / (1024 * 1024),
        })
    };
    let form = data.without_secrets();
    let mapping = match data.get("mapping").trim() {
        "" => Mapping::default(),
        text => match Mapping::from_toml(text) {
            Ok(m) => m,
            Err(e) => return Ok(page(Some(e), None, form)),
        },
    };
    let Some(file) = files.into_iter().find(|f| f.field == "file") else {
        return Ok(page(Some("Choose a CSV or JSON file to import.".into()), None, form));
    };
    let format = Format::parse(data.get("format"));
    // The reader works on files (it streams large ones), so the upload is
    // written to a private temporary file that is removed afterwards.
    let ext = std::path::Path::new(&file.filename).extension().and_then(|e| e.to_str()).unwrap_or("dat").to_ascii_lowercase();
    let ext: String = ext.chars().filter(|c| c.is_ascii_alphanumeric()).take(8).collect();
    let tmp = std::env::temp_dir().join(format!("meetinghouse-import-{}.{ext}", meetinghouse_core::secrets::random_token()));
    let result = async {
        tokio::fs::write(&tmp, &file.bytes).await.map_err(|e| WebError::Internal(e.into()))?;
        let opened = match collection::open(&tmp, format, &mapping) {
            Ok(o) => o,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let options = ImportOptions { org_id, mapping: mapping.clone(), format };
        let report = collection::import_records(&state.db, &options, opened.records, &mut |_| {}).await?;
        Ok::<_, WebError>(Ok(report))
    }
    .await;
    let _ = tokio::fs::remove_file(&tmp).await;
    match result? {
        Ok(report) => {
            tracing::info!(org = %slug, created = report.created, updated = report.updated, skipped = report.skipped, "browser import");
            Ok(page(None, Some(report), form))
        }
        Err(message) => Ok(page(Some(message), None, form)),
    }
}
