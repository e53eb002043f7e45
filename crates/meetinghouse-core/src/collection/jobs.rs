//! Browser imports in the background: an import is recorded (store
//! `collection_imports`), runs on its own task whatever becomes of the
//! request that sent it — it finishes or fails by itself, and is logged
//! either way — and notes its progress and then its report in the
//! database, so any app server shows its status page.
//!
//! The first import into an organisation's collection waits for an
//! instance admin ([`gate`]): a spam account may create an organisation,
//! but cannot fill the meeting house's search with thousands of pages. The
//! file is kept in the database until an instance admin opens the
//! collection (the import then runs) or declines it; an organisation an
//! instance admin created is open from the start, and the instance setting
//! `collection_approval` ("off") lets every organisation's imports run at
//! once. Checking a file without importing it never waits.

use std::path::Path;
use std::sync::atomic::Ordering;

use meetinghouse_store::collection_imports::{self as store, ImportRow};
use meetinghouse_store::orgs::OrgRow;
use meetinghouse_store::{Db, StoreError, orgs};
use serde::{Deserialize, Serialize};

use super::import::{self, Failure, FileError, ImportFailed, ImportOptions, ImportReport, ImportRun, Progress};
use super::mapping::{Format, Mapping};
use crate::Actor;
use crate::error::{CoreError, FieldErrors, Result};
use crate::notifications::{self, Kind, Mailer};

/// The instance setting that makes an organisation's first import wait for
/// an instance admin: on unless it is "off".
pub const APPROVAL_SETTING: &str = "collection_approval";

/// How often a running import's task notes that it is still going, in
/// seconds, however long a batch takes ([`run`]).
pub const HEARTBEAT_SECS: u64 = 20;

/// A running import that noted nothing for this long stopped without
/// finishing (its server went away): its page says so, and the periodic
/// jobs mark it failed and tell its sender ([`fail_stale`]). Six missed
/// heartbeats ([`HEARTBEAT_SECS`]). Measured on the database's clock alone
/// (store `collection_imports::db_now`), on which every note is stamped, so
/// app servers whose clocks are apart, or a clock that jumps, never take a
/// live import for stopped.
pub const STALE_SECS: i64 = 2 * 60;

/// What an import that stopped without finishing says (its server went
/// away: restarted, or stopped).
pub const STALE_OUTCOME: &str = "The import stopped without finishing: the meeting house's server was restarted or stopped while it ran. \
What it stored before then is kept (it stores whole batches of records); import the same file again to complete it (records already stored are left as they are).";

/// What a waiting import says when its sender closed their account.
pub const SENDER_CLOSED: &str = "The person who sent this import closed their account, so it was declined and its file not kept.";

/// What was asked of an import, as the form sent it (kept with it, so an
/// import that waited runs as it was asked).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Asked {
    /// "csv", "json", "jsonl", or empty to tell from the file.
    pub format: String,
    /// The mapping's text, as typed.
    pub mapping: String,
    pub dry_run: bool,
    pub withdraw_missing: bool,
    /// With `withdraw_missing`: withdraw them even when they are more than
    /// `import::withdraws_many` allows ("Withdraw them even if that is most
    /// of the collection"). Absent from what older imports were asked.
    #[serde(default)]
    pub withdraw_many: bool,
}

impl Asked {
    /// The mapping, parsed; an error at the form's `mapping` field.
    pub fn parsed_mapping(&self) -> Result<Mapping> {
        match self.mapping.trim() {
            "" => Ok(Mapping::default()),
            text => Mapping::from_toml(text).map_err(|e| FieldErrors::one("mapping", e)),
        }
    }
}

/// Whether an import into a collection runs now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// Its first import waits for an instance admin.
    Waits,
    /// The moderators withdrew the whole collection: nothing is imported.
    Held,
}

/// Whether an import by `actor` into organisation `org` runs now, waits for
/// an instance admin, or is refused.
pub async fn gate(db: &Db, actor: &Actor, org: i64) -> Result<Gate> {
    let g = orgs::collection_gate(db, org).await?;
    if g.collection_held_at.is_some() {
        return Ok(Gate::Held);
    }
    if g.collection_opened_at.is_some() || actor.is_admin || !approval_needed(db).await? {
        return Ok(Gate::Open);
    }
    Ok(Gate::Waits)
}

/// Whether first imports wait for an instance admin (the setting is on
/// unless it is "off").
pub async fn approval_needed(db: &Db) -> Result<bool> {
    Ok(!matches!(meetinghouse_store::settings::get(db, APPROVAL_SETTING).await?.as_deref(), Some("off" | "false")))
}

/// What the refusal of an import into a held collection says.
pub const HELD: &str = "The meeting house's moderators withdrew this organisation's collection, so nothing can be imported into it. Ask them to look again: use “Report this organisation” on its page.";

/// Checks that `actor` (who may import into `org`: `super::import_target`)
/// may send this import, and says whether it runs now or waits for an
/// instance admin ([`Gate::Open`] or [`Gate::Waits`]; a check of a file
/// never waits): refused for a collection the moderators hold, and for
/// "withdraw objects not in this file" from someone who is not an admin of
/// the organisation. Writes nothing.
pub async fn check(db: &Db, actor: &Actor, org: &OrgRow, asked: &Asked) -> Result<Gate> {
    if asked.withdraw_missing && !super::is_org_admin(db, actor, org.id).await? {
        return Err(FieldErrors::one(
            "withdraw_missing",
            format!("Only the admins of {} can have an import withdraw the objects its file does not have.", org.name),
        ));
    }
    Ok(match gate(db, actor, org.id).await? {
        _ if asked.dry_run => Gate::Open,
        Gate::Held => return Err(CoreError::Forbidden(HELD.into())),
        g => g,
    })
}

/// Records an import the operator runs from the command line, as a
/// browser import is but with no sender, so it has an id (for putting back
/// what it withdraws, `withdraw::put_back_import`) and a status page, and
/// is listed with the organisation's imports. It runs at once; the command
/// notes that it is still going ([`beat`], every [`HEARTBEAT_SECS`]) and
/// how far it has read ([`note_progress`]), and records how it ended
/// ([`end_by_operator`]).
pub async fn record_by_operator(db: &Db, org_id: i64, file_name: &str, file_bytes: u64, asked: &Asked) -> Result<i64> {
    let options = serde_json::to_string(asked).unwrap_or_default();
    Ok(store::insert_by_operator(db, org_id, &file_label(file_name), file_bytes as i64, &options).await?)
}

/// Notes how far running import `id` has read: `records`, and `bytes` of its file.
pub async fn note_progress(db: &Db, id: i64, records: u64, bytes: u64) -> Result<()> {
    Ok(store::progress(db, id, records as i64, bytes as i64).await?)
}

/// Records how the operator's import `id` ([`record_by_operator`]) ended:
/// its report, if it has one, and why it stopped, if it did.
pub async fn end_by_operator(db: &Db, id: i64, report: Option<&ImportReport>, stopped: Option<&str>) -> Result<()> {
    let state = if stopped.is_some() || report.is_none() { "failed" } else { "done" };
    let json = report.map(|r| serde_json::to_string(r).unwrap_or_default()).unwrap_or_default();
    let read = report.map_or(0, |r| r.read() as i64);
    if !store::finish(db, id, state, read, &json, stopped.unwrap_or(""), STALE_OUTCOME).await? {
        tracing::warn!(import = id, "a collection import ended, but its row was no longer running: how it ended is not recorded");
    }
    Ok(())
}

/// Records an import that runs now ([`check`] said [`Gate::Open`]): its id,
/// for [`run`]. An instance admin's import opens the collection.
pub async fn record(db: &Db, actor: &Actor, org: &OrgRow, file_name: &str, file_bytes: usize, asked: &Asked) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id = record_in(&mut tx, actor, org, file_name, file_bytes, asked).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(id)
}

async fn record_in(tx: &mut meetinghouse_store::Tx, actor: &Actor, org: &OrgRow, file_name: &str, file_bytes: usize, asked: &Asked) -> Result<i64> {
    let options = serde_json::to_string(asked).unwrap_or_default();
    if actor.is_admin && !asked.dry_run {
        orgs::open_collection(tx, org.id, meetinghouse_store::now()).await?;
    }
    Ok(store::insert(tx, org.id, actor.id, &file_label(file_name), file_bytes as i64, &options, "running").await?)
}

/// [`record`] for the import of check `check_id`'s kept file ([`look_checked`]),
/// in the transaction that stops keeping it: the file is taken only with
/// an import recorded to run it, so a busy server or a failure before then
/// leaves it kept, to try again. `None`, recording nothing, when it is no
/// longer kept (imported already, or forgotten).
pub async fn record_checked(db: &Db, actor: &Actor, org: &OrgRow, check_id: i64, file_name: &str, file_bytes: usize, asked: &Asked) -> Result<Option<i64>> {
    let mut tx = db.begin().await?;
    if !store::take_checked_file(&mut tx, check_id).await? {
        return Ok(None);
    }
    let id = record_in(&mut tx, actor, org, file_name, file_bytes, asked).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Some(id))
}

/// Records an import that waits for an instance admin ([`check`] said
/// [`Gate::Waits`]), its file kept with it, and tells the instance admins;
/// its id.
pub async fn wait_for_admin(db: &Db, mail: Mailer<'_>, actor: &Actor, org: &OrgRow, file_name: &str, file: &[u8], asked: &Asked) -> Result<i64> {
    let tx = db.begin().await?;
    waiting_in(tx, mail, actor, org, file_name, file, asked).await
}

/// [`wait_for_admin`] with check `check_id`'s kept file ([`look_checked`]),
/// in the transaction that stops keeping it for the check; `None`, writing
/// nothing, when it is no longer kept.
pub async fn wait_for_admin_checked(db: &Db, mail: Mailer<'_>, actor: &Actor, org: &OrgRow, check_id: i64, file_name: &str, asked: &Asked) -> Result<Option<i64>> {
    // A kept file never changes; it is only ever taken or forgotten.
    let Some(file) = store::checked_file(db, check_id).await? else {
        return Ok(None);
    };
    let mut tx = db.begin().await?;
    if !store::take_checked_file(&mut tx, check_id).await? {
        return Ok(None);
    }
    Ok(Some(waiting_in(tx, mail, actor, org, file_name, &file, asked).await?))
}

async fn waiting_in(mut tx: meetinghouse_store::Tx, mail: Mailer<'_>, actor: &Actor, org: &OrgRow, file_name: &str, file: &[u8], asked: &Asked) -> Result<i64> {
    let options = serde_json::to_string(asked).unwrap_or_default();
    let name = file_label(file_name);
    let id = store::insert(&mut tx, org.id, actor.id, &name, file.len() as i64, &options, "waiting").await?;
    store::keep_file(&mut tx, id, file).await?;
    let text = format!(
        "{} (@{}) asks to import {} into the collection of {}: its first import waits for an instance admin.",
        actor.display_name, actor.handle, name, org.name
    );
    let from = notifications::Source { sender: Some(actor.id), reply: None };
    for admin in store::instance_admins(&mut tx).await? {
        notifications::notify_from(&mut tx, mail, admin, Kind::Moderation, &text, &status_path(&org.slug, id), from).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(org = %org.slug, import = id, "collection import waiting for an instance admin");
    Ok(id)
}

/// A file's name as its import's page shows it.
fn file_label(file_name: &str) -> String {
    let name: String = crate::types::without_controls(file_name.trim()).chars().take(200).collect();
    if name.is_empty() { "a file".to_string() } else { name }
}

/// The address of an import's status page.
pub fn status_path(org_slug: &str, id: i64) -> String {
    format!("/orgs/{org_slug}/imports/{id}")
}

/// How an import ended.
#[derive(Debug)]
pub enum Outcome {
    /// It read the whole file (a dry run included).
    Done(ImportReport),
    /// The file was refused before anything was written (`FileError::field`
    /// says what to correct).
    Refused(FileError),
    /// It stopped part-way: the report says what was stored first. `ours`:
    /// a problem on the meeting house's side (a write failed), not the file's.
    Stopped { report: ImportReport, message: String, ours: bool },
}

/// Runs a recorded import ([`begin`], [`approve`]) of the file at `path`
/// into organisation `org_id` to its end, noting its progress (after each
/// batch) and then its report and outcome in the database, and logging
/// how it ended.
pub async fn run(db: &Db, id: i64, org_id: i64, by: i64, path: &Path, asked: &Asked) -> Outcome {
    run_marked(db, id, org_id, by, path, asked).await.0
}

/// [`run`], and when the import had been taken for stopped while it ran
/// ([`fail_stale`], which told its sender it stopped without finishing),
/// its sender is told how it really ended (the review fixC33's L6), so
/// they do not send the same file again for nothing.
pub async fn run_telling(db: &Db, mail: Mailer<'_>, id: i64, org_id: i64, by: i64, path: &Path, asked: &Asked) -> Outcome {
    let (outcome, marked) = run_marked(db, id, org_id, by, path, asked).await;
    if marked && let Err(e) = tell_late_end(db, mail, id, &outcome).await {
        tracing::warn!(import = id, error = %e, "could not tell the sender of a collection import how it really ended");
    }
    outcome
}

/// What the sender of an import taken for stopped is told when it ends
/// after all ([`run_telling`]).
pub fn late_end_words(file_name: &str, org_name: &str, outcome: &Outcome) -> String {
    let how = match outcome {
        Outcome::Done(r) if r.dry_run => "the check finished after all: nothing was imported".to_string(),
        Outcome::Done(r) => format!("it finished after all: {} created, {} updated", r.created, r.updated),
        Outcome::Refused(_) => "it ended, refusing the file".to_string(),
        Outcome::Stopped { report, .. } => format!("it ended part-way, having stored {} records", report.imported()),
    };
    format!(
        "Your import of {file_name} into the collection of {org_name} was still running when we told you it had stopped without finishing: {how}. Its page has its report; there is no need to import the same file again for what it stored."
    )
}

async fn tell_late_end(db: &Db, mail: Mailer<'_>, id: i64, outcome: &Outcome) -> Result<()> {
    let Some(row) = store::by_id(db, id).await? else { return Ok(()) };
    let (Some(person), Some(org)) = (row.person_id, orgs::by_id(db, row.org_id).await?) else { return Ok(()) };
    let mut tx = db.begin().await?;
    notifications::notify(&mut tx, mail, person, Kind::Moderation, &late_end_words(&row.file_name, &org.name, outcome), &status_path(&org.slug, id)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// [`run`], and whether the import was taken for stopped ([`fail_stale`])
/// at some moment while it ran: taken back at a heartbeat ([`beat`]), or
/// still marked when it ended.
async fn run_marked(db: &Db, id: i64, org_id: i64, by: i64, path: &Path, asked: &Asked) -> (Outcome, bool) {
    // Notes every HEARTBEAT_SECS that the import is still going, whatever a
    // batch takes, so one whose server went away is told apart quickly.
    let beat_db = db.clone();
    let resumed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let resumed_by_beat = resumed.clone();
    let heartbeat = tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(HEARTBEAT_SECS));
        every.tick().await;
        loop {
            every.tick().await;
            match beat(&beat_db, id).await {
                Ok(true) => resumed_by_beat.store(true, Ordering::Relaxed),
                Ok(false) => {}
                Err(e) => tracing::warn!(import = id, error = %e, "could not note that a collection import is still running"),
            }
        }
    });
    let outcome = run_inner(db, id, org_id, by, path, asked).await;
    heartbeat.abort();
    let marked_at_end = matches!(store::by_id(db, id).await, Ok(Some(r)) if r.state == "failed" && r.outcome == STALE_OUTCOME);
    let marked = marked_at_end || resumed.load(Ordering::Relaxed);
    let (state, report, message) = match &outcome {
        Outcome::Done(report) => ("done", Some(report), String::new()),
        Outcome::Refused(e) => ("failed", None, e.message.clone()),
        Outcome::Stopped { report, message, .. } => ("failed", Some(report), message.clone()),
    };
    let json = report.map(|r| serde_json::to_string(r).unwrap_or_default()).unwrap_or_default();
    let read = report.map_or(0, |r| r.read() as i64);
    // Over a mark of `fail_stale` too: this is how it really ended.
    match store::finish(db, id, state, read, &json, &message, STALE_OUTCOME).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(import = id, "a collection import ended, but its row was no longer running: how it ended is not recorded"),
        Err(e) => tracing::error!(import = id, error = %e, "could not record how a collection import ended"),
    }
    match &outcome {
        Outcome::Done(r) => tracing::info!(
            import = id, org = org_id, dry_run = r.dry_run, created = r.created, updated = r.updated, unchanged = r.unchanged,
            skipped = r.skipped, withdrawn_missing = r.withdrawn_missing, "collection import finished"
        ),
        Outcome::Refused(e) => tracing::info!(import = id, org = org_id, reason = %e, "collection import refused"),
        Outcome::Stopped { report, message, ours } => tracing::error!(
            import = id, org = org_id, created = report.created, updated = report.updated, ours, reason = %message, "collection import stopped"
        ),
    }
    (outcome, marked)
}

/// One heartbeat of running import `id` ([`run`]). Should another server
/// have taken it for stopped meanwhile ([`fail_stale`]: a database that
/// stalled, say), the import notices and takes its row back, so its page
/// says it is under way again; its end is recorded over the mark either way.
/// True when it took its row back.
pub async fn beat(db: &Db, id: i64) -> Result<bool> {
    if store::heartbeat(db, id).await? {
        return Ok(false);
    }
    let resumed = store::resume(db, id, STALE_OUTCOME).await?;
    if resumed {
        tracing::warn!(import = id, "a collection import still running had been marked stopped without finishing: marked running again");
    }
    Ok(resumed)
}

async fn run_inner(db: &Db, id: i64, org_id: i64, by: i64, path: &Path, asked: &Asked) -> Outcome {
    let mapping = match asked.parsed_mapping() {
        Ok(m) => m,
        Err(CoreError::Invalid(e)) => return Outcome::Refused(FileError::mapping(e.0.into_iter().map(|(_, m)| m).collect::<Vec<_>>().join(" "))),
        Err(e) => return Outcome::Refused(FileError::file(e.to_string())),
    };
    let format = Format::parse(&asked.format);
    let opened = match import::open(path, format, &mapping) {
        Ok(o) => o,
        Err(e) => return Outcome::Refused(e),
    };
    let options = ImportOptions { org_id, mapping, format };
    let run = ImportRun {
        dry_run: asked.dry_run,
        withdraw_missing: asked.withdraw_missing,
        withdraw_many: asked.withdraw_many,
        import_id: Some(id),
        by: Some(by),
        max_objects: None,
    };
    let position = opened.position.clone();
    let progress_db = db.clone();
    let result = import::import_records_run(db, &options, &run, opened.records, &mut |progress| {
        let Progress::Read(read) = progress else { return };
        // Noted on its own task: a progress note never holds up the import.
        let (db, bytes) = (progress_db.clone(), position.load(Ordering::Relaxed) as i64);
        tokio::spawn(async move {
            let _ = store::progress(&db, id, read as i64, bytes).await;
        });
    })
    .await;
    match result {
        Ok(report) => Outcome::Done(report),
        Err(ImportFailed { reason: Failure::File(e), .. }) => Outcome::Refused(e),
        Err(ImportFailed { report, reason: Failure::Stopped(message) }) => Outcome::Stopped { report, message, ours: false },
        Err(ImportFailed { report, reason: Failure::Write { records, error } }) => {
            tracing::error!(import = id, records = %records, error = %error, "a batch of a collection import could not be stored");
            let message = format!(
                "The import stopped part-way: the records {records} could not be stored because of a problem on our side. The {} records counted below were stored; import the same file again to complete it. If it happens again, tell the site's administrators.",
                report.imported()
            );
            Outcome::Stopped { report, message, ours: true }
        }
    }
}

/// What approving a waiting import into a held collection says.
pub const APPROVE_HELD: &str = "The moderators withdrew this organisation's whole collection, so nothing can be imported into it: put the collection back from its page first, then approve this import (or decline it).";

/// An instance admin opens organisation `org_id`'s collection for imports
/// and takes its waiting import to run: returns the import, what was asked
/// and its file (for [`run`]); the person who sent it is told. `None` when
/// it was no longer waiting (another admin took it, or it was declined);
/// "not found" when it is not that organisation's import. Refused while the
/// moderators hold the collection (read under the lock their withdrawal
/// takes): nothing changes.
pub async fn approve(db: &Db, mail: Mailer<'_>, actor: &Actor, org_id: i64, import_id: i64) -> Result<Option<(ImportRow, Asked, Vec<u8>)>> {
    if !actor.is_admin {
        return Err(CoreError::Forbidden("Only the meeting house's admins can open a collection for its first import.".into()));
    }
    let row = store::by_id(db, import_id).await?.filter(|r| r.org_id == org_id).ok_or(CoreError::NotFound)?;
    let org = orgs::by_id(db, row.org_id).await?.ok_or(CoreError::NotFound)?;
    let mut tx = db.begin().await?;
    if orgs::collection_held_in(&mut tx, db.backend(), org.id).await? {
        return Err(CoreError::Forbidden(APPROVE_HELD.into()));
    }
    let Some(file) = store::take_waiting(&mut tx, import_id, org.id).await? else {
        return Ok(None);
    };
    orgs::open_collection(&mut tx, org.id, meetinghouse_store::now()).await?;
    if let Some(person) = row.person_id {
        let text = format!("An admin opened the collection of {} for imports: your import of {} is running now.", org.name, row.file_name);
        notifications::notify(&mut tx, mail, person, Kind::Moderation, &text, &status_path(&org.slug, import_id)).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(org = %org.slug, import = import_id, "collection opened for imports by an instance admin");
    let asked = serde_json::from_str(&row.options).unwrap_or_default();
    Ok(Some((row, asked, file)))
}

/// Records that an approved import could not be started (its file could
/// not be written for the reader, on our side): it fails with `why`, so its
/// page does not say it is under way.
pub async fn start_failed(db: &Db, import_id: i64) -> Result<()> {
    let why = "The import could not be started because of a problem on our side, and its file was not kept. Send the file again; if it happens again, tell the site's administrators.";
    store::finish(db, import_id, "failed", 0, "", why, STALE_OUTCOME).await?;
    Ok(())
}

/// Marks failed the running imports that noted nothing for [`STALE_SECS`]
/// (their server went away), with [`STALE_OUTCOME`], and tells each one's
/// sender; at most 100 a run; how many. Run by the binary's periodic jobs;
/// several app servers may run it at once (an import is marked once), and
/// one still going notes a heartbeat well within the time, so it is never
/// taken for stopped. The time is the database's, on which every note is
/// stamped: `now`, the calling server's clock, which may be minutes off
/// another's, is never compared with them, only logged beside the
/// database's when an import is marked. Should one still going be marked
/// all the same, it takes its row back at its next heartbeat, and its end
/// is recorded over the mark ([`run`]).
pub async fn fail_stale(db: &Db, mail: Mailer<'_>, now: i64) -> Result<usize> {
    let mut failed = 0;
    for row in store::running_stale(db, STALE_SECS, 100).await? {
        let org = orgs::by_id(db, row.org_id).await?;
        let mut tx = db.begin().await?;
        if !store::fail_stale(&mut tx, row.id, STALE_SECS, STALE_OUTCOME).await? {
            continue;
        }
        if let (Some(person), Some(org)) = (row.person_id, &org) {
            let text = format!(
                "Your import of {} into the collection of {} stopped without finishing: the server was restarted. Its page says what was stored; import the same file again to complete it.",
                row.file_name, org.name
            );
            notifications::notify(&mut tx, mail, person, Kind::Moderation, &text, &status_path(&org.slug, row.id)).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        tracing::warn!(
            import = row.id, org = row.org_id, noted = row.updated_at, server_clock = now,
            "a collection import stopped without finishing (its server went away): marked failed"
        );
        failed += 1;
    }
    Ok(failed)
}

/// An instance admin declines a waiting import: its file goes, and the
/// person who sent it is told why (`reason`, optional).
pub async fn decline(db: &Db, mail: Mailer<'_>, actor: &Actor, import_id: i64, reason: &str) -> Result<bool> {
    if !actor.is_admin {
        return Err(CoreError::Forbidden("Only the meeting house's admins can decline an import.".into()));
    }
    let row = store::by_id(db, import_id).await?.ok_or(CoreError::NotFound)?;
    let org = orgs::by_id(db, row.org_id).await?.ok_or(CoreError::NotFound)?;
    let reason: String = crate::types::without_controls(reason.trim()).chars().take(1_000).collect();
    let outcome = if reason.is_empty() {
        "An admin of the meeting house declined this import.".to_string()
    } else {
        format!("An admin of the meeting house declined this import: {reason}")
    };
    let mut tx = db.begin().await?;
    if !store::decline(&mut tx, import_id, &outcome).await? {
        return Ok(false);
    }
    if let Some(person) = row.person_id {
        let text = format!("Your import of {} into the collection of {} was declined. {outcome}", row.file_name, org.name);
        notifications::notify(&mut tx, mail, person, Kind::Moderation, &text, &status_path(&org.slug, import_id)).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(true)
}

/// How long an import waits for an instance admin: one nobody answered in
/// 30 days is declined by itself ([`expire_waiting`]), so a file is not
/// kept for ever.
pub const WAIT_SECS: i64 = 30 * 24 * 3600;

/// What an import declined for want of an answer says.
pub const UNANSWERED: &str =
    "No admin of the meeting house answered within 30 days, so its file was not kept. Send it again if you still want it imported.";

/// Declines the imports that waited [`WAIT_SECS`] by `now` (their files
/// go) and tells each one's sender, at most 100 a run; how many. Run by the
/// binary's periodic jobs; several app servers may run it at once (an
/// import is declined once).
pub async fn expire_waiting(db: &Db, mail: Mailer<'_>, now: i64) -> Result<usize> {
    let mut declined = 0;
    for row in store::waiting_before(db, now - WAIT_SECS, 100).await? {
        let mut tx = db.begin().await?;
        if !store::decline(&mut tx, row.id, UNANSWERED).await? {
            continue;
        }
        if let Some(person) = row.person_id
            && let Some(org) = orgs::by_id(db, row.org_id).await?
        {
            let text = format!("Your import of {} into the collection of {} was declined. {UNANSWERED}", row.file_name, org.name);
            notifications::notify(&mut tx, mail, person, Kind::Moderation, &text, &status_path(&org.slug, row.id)).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        declined += 1;
    }
    Ok(declined)
}

/// How long a finished check's file is kept, so the person who sent it can
/// import it without choosing it again: a day, and only their latest
/// check's for each organisation (core `retention` forgets older ones).
pub const CHECKED_KEEP_SECS: i64 = 24 * 3600;

/// Keeps the file of check `import_id`, which read the whole file, for
/// [`take_checked`]; the same person's earlier checks' files for the
/// organisation go.
pub async fn keep_checked(db: &Db, import_id: i64, bytes: &[u8]) -> Result<()> {
    let row = store::by_id(db, import_id).await?.ok_or(CoreError::NotFound)?;
    let Some(person) = row.person_id else { return Ok(()) };
    let mut tx = db.begin().await?;
    store::forget_checks_of(&mut tx, row.org_id, person, import_id).await?;
    store::keep_file(&mut tx, import_id, bytes).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// A checked file, to be imported as it was checked.
#[derive(Debug)]
pub enum Checked {
    /// Its file is no longer kept (imported already, or a day went by).
    Gone,
    /// Its name, what was asked (no longer a check) and whether it runs now
    /// or waits for an instance admin; the file itself is read with
    /// [`checked_file`], and taken only with the import made of it
    /// ([`record_checked`], [`wait_for_admin_checked`]).
    Ready { file_name: String, asked: Asked, gate: Gate },
}

/// Looks at check `check_id`, to import its file as it was checked,
/// leaving the file kept: only for the person who sent the check (who still
/// may import: `org` is `super::import_target`'s), and refused as a new
/// import would be ([`check`]: a held collection, withdrawing by someone
/// not an admin).
pub async fn look_checked(db: &Db, actor: &Actor, org: &OrgRow, check_id: i64) -> Result<Checked> {
    let row = store::by_id(db, check_id)
        .await?
        .filter(|r| r.org_id == org.id && r.person_id == Some(actor.id))
        .ok_or(CoreError::NotFound)?;
    let checked: Asked = serde_json::from_str(&row.options).unwrap_or_default();
    if !checked.dry_run {
        return Err(CoreError::NotFound);
    }
    let asked = Asked { dry_run: false, ..checked };
    let gate = check(db, actor, org, &asked).await?;
    if row.state != "done" || !store::has_file(db, check_id).await? {
        return Ok(Checked::Gone);
    }
    Ok(Checked::Ready { file_name: row.file_name, asked, gate })
}

/// The import made of check `check_id`'s file, when it is no longer kept
/// because an import took it (a second press of "Import this file as
/// checked", or one after the first): only for the check's sender. `None`
/// when there is no such import (the file was forgotten).
pub async fn import_of_check(db: &Db, actor: &Actor, org: &OrgRow, check_id: i64) -> Result<Option<i64>> {
    let Some(row) = store::by_id(db, check_id).await?.filter(|r| r.org_id == org.id && r.person_id == Some(actor.id)) else {
        return Ok(None);
    };
    let checked: Asked = serde_json::from_str(&row.options).unwrap_or_default();
    if !checked.dry_run {
        return Ok(None);
    }
    // The options an import of it was recorded with (`record_in`, `waiting_in`).
    let options = serde_json::to_string(&Asked { dry_run: false, ..checked }).unwrap_or_default();
    Ok(store::import_after_check(db, check_id, &options).await?)
}

/// The kept file of check `check_id` (after [`look_checked`]), left kept;
/// `None` when it is no longer kept.
pub async fn checked_file(db: &Db, check_id: i64) -> Result<Option<Vec<u8>>> {
    Ok(store::checked_file(db, check_id).await?)
}

/// An import's status page.
#[derive(Debug, Clone)]
pub struct Status {
    pub import: ImportRow,
    pub org: OrgRow,
    pub asked: Asked,
    /// Its report, once it has one.
    pub report: Option<ImportReport>,
    /// It was running but noted nothing for [`STALE_SECS`]: it stopped
    /// without finishing.
    pub stale: bool,
    /// How far through the file it is, in per cent, while it runs.
    pub percent: Option<i64>,
    /// The viewer may approve or decline it (an instance admin, while it waits).
    pub may_decide: bool,
    /// It is a finished check the viewer sent, whose file is kept: they may
    /// import it as it was checked ([`take_checked`]).
    pub may_import_checked: bool,
}

/// An import's status, for those who manage the organisation's collection
/// (its staff and admins, and instance admins); "not found" to others.
pub async fn status(db: &Db, actor: &Actor, org_slug: &str, import_id: i64) -> Result<Status> {
    let org = crate::orgs::by_address(db, org_slug).await?.ok_or(CoreError::NotFound)?;
    let import = store::by_id(db, import_id).await?.filter(|i| i.org_id == org.id).ok_or(CoreError::NotFound)?;
    if !super::manages(db, actor, org.id).await? {
        return Err(CoreError::NotFound);
    }
    let report = (!import.report.is_empty()).then(|| serde_json::from_str(&import.report).ok()).flatten();
    let stale = import.state == "running" && store::db_now(db).await? - import.updated_at > STALE_SECS;
    let percent = (import.state == "running" && import.file_bytes > 0).then(|| (import.bytes_read * 100 / import.file_bytes).clamp(0, 100));
    let asked: Asked = serde_json::from_str(&import.options).unwrap_or_default();
    let may_import_checked =
        asked.dry_run && import.state == "done" && import.person_id == Some(actor.id) && store::has_file(db, import.id).await?;
    Ok(Status { may_decide: actor.is_admin && import.state == "waiting", may_import_checked, report, stale, percent, asked, import, org })
}

/// The imports waiting for an instance admin, oldest first (instance admins
/// only): each with its organisation's slug and name.
pub async fn waiting(db: &Db, actor: &Actor) -> Result<Vec<(ImportRow, String, String)>> {
    if !actor.is_admin {
        return Err(CoreError::NotFound);
    }
    Ok(store::waiting(db, 100).await?)
}

/// An organisation's latest imports, newest first, each with its state in
/// words ([`state_words`], on the database's clock) (for those who manage
/// its collection: its staff and admins, and instance admins; none for
/// others).
pub async fn recent(db: &Db, actor: &Actor, org_id: i64) -> Result<Vec<(ImportRow, &'static str)>> {
    if !super::manages(db, actor, org_id).await? {
        return Ok(Vec::new());
    }
    let rows = store::of_org(db, org_id, 10).await?;
    let now = if rows.iter().any(|r| r.state == "running") { store::db_now(db).await? } else { 0 };
    Ok(rows
        .into_iter()
        .map(|r| {
            let words = state_words(&r, now);
            (r, words)
        })
        .collect())
}

/// How an import's state reads in a list of imports, at `db_now` on the
/// database's clock (store `collection_imports::db_now`), on which its
/// notes are stamped.
pub fn state_words(import: &ImportRow, db_now: i64) -> &'static str {
    match import.state.as_str() {
        "waiting" => "Waiting for an admin",
        "running" if db_now - import.updated_at > STALE_SECS => "Stopped without finishing",
        "running" => "Under way",
        "done" => "Done",
        "declined" => "Declined",
        _ => "Stopped",
    }
}
