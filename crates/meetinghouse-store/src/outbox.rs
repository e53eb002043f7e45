//! The email outbox: mail is written here in the same transaction as the
//! change that caused it, and a worker sends it (or admins read it).

use sqlx::FromRow;

use crate::error::Result;
use crate::{Db, Tx, now};

#[derive(Debug, Clone, FromRow)]
pub struct EmailRow {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
    pub kind: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

pub async fn enqueue(tx: &mut Tx, to: &str, subject: &str, body: &str, kind: &str) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO email_outbox (to_addr, subject, body, kind, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(to)
    .bind(subject)
    .bind(body)
    .bind(kind)
    .bind(now())
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Newest first, for the admin page.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<EmailRow>> {
    Ok(sqlx::query_as(
        "SELECT id, to_addr, subject, body, kind, created_at, sent_at, attempts, last_error \
         FROM email_outbox ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// Unsent mail that has not failed too often, oldest first.
pub async fn unsent(db: &Db, max_attempts: i64, limit: i64) -> Result<Vec<EmailRow>> {
    Ok(sqlx::query_as(
        "SELECT id, to_addr, subject, body, kind, created_at, sent_at, attempts, last_error \
         FROM email_outbox WHERE sent_at IS NULL AND attempts < $1 ORDER BY id LIMIT $2",
    )
    .bind(max_attempts)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// The kinds of mail that carry a one-time link (email confirmation,
/// password reset): their text is dropped once sent, so the link lives only
/// in the recipient's inbox, not in the database or on the admin page.
pub const ONE_TIME_LINK_KINDS: [&str; 2] = ["verify", "reset"];

/// What a sent message with a one-time link keeps in place of its text.
pub const LINK_REMOVED: &str = "(The text of this message held a one-time link, so it was removed once the message was sent.)";

/// Claims a message for sending; false if another worker already sent it.
/// A message with a one-time link loses its text here.
pub async fn mark_sent(db: &Db, id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE email_outbox SET sent_at = $1, attempts = attempts + 1, \
         body = CASE WHEN kind IN ($3, $4) THEN $5 ELSE body END WHERE id = $2 AND sent_at IS NULL",
    )
        .bind(now())
        .bind(id)
        .bind(ONE_TIME_LINK_KINDS[0])
        .bind(ONE_TIME_LINK_KINDS[1])
        .bind(LINK_REMOVED)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn mark_failed(db: &Db, id: i64, error: &str) -> Result<()> {
    sqlx::query("UPDATE email_outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2")
        .bind(error)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Parks a message that cannot be sent (no SMTP server): it stays visible on
/// the admin page and is not retried.
pub async fn mark_held(db: &Db, id: i64, note: &str) -> Result<()> {
    sqlx::query("UPDATE email_outbox SET attempts = 1000, last_error = $1 WHERE id = $2")
        .bind(note)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Removes mail older than `cutoff` (unix seconds), sent or not: after that
/// long, a message still waiting will not be sent, and its links have
/// expired. Returns how many went.
pub async fn purge_before(db: &Db, cutoff: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM email_outbox WHERE created_at < $1").bind(cutoff).execute(&db.pool).await?;
    Ok(done.rows_affected())
}
