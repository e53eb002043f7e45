//! `GET/POST /orgs/{slug}/import` — an organisation's staff and admins
//! import collection records from the browser: the same formats, mapping
//! and report as `meetinghouse import objects`. The import runs in the
//! background (core `collection::jobs`), whatever becomes of this request:
//! a file done within [`INLINE_WAIT_MS`] gets its report on this page, a
//! longer one its status page (`/orgs/{slug}/imports/{id}`, which shows its
//! progress and then its report). The first import into a collection an
//! instance admin has not opened waits for one ("Check the file" never waits).

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use meetinghouse_core::collection::jobs::{self, Asked, Gate, Outcome};
use meetinghouse_core::collection::{self, ImportReport};
use meetinghouse_core::error::FieldErrors;
use meetinghouse_core::{CoreError, orgs};
use meetinghouse_store::orgs::OrgRow;

use crate::error::WebError;
use crate::forms::{FormData, Upload, UploadTurn, too_large_message};
use crate::middleware::see_other_with_flash;
use crate::page::{Page, render_status};
use crate::routes::conversations::mailer;
use crate::state::AppState;
use crate::viewer::Viewer;

/// Largest collection file accepted from the browser, in bytes (the command
/// line has no limit).
pub const MAX_IMPORT_BYTES: usize = 50 * 1024 * 1024;

/// How long the form's request waits for its import before it sends the
/// person to the import's status page instead of showing the report.
pub const INLINE_WAIT_MS: u64 = 3_000;

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
    /// The viewer may have an import withdraw the objects its file lacks.
    is_org_admin: bool,
    /// The collection waits for an instance admin before its first import.
    waits: bool,
    /// The moderators hold the collection.
    held: bool,
    /// The import the report is of, for its page.
    status: Option<String>,
    /// The organisation's latest imports: (its page, file name, state in
    /// words, when it was sent).
    recent: Vec<(String, String, &'static str, String)>,
}

/// The form's fields.
fn form_field(name: &str) -> bool {
    matches!(name, "file" | "format" | "mapping" | "action" | "withdraw_missing" | "withdraw_many")
}

pub async fn form(State(state): State<AppState>, viewer: Viewer, uri: Uri, Path(slug): Path<String>) -> Result<Response, WebError> {
    // At the organisation's own address, as its page is.
    let org = orgs::by_address(&state.db, &slug).await?.ok_or(WebError::NotFound)?;
    if let Some(to) = super::own_address(&uri, &org.slug) {
        return Ok(to);
    }
    let actor = viewer.require()?;
    let org = collection::import_target(&state.db, actor, &slug).await?;
    let page = page_for(&state, &viewer, &org, FormData::default(), FieldErrors::new()).await?;
    Ok(render_status(StatusCode::OK, &page))
}

/// The form page for `org`, as `viewer` sees it.
async fn page_for(state: &AppState, viewer: &Viewer, org: &OrgRow, form: FormData, errors: FieldErrors) -> Result<ImportPage, WebError> {
    let actor = viewer.require()?;
    let gate = jobs::gate(&state.db, actor, org.id).await?;
    let recent = jobs::recent(&state.db, actor, org.id)
        .await?
        .iter()
        .map(|(i, words)| (jobs::status_path(&org.slug, i.id), i.file_name.clone(), *words, crate::page::datetime(&i.created_at)))
        .collect();
    Ok(ImportPage {
        page: Page::new(viewer, format!("Import into {}", org.name)),
        slug: org.slug.clone(),
        org_name: org.name.clone(),
        form,
        errors,
        stopped: None,
        report: None,
        max_mb: MAX_IMPORT_BYTES / (1024 * 1024),
        is_org_admin: collection::is_org_admin(&state.db, actor, org.id).await?,
        waits: gate == Gate::Waits,
        held: gate == Gate::Held,
        status: None,
        recent,
    })
}

pub async fn submit(State(state): State<AppState>, Path(slug): Path<String>, req: Request) -> Result<Response, WebError> {
    // Only someone who may import here gets their file read.
    let pending = Upload::start(req, &state).await?;
    let org = collection::import_target(&state.db, pending.viewer.require()?, &slug).await?;
    // On a turn of the imports' own, held until the import ends.
    let upload = pending.read_import(&state, MAX_IMPORT_BYTES, form_field).await?;
    let Upload { viewer, data, files, too_large, turn } = upload;
    let actor = viewer.require()?.clone();
    let form = data.without_secrets();
    let again = async |status: StatusCode, errors: FieldErrors, form: FormData| -> Result<Response, WebError> {
        let page = page_for(&state, &viewer, &org, form, errors).await?;
        Ok(render_status(status, &page))
    };
    // The import cannot go on without its file: a file over the limit is
    // refused whole, with the form as it was sent.
    if let Some((_, filename)) = too_large.first() {
        return again(StatusCode::PAYLOAD_TOO_LARGE, file_error(too_large_message(filename, MAX_IMPORT_BYTES)), form).await;
    }
    let asked = Asked {
        format: data.get("format").to_string(),
        mapping: data.get("mapping").to_string(),
        dry_run: data.get("action") == "check",
        withdraw_missing: !data.get("withdraw_missing").is_empty(),
        withdraw_many: !data.get("withdraw_missing").is_empty() && !data.get("withdraw_many").is_empty(),
    };
    if let Err(CoreError::Invalid(errors)) = asked.parsed_mapping() {
        return again(StatusCode::UNPROCESSABLE_ENTITY, errors, form).await;
    }
    let Some(file) = files.into_iter().find(|f| f.field == "file") else {
        return again(StatusCode::UNPROCESSABLE_ENTITY, file_error("Choose a CSV or JSON file to import.".into()), form).await;
    };
    let gate = match jobs::check(&state.db, &actor, &org, &asked).await {
        Ok(g) => g,
        Err(CoreError::Invalid(errors)) => return again(StatusCode::UNPROCESSABLE_ENTITY, errors, form).await,
        Err(CoreError::Forbidden(m)) => return again(StatusCode::FORBIDDEN, FieldErrors(vec![("form", m)]), form).await,
        Err(other) => return Err(other.into()),
    };
    if gate == Gate::Waits {
        let id = jobs::wait_for_admin(&state.db, mailer(&state, &viewer), &actor, &org, &file.filename, &file.bytes, &asked).await?;
        return Ok(see_other_with_flash(
            &jobs::status_path(&org.slug, id),
            "Your file is kept: this collection's first import waits for an admin of the meeting house, who has been told. It runs once they open the collection.",
            state.config.tls,
        ));
    }
    let (handle, id) = start(&state, Job::New { actor: Box::new(actor.clone()), org: Box::new(org.clone()) }, &file.filename, file.bytes, asked, turn).await?;
    // Small files are done at once: their report is shown here. A longer
    // import goes on by itself; its page shows how far it has got.
    let status = jobs::status_path(&org.slug, id.await.map_err(|e| WebError::Internal(e.into()))?.map_err(WebError::from)?);
    let outcome = match tokio::time::timeout(std::time::Duration::from_millis(INLINE_WAIT_MS), handle).await {
        Ok(Ok(Some(outcome))) => outcome,
        _ => return Ok(see_other_with_flash(&status, "The import is under way: this page shows how far it has got, then its report.", state.config.tls)),
    };
    let mut page = page_for(&state, &viewer, &org, form, FieldErrors::new()).await?;
    page.status = Some(status);
    let code = match outcome {
        Outcome::Done(report) => {
            page.report = Some(report);
            StatusCode::OK
        }
        Outcome::Refused(e) => {
            page.errors = FieldErrors(vec![(e.field, e.message)]);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        // Batches committed before it stopped stay: the report says what
        // was stored, and running the same file again completes it.
        Outcome::Stopped { report, message, ours } => {
            page.report = Some(report);
            page.stopped = Some(message);
            if ours { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::UNPROCESSABLE_ENTITY }
        }
    };
    Ok(render_status(code, &page))
}

/// `POST /orgs/{slug}/imports/{id}/import` — imports the file of a check
/// as it was checked, without choosing it again (only its sender, within a
/// day; WCAG 3.3.7). It goes to the new import's page. The check's file
/// stays kept until an import is recorded with it (core
/// `jobs::record_checked`): the import's turn is taken first, and when the
/// server's imports are busy, or the import cannot start, the person is
/// sent back to the check's page, told that the file is still kept.
pub async fn import_checked(State(state): State<AppState>, Path((slug, id)): Path<(String, i64)>, form: crate::forms::Form) -> Result<Response, WebError> {
    let viewer = form.viewer;
    let actor = viewer.require()?.clone();
    let org = collection::import_target(&state.db, &actor, &slug).await?;
    let check = jobs::status_path(&org.slug, id);
    // The file is no longer kept: taken by an import (a second press, or
    // one after the first: sent to that import, the review fixC33's M2), or
    // forgotten.
    let gone = async |state: &AppState| -> Result<Response, WebError> {
        if let Some(import) = jobs::import_of_check(&state.db, &actor, &org, id).await? {
            return Ok(see_other_with_flash(&jobs::status_path(&org.slug, import), CHECKED_TAKEN, state.config.tls));
        }
        let gone = "This check's file is no longer kept (a check's file is kept for a day, and only your latest one): choose the file again to import it.";
        Ok(see_other_with_flash(&format!("/orgs/{}/import", org.slug), gone, state.config.tls))
    };
    let (file_name, asked, gate) = match jobs::look_checked(&state.db, &actor, &org, id).await {
        Ok(jobs::Checked::Ready { file_name, asked, gate }) => (file_name, asked, gate),
        Ok(jobs::Checked::Gone) => return gone(&state).await,
        Err(CoreError::Forbidden(m)) => return Ok(see_other_with_flash(&check, &m, state.config.tls)),
        Err(CoreError::Invalid(errors)) => {
            let m = errors.0.first().map(|(_, m)| m.clone()).unwrap_or_default();
            return Ok(see_other_with_flash(&check, &m, state.config.tls));
        }
        Err(other) => return Err(other.into()),
    };
    if gate == Gate::Waits {
        let Some(id) = jobs::wait_for_admin_checked(&state.db, mailer(&state, &viewer), &actor, &org, id, &file_name, &asked).await? else {
            return gone(&state).await;
        };
        return Ok(see_other_with_flash(
            &jobs::status_path(&org.slug, id),
            "Your file is kept: this collection's first import waits for an admin of the meeting house, who has been told. It runs once they open the collection.",
            state.config.tls,
        ));
    }
    // The turn before the file is read: at most `IMPORTS_AT_ONCE` hold one.
    let turn = match crate::forms::UploadTurn::take_import(&state.uploads).await {
        Ok(turn) => turn,
        Err(WebError::TooManyRequests(_)) => return Ok(see_other_with_flash(&check, CHECKED_BUSY, state.config.tls)),
        Err(other) => return Err(other),
    };
    let Some(bytes) = jobs::checked_file(&state.db, id).await? else {
        return gone(&state).await;
    };
    let job = Job::Checked { actor: Box::new(actor.clone()), org: Box::new(org.clone()), check: id };
    let started = match start(&state, job, &file_name, bytes, asked, Some(turn)).await {
        Ok((_, started)) => started.await.map_err(|e| CoreError::Internal(e.to_string())).and_then(|r| r),
        Err(e) => Err(CoreError::Internal(format!("{e:?}"))),
    };
    match started {
        Ok(import) => Ok(see_other_with_flash(
            &jobs::status_path(&org.slug, import),
            "The import of the file you checked is under way: this page shows how far it has got, then its report.",
            state.config.tls,
        )),
        // Taken by another request (a second press) or forgotten meanwhile.
        Err(CoreError::NotFound) => gone(&state).await,
        Err(e) => {
            tracing::error!(org = %org.slug, check = id, error = %e, "an import of a checked file could not be started; the file is still kept");
            Ok(see_other_with_flash(&check, CHECKED_NOT_STARTED, state.config.tls))
        }
    }
}

/// What the page of the import that took a check's file says to a later
/// press of "Import this file as checked".
pub const CHECKED_TAKEN: &str = "This file is already being imported (pressing “Import this file as checked” again does not import it twice): this page shows how far that import has got, then its report.";

/// What the check's page says when the server's imports stayed busy.
pub const CHECKED_BUSY: &str = "Other collection imports are under way on the server right now, so this one could not start, and nothing was imported. Your checked file is still kept: try “Import this file as checked” again in a few minutes.";

/// What the check's page says when the import could not be started.
pub const CHECKED_NOT_STARTED: &str = "The import could not be started because of a problem on our side, and nothing was imported. Your checked file is still kept: try “Import this file as checked” again; if it happens again, tell the site's administrators.";

/// Which import [`start`] runs: a new one, recorded on its task (so a
/// request dropped after the task began cannot leave it half made); one of
/// a check's kept file, recorded on its task in the transaction that takes
/// the file (`jobs::record_checked`: its id is sent as "not found" when the
/// file is no longer kept); or one recorded before (a waiting import an
/// instance admin approved).
pub(crate) enum Job {
    New { actor: Box<meetinghouse_core::Actor>, org: Box<OrgRow> },
    Checked { actor: Box<meetinghouse_core::Actor>, org: Box<OrgRow>, check: i64 },
    Recorded { id: i64, org_id: i64, by: i64 },
}

/// Starts an import of `bytes` on a task of its own, which records it (a
/// new one), runs it to its end, and keeps the import's turn (if it has
/// one) and the file's private copy until then. Returns the task, and the
/// import's id once it is recorded.
pub(crate) async fn start(
    state: &AppState,
    job: Job,
    filename: &str,
    bytes: Vec<u8>,
    asked: Asked,
    turn: Option<UploadTurn>,
) -> Result<(tokio::task::JoinHandle<Option<Outcome>>, tokio::sync::oneshot::Receiver<Result<i64, CoreError>>), WebError> {
    // The reader works on files (it streams large ones), so the upload is
    // written to a private temporary file, removed when the import ends.
    let ext = std::path::Path::new(filename).extension().and_then(|e| e.to_str()).unwrap_or("dat").to_ascii_lowercase();
    let ext: String = ext.chars().filter(|c| c.is_ascii_alphanumeric()).take(8).collect();
    let path = std::env::temp_dir().join(format!("meetinghouse-import-{}.{ext}", meetinghouse_core::secrets::random_token()));
    let size = bytes.len();
    let tmp = tokio::task::spawn_blocking(move || TempUpload::create(path, &bytes))
        .await
        .map_err(|e| WebError::Internal(e.into()))?
        .map_err(|e| WebError::Internal(e.into()))?;
    let db = state.db.clone();
    let app = state.clone();
    let filename = filename.to_string();
    let (id_tx, id_rx) = tokio::sync::oneshot::channel();
    let handle = tokio::spawn(async move {
        let (id, org_id, by) = match job {
            Job::Recorded { id, org_id, by } => (id, org_id, by),
            Job::New { actor, org } => match jobs::record(&db, &actor, &org, &filename, size, &asked).await {
                Ok(id) => (id, org.id, actor.id),
                Err(e) => {
                    tracing::error!(org = %org.slug, error = %e, "a collection import could not be recorded");
                    let _ = id_tx.send(Err(e));
                    return None;
                }
            },
            Job::Checked { actor, org, check } => match jobs::record_checked(&db, &actor, &org, check, &filename, size, &asked).await {
                Ok(Some(id)) => (id, org.id, actor.id),
                Ok(None) => {
                    let _ = id_tx.send(Err(CoreError::NotFound));
                    return None;
                }
                Err(e) => {
                    tracing::error!(org = %org.slug, check, error = %e, "a collection import could not be recorded; the checked file is still kept");
                    let _ = id_tx.send(Err(e));
                    return None;
                }
            },
        };
        let _ = id_tx.send(Ok(id));
        // Its sender is told how it really ended should it have been taken
        // for stopped while it ran (`jobs::run_telling`).
        let settings = app.settings().await;
        let mail = meetinghouse_core::notifications::Mailer { settings: &settings, base_url: &app.config.base_url };
        let outcome = jobs::run_telling(&db, mail, id, org_id, by, tmp.path(), &asked).await;
        // A check that read the whole file keeps it a day, so its sender
        // can import it without choosing it again.
        if asked.dry_run && matches!(outcome, Outcome::Done(_)) {
            let kept = match tokio::fs::read(tmp.path()).await {
                Ok(bytes) => jobs::keep_checked(&db, id, &bytes).await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = kept {
                tracing::warn!(import = id, error = %e, "a checked collection file could not be kept; it can be chosen again");
            }
        }
        drop(tmp);
        drop(turn);
        Some(outcome)
    });
    Ok((handle, id_rx))
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
