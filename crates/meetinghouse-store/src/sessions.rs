//! Sign-in sessions, stored in the database so several app servers share them.
//! Only a SHA-256 hash of each session token is stored.

use sqlx::FromRow;

use crate::error::Result;
use crate::{Db, Tx, now};

pub async fn create(db: &Db, token_hash: &str, person_id: i64, ttl_secs: i64) -> Result<()> {
    create_from(db, token_hash, person_id, ttl_secs, "").await
}

/// [`create`], with the browser and system the session was started from,
/// roughly ("Firefox on Windows"; '' when not known), for the person's list
/// of their sessions. It counts as used now.
pub async fn create_from(db: &Db, token_hash: &str, person_id: i64, ttl_secs: i64, device: &str) -> Result<()> {
    let t = now();
    sqlx::query("INSERT INTO sessions (token_hash, person_id, created_at, expires_at, device, last_seen_at) VALUES ($1, $2, $3, $4, $5, $3)")
        .bind(token_hash)
        .bind(person_id)
        .bind(t)
        .bind(t + ttl_secs)
        .bind(device)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// One of a person's live sessions, as their list shows it.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    /// Whether it is the session asking (its token's hash is the one given).
    pub current: i64,
    /// What names it on the person's page, to end it alone: the start of its
    /// token's hash ([`KEY_LEN`] hex digits), never the token.
    pub key: String,
    pub device: String,
    pub created_at: i64,
    /// When it was last used (to within core's `SESSION_SEEN_EVERY_SECS`);
    /// when it began, for a session not used since migration 0047.
    pub last_seen_at: i64,
}

/// A person's live sessions, the one asking (`current_hash`) first, then
/// the most recently used; at most `limit`.
pub async fn list_for(db: &Db, person_id: i64, current_hash: &str, limit: i64) -> Result<Vec<SessionRow>> {
    Ok(sqlx::query_as(
        "SELECT CASE WHEN token_hash = $2 THEN 1 ELSE 0 END AS current, SUBSTR(token_hash, 1, 16) AS key, device, created_at, \
           COALESCE(last_seen_at, created_at) AS last_seen_at \
         FROM sessions WHERE person_id = $1 AND expires_at > $3 \
         ORDER BY CASE WHEN token_hash = $2 THEN 0 ELSE 1 END, COALESCE(last_seen_at, created_at) DESC, created_at DESC LIMIT $4",
    )
    .bind(person_id)
    .bind(current_hash)
    .bind(now())
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// Records that a session (by its token's hash) was used at `at`, unless
/// it was recorded since `at - every`: one write every few minutes per
/// session, never one per request. True when the stamp moved.
pub async fn touch(db: &Db, token_hash: &str, at: i64, every: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1 AND (last_seen_at IS NULL OR last_seen_at <= $3)",
    )
    .bind(token_hash)
    .bind(at)
    .bind(at - every)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(db: &Db, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&db.pool).await?;
    Ok(())
}

/// Ends every session of a person (after a password reset or suspension).
pub async fn delete_for_person(db: &Db, person_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE person_id = $1").bind(person_id).execute(&db.pool).await?;
    Ok(())
}

/// [`delete_for_person`], in the caller's transaction (a suspension, a new
/// password set by the operator); how many there were.
pub async fn delete_for_person_in(tx: &mut Tx, person_id: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE person_id = $1").bind(person_id).execute(&mut **tx).await?;
    Ok(done.rows_affected())
}

/// Ends every session of a person but one (by its token's hash), in the
/// caller's transaction: after they change their password, only the browser
/// they changed it in stays signed in.
pub async fn delete_others_in(tx: &mut Tx, person_id: i64, keep_hash: &str) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE person_id = $1 AND token_hash <> $2")
        .bind(person_id)
        .bind(keep_hash)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// [`delete_others_in`] in a transaction of its own ("sign out everywhere
/// else"); how many sessions ended.
pub async fn delete_others(db: &Db, person_id: i64, keep_hash: &str) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE person_id = $1 AND token_hash <> $2")
        .bind(person_id)
        .bind(keep_hash)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
}

/// Removes expired sessions; returns how many.
pub async fn purge_expired(db: &Db) -> Result<u64> {
    purge_expired_before(db, now()).await
}

/// Removes the sessions that expired before `cutoff` (unix seconds), a few
/// thousand a statement so no transaction grows large; returns how many.
pub async fn purge_expired_before(db: &Db, cutoff: i64) -> Result<u64> {
    crate::purge::in_batches(db, "DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM sessions WHERE expires_at <= $1 LIMIT $2)", cutoff).await
}

/// How many hex digits of a session's token hash name it on its person's
/// page ([`SessionRow::key`]).
pub const KEY_LEN: usize = 16;

/// Ends one of a person's sessions other than `keep_hash`, named by its
/// [`SessionRow::key`]; false when they have no such other session (ended
/// already, the one asking, or someone else's).
pub async fn delete_other_by_key(db: &Db, person_id: i64, key: &str, keep_hash: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM sessions WHERE person_id = $1 AND SUBSTR(token_hash, 1, 16) = $2 AND token_hash <> $3")
        .bind(person_id)
        .bind(key)
        .bind(keep_hash)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() > 0)
}
