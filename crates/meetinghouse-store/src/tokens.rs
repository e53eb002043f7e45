//! One-time tokens sent by email (verification, password reset) and invite
//! codes. Only hashes are stored.

use crate::error::Result;
use crate::{Db, Tx, now};

pub async fn create(tx: &mut Tx, token_hash: &str, person_id: i64, purpose: &str, ttl_secs: i64) -> Result<()> {
    let t = now();
    sqlx::query(
        "INSERT INTO email_tokens (token_hash, person_id, purpose, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(person_id)
    .bind(purpose)
    .bind(t)
    .bind(t + ttl_secs)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Marks a live, unused token used and returns its person, atomically: a
/// token works once.
pub async fn consume(tx: &mut Tx, token_hash: &str, purpose: &str) -> Result<Option<i64>> {
    let t = now();
    let row: Option<(i64,)> = sqlx::query_as(
        "UPDATE email_tokens SET used_at = $1 \
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
         RETURNING person_id",
    )
    .bind(t)
    .bind(token_hash)
    .bind(purpose)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// Whether a token of this purpose is live (unused and unexpired), without
/// using it: a reset link's page asks before showing its form, and a new
/// password is hashed only for a live link.
pub async fn is_live(db: &Db, token_hash: &str, purpose: &str) -> Result<bool> {
    Ok(live_owner(db, token_hash, purpose).await?.is_some())
}

/// The person a live token of this purpose belongs to, without using it
/// (a reset link's form names its account to password managers).
pub async fn live_owner(db: &Db, token_hash: &str, purpose: &str) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT person_id FROM email_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(purpose)
    .bind(now())
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// Marks every live token of this purpose for a person used, so that once
/// one reset link has set a password, the other links sent earlier stop
/// working too (whoever had an older email can no longer use it).
pub async fn spend_all(tx: &mut Tx, person_id: i64, purpose: &str) -> Result<u64> {
    let done = sqlx::query("UPDATE email_tokens SET used_at = $1 WHERE person_id = $2 AND purpose = $3 AND used_at IS NULL")
        .bind(now())
        .bind(person_id)
        .bind(purpose)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// Stores a new invite code's hash, open until `expires_at`.
pub async fn create_invite(db: &Db, code_hash: &str, created_by: i64, note: &str, expires_at: i64) -> Result<()> {
    sqlx::query("INSERT INTO invites (code_hash, created_by, note, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(code_hash)
        .bind(created_by)
        .bind(note)
        .bind(now())
        .bind(expires_at)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Uses an invite code once; false when it is unknown, used, withdrawn or
/// expired.
pub async fn use_invite(tx: &mut Tx, code_hash: &str, person_id: i64) -> Result<bool> {
    let t = now();
    let done = sqlx::query(
        "UPDATE invites SET used_by = $1, used_at = $2 WHERE code_hash = $3 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(person_id)
    .bind(t)
    .bind(code_hash)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether an invite code can still be used (not used, withdrawn or expired).
pub async fn invite_is_open(db: &Db, code_hash: &str) -> Result<bool> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM invites WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2")
            .bind(code_hash)
            .bind(now())
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.is_some())
}

/// An invite code not yet used and not expired, as the admins' list shows
/// it (the code itself is never stored: its hash names it).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenInvite {
    pub code_hash: String,
    pub note: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// The handle of the admin who made it.
    pub made_by: String,
}

/// The open invite codes, newest first, at most `limit`.
pub async fn open_invites(db: &Db, limit: i64) -> Result<Vec<OpenInvite>> {
    Ok(sqlx::query_as(
        "SELECT i.code_hash, i.note, i.created_at, i.expires_at, p.handle AS made_by \
         FROM invites i JOIN people p ON p.id = i.created_by \
         WHERE i.used_at IS NULL AND i.expires_at > $1 ORDER BY i.created_at DESC, i.code_hash LIMIT $2",
    )
    .bind(now())
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// Withdraws an invite code nobody has used: it is deleted, so it no longer
/// works. False when there is no such open code (used, or already gone).
pub async fn withdraw_invite(db: &Db, code_hash: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM invites WHERE code_hash = $1 AND used_at IS NULL")
        .bind(code_hash)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes email links (confirmation, password reset) that expired, or
/// were used, before `cutoff` (unix seconds); returns how many. A batch of
/// a few thousand a statement.
pub async fn purge_spent_before(db: &Db, cutoff: i64) -> Result<u64> {
    crate::purge::in_batches(db, "DELETE FROM email_tokens WHERE token_hash IN (SELECT token_hash FROM email_tokens \
             WHERE expires_at < $1 OR (used_at IS NOT NULL AND used_at < $1) LIMIT $2)", cutoff).await
}

/// Removes invite codes that expired before `cutoff` (unix seconds), used
/// or not, with the admin's note on who each was for; returns how many.
pub async fn purge_invites_expired_before(db: &Db, cutoff: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM invites WHERE expires_at < $1").bind(cutoff).execute(&db.pool).await?;
    Ok(done.rows_affected())
}
