//! A person's change of email address while it waits for the link mailed to
//! the new address (migration 0041): one row per person, replaced by every
//! new request, deleted when it is confirmed or cancelled. Only the link's
//! hash is stored; no hash at all when no link was sent (core `accounts`,
//! `request_email_change`: the new address already had an account).

use sqlx::FromRow;

use crate::error::{Result, StoreError};
use crate::{Db, Tx, now};

/// A change waiting to be confirmed.
#[derive(Clone, FromRow)]
pub struct Pending {
    pub new_email: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").field("new_email", &"[redacted]").field("expires_at", &self.expires_at).finish()
    }
}

/// Stores a person's pending change, replacing the one before it (whose link
/// stops working). `token_hash` is `None` when no link was sent.
pub async fn put(tx: &mut Tx, person: i64, token_hash: Option<&str>, new_email: &str, ttl_secs: i64) -> Result<()> {
    let t = now();
    sqlx::query(
        "INSERT INTO email_changes (person_id, token_hash, new_email, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (person_id) DO UPDATE SET token_hash = $2, new_email = $3, created_at = $4, expires_at = $5",
    )
    .bind(person)
    .bind(token_hash)
    .bind(new_email)
    .bind(t)
    .bind(t + ttl_secs)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The person's change that has not expired, if any.
pub async fn pending(db: &Db, person: i64) -> Result<Option<Pending>> {
    Ok(sqlx::query_as("SELECT new_email, created_at, expires_at FROM email_changes WHERE person_id = $1 AND expires_at > $2")
        .bind(person)
        .bind(now())
        .fetch_optional(&db.pool)
        .await?)
}

/// [`pending`], inside a transaction.
pub async fn pending_in(tx: &mut Tx, person: i64) -> Result<Option<Pending>> {
    Ok(sqlx::query_as("SELECT new_email, created_at, expires_at FROM email_changes WHERE person_id = $1 AND expires_at > $2")
        .bind(person)
        .bind(now())
        .fetch_optional(&mut **tx)
        .await?)
}

/// Whether the person's waiting change has a link (a token was made).
pub async fn has_link(db: &Db, person: i64) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT person_id FROM email_changes WHERE person_id = $1 AND token_hash IS NOT NULL")
        .bind(person)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.is_some())
}

/// Whether a link's token (by hash) belongs to a change that has not
/// expired, without using it: the link's page asks before it shows its
/// button.
pub async fn is_live(db: &Db, token_hash: &str) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT person_id FROM email_changes WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.is_some())
}

/// Takes the change a live link belongs to out of the table, returning the
/// person and the new address: a link works once. `None` for a link that is
/// unknown, replaced, cancelled, used or expired.
pub async fn take(tx: &mut Tx, token_hash: &str) -> Result<Option<(i64, String)>> {
    Ok(sqlx::query_as("DELETE FROM email_changes WHERE token_hash = $1 AND expires_at > $2 RETURNING person_id, new_email")
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&mut **tx)
        .await?)
}

/// Drops a person's pending change (cancelled, or their address changed);
/// true when there was one.
pub async fn cancel(tx: &mut Tx, person: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM email_changes WHERE person_id = $1").bind(person).execute(&mut **tx).await?;
    Ok(done.rows_affected() > 0)
}

/// Drops the change a link belongs to whatever its state (the address was
/// taken by the time it was followed): its page then says it no longer works.
pub async fn drop_link(db: &Db, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM email_changes WHERE token_hash = $1").bind(token_hash).execute(&db.pool).await?;
    Ok(())
}

/// Forgets the changes that expired before `cutoff`: their addresses are
/// kept no longer than their links work. Returns how many went.
pub async fn purge_expired_before(db: &Db, cutoff: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM email_changes WHERE expires_at <= $1").bind(cutoff).execute(&db.pool).await?;
    Ok(done.rows_affected())
}

/// Moves a person to a new address, confirmed now (they followed a link
/// sent to it). An address another account has is a
/// [`StoreError::Conflict`] on `email`.
pub async fn set_email(tx: &mut Tx, person: i64, email: &str) -> Result<()> {
    sqlx::query("UPDATE people SET email = $1, email_lower = $2, email_verified_at = $3 WHERE id = $4")
        .bind(email)
        .bind(email.to_lowercase())
        .bind(now())
        .bind(person)
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::from_unique(e, &[("email", "email")]))?;
    Ok(())
}

/// Whether an account other than `person` has this address (compared as
/// accounts are, lower-cased).
pub async fn taken_by_other(tx: &mut Tx, person: i64, email: &str) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM people WHERE email_lower = $1 AND id <> $2")
        .bind(email.to_lowercase())
        .bind(person)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.is_some())
}
