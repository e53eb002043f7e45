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

pub async fn create_invite(db: &Db, code_hash: &str, created_by: i64, note: &str) -> Result<()> {
    sqlx::query("INSERT INTO invites (code_hash, created_by, note, created_at) VALUES ($1, $2, $3, $4)")
        .bind(code_hash)
        .bind(created_by)
        .bind(note)
        .bind(now())
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Uses an invite code once; false when it is unknown or already used.
pub async fn use_invite(tx: &mut Tx, code_hash: &str, person_id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE invites SET used_by = $1, used_at = $2 WHERE code_hash = $3 AND used_at IS NULL",
    )
    .bind(person_id)
    .bind(now())
    .bind(code_hash)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn invite_is_open(db: &Db, code_hash: &str) -> Result<bool> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM invites WHERE code_hash = $1 AND used_at IS NULL")
            .bind(code_hash)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.is_some())
}
