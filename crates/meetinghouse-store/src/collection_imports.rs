//! Browser imports of collection records, run in the background (core
//! `collection::jobs`): what was asked, how far each has gone and, once
//! finished, its report, in the database so any app server shows them; and
//! the file of an import that waits for an instance admin.

use sqlx::FromRow;

use crate::error::Result;
use crate::{Backend, Db, Tx, now};

/// The database's clock, in seconds since 1970, as SQL. A running import's
/// `updated_at` is stamped and compared on it alone, never on an app
/// server's: app servers' clocks may be minutes apart, or one may jump, and
/// a live import must not be taken for stopped (nor its end lost) because
/// of it. On PostgreSQL it is the transaction's start; SQLite runs in the
/// app's own process, whose clock it reads.
fn clock(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)",
        Backend::Sqlite => "CAST(strftime('%s', 'now') AS INTEGER)",
    }
}

/// The backend a transaction talks to.
fn backend_of(tx: &Tx) -> Backend {
    if tx.backend_name().to_ascii_lowercase().starts_with("postgres") { Backend::Postgres } else { Backend::Sqlite }
}

/// The database's clock now ([`clock`]): what a running import's
/// `updated_at` is compared with.
pub async fn db_now(db: &Db) -> Result<i64> {
    let sql = format!("SELECT {}", clock(db.backend()));
    let (t,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(&db.pool).await?;
    Ok(t)
}

#[derive(Debug, Clone, FromRow)]
pub struct ImportRow {
    pub id: i64,
    pub org_id: i64,
    pub person_id: Option<i64>,
    pub file_name: String,
    pub file_bytes: i64,
    /// JSON of what was asked (core's `jobs::Asked`).
    pub options: String,
    /// `waiting`, `running`, `done`, `failed` or `declined`.
    pub state: String,
    pub records_read: i64,
    pub bytes_read: i64,
    /// JSON of the report, once there is one ('' before).
    pub report: String,
    /// Why it stopped or was refused, in plain words.
    pub outcome: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "id, org_id, person_id, file_name, file_bytes, options, state, records_read, bytes_read, report, outcome, \
    created_at, updated_at, finished_at";

/// Records an import, `running` or `waiting`; its id. Its `updated_at` is
/// the database's clock ([`clock`]).
pub async fn insert(tx: &mut Tx, org_id: i64, person_id: i64, file_name: &str, file_bytes: i64, options: &str, state: &str) -> Result<i64> {
    let t = now();
    let sql = format!(
        "INSERT INTO collection_imports (org_id, person_id, file_name, file_bytes, options, state, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, {}) RETURNING id",
        clock(backend_of(tx))
    );
    let (id,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
    .bind(org_id)
    .bind(person_id)
    .bind(file_name)
    .bind(file_bytes)
    .bind(options)
    .bind(state)
    .bind(t)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Records an import the operator runs from the command line (no sender),
/// `running`; its id. It notes progress and ends as a browser import does.
pub async fn insert_by_operator(db: &Db, org_id: i64, file_name: &str, file_bytes: i64, options: &str) -> Result<i64> {
    let sql = format!(
        "INSERT INTO collection_imports (org_id, person_id, file_name, file_bytes, options, state, created_at, updated_at) \
         VALUES ($1, NULL, $2, $3, $4, 'running', $5, {}) RETURNING id",
        clock(db.backend())
    );
    let (id,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(file_name)
        .bind(file_bytes)
        .bind(options)
        .bind(now())
        .fetch_one(&db.pool)
        .await?;
    Ok(id)
}

/// Keeps the file of a waiting import until it runs or is declined.
pub async fn keep_file(tx: &mut Tx, import_id: i64, bytes: &[u8]) -> Result<()> {
    sqlx::query("INSERT INTO collection_import_files (import_id, bytes) VALUES ($1, $2)")
        .bind(import_id)
        .bind(bytes.to_vec())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Takes a waiting import into organisation `org_id` to run it, in the
/// caller's transaction: its state becomes `running` and its file is
/// returned and no longer kept; `None` when it was not waiting (another
/// admin took it first, or it was declined) or is not that organisation's.
pub async fn take_waiting(tx: &mut Tx, import_id: i64, org_id: i64) -> Result<Option<Vec<u8>>> {
    let sql = format!(
        "UPDATE collection_imports SET state = 'running', updated_at = {} WHERE id = $1 AND org_id = $2 AND state = 'waiting'",
        clock(backend_of(tx))
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
    .bind(import_id)
    .bind(org_id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    let file: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT bytes FROM collection_import_files WHERE import_id = $1").bind(import_id).fetch_optional(&mut **tx).await?;
    sqlx::query("DELETE FROM collection_import_files WHERE import_id = $1").bind(import_id).execute(&mut **tx).await?;
    Ok(Some(file.map(|(b,)| b).unwrap_or_default()))
}

/// Declines a waiting import: its file goes; false when it was not waiting.
pub async fn decline(tx: &mut Tx, import_id: i64, outcome: &str) -> Result<bool> {
    let t = now();
    let done = sqlx::query(
        "UPDATE collection_imports SET state = 'declined', outcome = $1, updated_at = $2, finished_at = $2 WHERE id = $3 AND state = 'waiting'",
    )
    .bind(outcome)
    .bind(t)
    .bind(import_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM collection_import_files WHERE import_id = $1").bind(import_id).execute(&mut **tx).await?;
    Ok(done.rows_affected() == 1)
}

/// Declines every import a person sent that still waits (their account
/// closes), in the caller's transaction: their files go. The imports
/// declined: (id, organisation).
pub async fn decline_waiting_of(tx: &mut Tx, person_id: i64, outcome: &str) -> Result<Vec<(i64, i64)>> {
    let t = now();
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "UPDATE collection_imports SET state = 'declined', outcome = $1, updated_at = $2, finished_at = $2 \
         WHERE person_id = $3 AND state = 'waiting' RETURNING id, org_id",
    )
    .bind(outcome)
    .bind(t)
    .bind(person_id)
    .fetch_all(&mut **tx)
    .await?;
    for (id, _) in &rows {
        sqlx::query("DELETE FROM collection_import_files WHERE import_id = $1").bind(id).execute(&mut **tx).await?;
    }
    Ok(rows)
}

/// Notes that a running import is still going (its task does every
/// `jobs::HEARTBEAT_SECS`, however long a batch takes), on the database's
/// clock. False when it is not `running` any more: another server took it
/// for stopped ([`fail_stale`]), and its task may take it back ([`resume`]).
pub async fn heartbeat(db: &Db, import_id: i64) -> Result<bool> {
    let sql = format!("UPDATE collection_imports SET updated_at = {} WHERE id = $1 AND state = 'running'", clock(db.backend()));
    let done = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(import_id).execute(&db.pool).await?;
    Ok(done.rows_affected() == 1)
}

/// Takes back a running import that [`fail_stale`] marked failed with
/// `stale_outcome` while its task was still going: `running` again, its
/// outcome cleared, noted now on the database's clock. False when it was
/// not so marked (it finished, or was never taken).
pub async fn resume(db: &Db, import_id: i64, stale_outcome: &str) -> Result<bool> {
    let sql = format!(
        "UPDATE collection_imports SET state = 'running', outcome = '', finished_at = NULL, updated_at = {} \
         WHERE id = $1 AND state = 'failed' AND outcome = $2",
        clock(db.backend())
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(import_id).bind(stale_outcome).execute(&db.pool).await?;
    Ok(done.rows_affected() == 1)
}

/// Running imports that noted nothing for more than `quiet_secs` by the
/// database's clock (their server went away), oldest first, at most `limit`.
pub async fn running_stale(db: &Db, quiet_secs: i64, limit: i64) -> Result<Vec<ImportRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM collection_imports WHERE state = 'running' AND updated_at < {} - $1 ORDER BY id LIMIT $2",
        clock(db.backend())
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(quiet_secs).bind(limit).fetch_all(&db.pool).await?)
}

/// Marks a running import that noted nothing for more than `quiet_secs` by
/// the database's clock failed, with why, in the caller's transaction;
/// false when it is no longer running or noted something meanwhile.
pub async fn fail_stale(tx: &mut Tx, import_id: i64, quiet_secs: i64, outcome: &str) -> Result<bool> {
    let clock = clock(backend_of(tx));
    let sql = format!(
        "UPDATE collection_imports SET state = 'failed', outcome = $1, updated_at = {clock}, finished_at = {clock} \
         WHERE id = $2 AND state = 'running' AND updated_at < {clock} - $3"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(outcome).bind(import_id).bind(quiet_secs).execute(&mut **tx).await?;
    Ok(done.rows_affected() == 1)
}

/// Notes how far a running import has read, on the database's clock (a
/// note that arrives after a later one changes nothing).
pub async fn progress(db: &Db, import_id: i64, records_read: i64, bytes_read: i64) -> Result<()> {
    let sql = format!(
        "UPDATE collection_imports SET records_read = $1, bytes_read = $2, updated_at = {} \
         WHERE id = $3 AND state = 'running' AND records_read <= $1",
        clock(db.backend())
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(records_read).bind(bytes_read).bind(import_id).execute(&db.pool).await?;
    Ok(())
}

/// Records how a running import ended: `done` or `failed`, its report (JSON)
/// and why it stopped ('' when it did not). Its true end is recorded over a
/// mark of [`fail_stale`] too (one with `stale_outcome`, written while it
/// was still going): what it really did is never lost. False when it was
/// neither (it ended before, or was never recorded).
pub async fn finish(db: &Db, import_id: i64, state: &str, records_read: i64, report: &str, outcome: &str, stale_outcome: &str) -> Result<bool> {
    let sql = format!(
        "UPDATE collection_imports SET state = $1, records_read = $2, report = $3, outcome = $4, updated_at = {clock}, finished_at = {clock} \
         WHERE id = $5 AND (state = 'running' OR (state = 'failed' AND outcome = $6))",
        clock = clock(db.backend())
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(state)
        .bind(records_read)
        .bind(report)
        .bind(outcome)
        .bind(import_id)
        .bind(stale_outcome)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn by_id(db: &Db, import_id: i64) -> Result<Option<ImportRow>> {
    let sql = format!("SELECT {COLUMNS} FROM collection_imports WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(import_id).fetch_optional(&db.pool).await?)
}

/// An organisation's latest imports, newest first.
pub async fn of_org(db: &Db, org_id: i64, limit: i64) -> Result<Vec<ImportRow>> {
    let sql = format!("SELECT {COLUMNS} FROM collection_imports WHERE org_id = $1 ORDER BY id DESC LIMIT $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(limit).fetch_all(&db.pool).await?)
}

/// The imports waiting for an instance admin, oldest first, with their
/// organisation's slug and name.
pub async fn waiting(db: &Db, limit: i64) -> Result<Vec<(ImportRow, String, String)>> {
    #[derive(FromRow)]
    struct Waiting {
        #[sqlx(flatten)]
        import: ImportRow,
        slug: String,
        name: String,
    }
    let sql = format!(
        "SELECT {}, o.slug, o.name FROM collection_imports i JOIN organisations o ON o.id = i.org_id \
         WHERE i.state = 'waiting' ORDER BY i.id LIMIT $1",
        COLUMNS.split(", ").map(|c| format!("i.{}", c.trim())).collect::<Vec<_>>().join(", ")
    );
    let rows: Vec<Waiting> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(&db.pool).await?;
    Ok(rows.into_iter().map(|w| (w.import, w.slug, w.name)).collect())
}

/// Whether an import's file is kept (a waiting import's, or a finished
/// check's, kept so it can be imported without choosing it again).
pub async fn has_file(db: &Db, import_id: i64) -> Result<bool> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT import_id FROM collection_import_files WHERE import_id = $1").bind(import_id).fetch_optional(&db.pool).await?;
    Ok(row.is_some())
}

/// A finished check's kept file, left kept. `None` when it is not (taken
/// already, or forgotten).
pub async fn checked_file(db: &Db, import_id: i64) -> Result<Option<Vec<u8>>> {
    let file: Option<(Vec<u8>,)> = sqlx::query_as(
        "SELECT bytes FROM collection_import_files WHERE import_id = $1 \
           AND import_id IN (SELECT id FROM collection_imports WHERE state = 'done')",
    )
    .bind(import_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(file.map(|(b,)| b))
}

/// Stops keeping a finished check's file, in the caller's transaction (the
/// one that records the import made of it); false when it was not kept
/// (taken already, or forgotten), which changes nothing.
pub async fn take_checked_file(tx: &mut Tx, import_id: i64) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM collection_import_files WHERE import_id = $1 \
           AND import_id IN (SELECT id FROM collection_imports WHERE state = 'done')",
    )
    .bind(import_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The import that took check `check_id`'s kept file, as far as the rows
/// tell: the newest import by the check's sender into the same
/// organisation, recorded after it, of a file of the same name and size,
/// with `options` (the check's, as an import: core `jobs::import_of_check`).
/// `None` when there is none. Read when a press of "Import this file as
/// checked" finds the file taken, to send it to that import (the review
/// fixC33's M2).
pub async fn import_after_check(db: &Db, check_id: i64, options: &str) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT i.id FROM collection_imports c JOIN collection_imports i \
           ON i.person_id = c.person_id AND i.id > c.id AND i.org_id = c.org_id \
          AND i.file_name = c.file_name AND i.file_bytes = c.file_bytes \
          WHERE c.id = $1 AND i.options = $2 ORDER BY i.id DESC LIMIT 1",
    )
    .bind(check_id)
    .bind(options)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// Forgets the kept files of the finished checks `person_id` sent to
/// `org_id`, but `except`'s.
pub async fn forget_checks_of(tx: &mut Tx, org_id: i64, person_id: i64, except: i64) -> Result<()> {
    sqlx::query(
        "DELETE FROM collection_import_files WHERE import_id IN \
           (SELECT id FROM collection_imports WHERE org_id = $1 AND person_id = $2 AND state <> 'waiting' AND id <> $3)",
    )
    .bind(org_id)
    .bind(person_id)
    .bind(except)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Forgets the kept files of imports that are not waiting and were sent
/// before `before` (finished checks'); how many.
pub async fn forget_checks_before(db: &Db, before: i64) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM collection_import_files WHERE import_id IN \
           (SELECT id FROM collection_imports WHERE state <> 'waiting' AND created_at < $1)",
    )
    .bind(before)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected())
}

/// Imports that began waiting for an instance admin before `before`,
/// oldest first, at most `limit`.
pub async fn waiting_before(db: &Db, before: i64, limit: i64) -> Result<Vec<ImportRow>> {
    let sql = format!("SELECT {COLUMNS} FROM collection_imports WHERE state = 'waiting' AND created_at < $1 ORDER BY id LIMIT $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(before).bind(limit).fetch_all(&db.pool).await?)
}

/// Whether an organisation has an import waiting for an instance admin.
pub async fn has_waiting(db: &Db, org_id: i64) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM collection_imports WHERE org_id = $1 AND state = 'waiting' LIMIT 1")
        .bind(org_id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.is_some())
}

/// The active instance admins, who approve waiting imports.
pub async fn instance_admins(tx: &mut Tx) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM people WHERE is_admin = 1 AND status = 'active' ORDER BY id LIMIT 100").fetch_all(&mut **tx).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
