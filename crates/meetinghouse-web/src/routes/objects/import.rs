//! `GET/POST /orgs/{slug}/import` — organisation admins import collection
//! records from the browser: the same formats, mapping and report as
//! `meetinghouse import objects`.

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use meetinghouse_core::collection::{self, Failure, Format, ImportFailed, ImportOptions, ImportReport, Mapping};
use meetinghouse_core::error::FieldErrors;
use meetinghouse_core::orgs;

use crate::error::WebError;
use crate::forms::{FormData, Upload, too_large_message};
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
    /// What is wrong with the file (`file`) or the mapping (`mapping`).
    errors: FieldErrors,
    /// Why an import stopped part-way (the report says what was stored).
    stopped: Option<String>,
    report: Option<ImportReport>,
    max_mb: usize,
}

/// The form's fields.
fn form_field(name: &str) -> bool {
    matches!(name, "file" | "format" | "mapping")
}

pub async fn form(State(state): State<AppState>, viewer: Viewer, uri: Uri, Path(slug): Path<String>) -> Result<Response, WebError> {
    // At the organisation's own address, as its page is.
    let org = orgs::by_address(&state.db, &slug).await?.ok_or(WebError::NotFound)?;
    if let Some(to) = super::own_address(&uri, &org.slug) {
        return Ok(to);
    }
    let org = collection::import_target(&state.db, viewer.require()?, &slug).await?;
    Ok(render_status(StatusCode::OK, &ImportPage {
        page: Page::new(&viewer, format!("Import into {}", org.name)),
        slug: org.slug,
        org_name: org.name,
        form: FormData::default(),
        errors: FieldErrors::new(),
        stopped: None,
        report: None,
        max_mb: MAX_IMPORT_BYTES / (1024 * 1024),
    }))
}

pub async fn submit(State(state): State<AppState>, Path(slug): Path<String>, req: Request) -> Result<Response, WebError> {
    // Only someone who may import here gets their file read.
    let pending = Upload::start(req, &state).await?;
    let org = collection::import_target(&state.db, pending.viewer.require()?, &slug).await?;
    // On a turn of the imports' own, held until the report is written.
    let upload = pending.read_import(&state, MAX_IMPORT_BYTES, form_field).await?;
    let Upload { viewer, data, files, too_large, turn: _turn } = upload;
    let page = |errors: FieldErrors, stopped: Option<String>, report: Option<ImportReport>, form: FormData| {
        let status = if !errors.is_empty() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
        render_status(status, &ImportPage {
            page: Page::new(&viewer, format!("Import into {}", org.name)),
            slug: org.slug.clone(),
            org_name: org.name.clone(),
            form,
            errors,
            stopped,
            report,
            max_mb: MAX_IMPORT_BYTES / (1024 * 1024),
        })
    };
    let form = data.without_secrets();
    // The import cannot go on without its file: a file over the limit is
    // refused whole, with the form as it was sent.
    if let Some((_, filename)) = too_large.first() {
        let mut resp = page(file_error(too_large_message(filename, MAX_IMPORT_BYTES)), None, None, form);
        *resp.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
        return Ok(resp);
    }
    let mapping = match data.get("mapping").trim() {
        "" => Mapping::default(),
        text => match Mapping::from_toml(text) {
            Ok(m) => m,
            Err(e) => return Ok(page(FieldErrors(vec![("mapping", e)]), None, None, form)),
        },
    };
    let Some(file) = files.into_iter().find(|f| f.field == "file") else {
        return Ok(page(file_error("Choose a CSV or JSON file to import.".into()), None, None, form));
    };
    let format = Format::parse(data.get("format"));
    // The reader works on files (it streams large ones), so the upload is
    // written to a private temporary file, removed when `tmp` is dropped:
    // also when this request is (a timeout, a closed connection).
    let ext = std::path::Path::new(&file.filename).extension().and_then(|e| e.to_str()).unwrap_or("dat").to_ascii_lowercase();
    let ext: String = ext.chars().filter(|c| c.is_ascii_alphanumeric()).take(8).collect();
    let path = std::env::temp_dir().join(format!("meetinghouse-import-{}.{ext}", meetinghouse_core::secrets::random_token()));
    let bytes = file.bytes;
    let tmp = tokio::task::spawn_blocking(move || TempUpload::create(path, &bytes))
        .await
        .map_err(|e| WebError::Internal(e.into()))?
        .map_err(|e| WebError::Internal(e.into()))?;
    let opened = match collection::open(tmp.path(), format, &mapping) {
        Ok(o) => o,
        Err(e) => return Ok(page(file_error(e.to_string()), None, None, form)),
    };
    let options = ImportOptions { org_id: org.id, mapping: mapping.clone(), format };
    let result = collection::import_records(&state.db, &options, opened.records, &mut |_| {}).await;
    drop(tmp);
    match result {
        Ok(report) => {
            tracing::info!(org = %org.slug, created = report.created, updated = report.updated, skipped = report.skipped, "browser import");
            Ok(page(FieldErrors::new(), None, Some(report), form))
        }
        Err(ImportFailed { reason: Failure::File(e), .. }) => Ok(page(file_error(e.to_string()), None, None, form)),
        // Batches committed before the failure stay: the report says what
        // was stored, and running the same file again completes it.
        Err(ImportFailed { report, reason: Failure::Write { records, error } }) => {
            tracing::error!(org = %org.slug, records = %records, error = %error, created = report.created, updated = report.updated, "browser import stopped");
            let message = format!(
                "The import stopped part-way: the records {records} could not be stored because of a problem on our side. The {} records counted below were stored; import the same file again to complete it. If it happens again, tell the site's administrators.",
                report.imported()
            );
            let mut resp = page(FieldErrors::new(), Some(message), Some(report), form);
            *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            Ok(resp)
        }
    }
}

/// A problem with the file, shown at its field.
fn file_error(message: String) -> FieldErrors {
    FieldErrors(vec![("file", message)])
}

/// An uploaded file's private copy on disk: created new, readable only by
/// this user (0600 on unix), removed when dropped.
struct TempUpload(std::path::PathBuf);

impl TempUpload {
    fn create(path: std::path::PathBuf, bytes: &[u8]) -> std::io::Result<TempUpload> {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path)?;
        // From here the file is ours to remove, whatever happens next.
        let upload = TempUpload(path);
        file.write_all(bytes)?;
        Ok(upload)
    }

    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempUpload {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::TempUpload;

    #[test]
    fn an_upload_copy_is_private_and_removed_when_dropped() {
        let path = std::env::temp_dir().join(format!("meetinghouse-import-test-{}.csv", std::process::id()));
        let upload = TempUpload::create(path.clone(), b"a,b\n").unwrap();
        assert_eq!(std::fs::read(upload.path()).unwrap(), b"a,b\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // Never over a file already there.
        assert!(TempUpload::create(path.clone(), b"x").is_err());
        assert!(path.exists(), "a failed create leaves the other file alone");
        drop(upload);
        assert!(!path.exists());
    }
}
