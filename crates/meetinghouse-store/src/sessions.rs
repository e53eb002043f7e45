//! Sign-in sessions, stored in the database so several app servers share them.
//! Only a SHA-256 hash of each session token is stored.

use crate::error::Result;
use crate::{Db, Tx, now};

pub async fn create(db: &Db, token_hash: &str, person_id: i64, ttl_secs: i64) -> Result<()> {
    let t = now();
    sqlx::query("INSERT INTO sessions (token_hash, person_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(person_id)
        .bind(t)
        .bind(t + ttl_secs)
        .execute(&db.pool)
        .await?;
    Ok(())
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

/// Removes expired sessions; returns how many.
pub async fn purge_expired(db: &Db) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now()).execute(&db.pool).await?;
    Ok(done.rows_affected())
}
