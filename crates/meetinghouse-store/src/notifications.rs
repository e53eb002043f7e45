//! In-app notifications, email preferences and the daily digest's bookkeeping.

use sqlx::FromRow;

use crate::error::Result;
use crate::writes::{Batch, Inserted, Text};
use crate::{Db, Tx, now};

#[derive(Debug, Clone, FromRow)]
pub struct NotificationRow {
    pub id: i64,
    pub kind: String,
    pub text: String,
    pub url: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// Adds a notification, marked for the daily digest when the person is on
/// it (the default). A write, so it may open a SQLite transaction.
pub async fn insert(tx: &mut Tx, person: i64, kind: &str, text: &str, url: &str) -> Result<i64> {
    let mut b = Batch::new();
    let step = insert_into(&mut b, person, kind, text, &Text::Now(url.to_string()));
    Ok(b.run_in(tx).await?.id(step))
}

/// Whether the person already has this notification (same kind, text and
/// link) unread, or read since `since`: asking the same thing again tells
/// them nothing new.
pub async fn already_told(tx: &mut Tx, person: i64, kind: &str, text: &str, url: &str, since: i64) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM notifications WHERE person_id = $1 AND kind = $2 AND text = $3 AND url = $4 \
         AND (read_at IS NULL OR created_at >= $5) LIMIT 1",
    )
    .bind(person)
    .bind(kind)
    .bind(text)
    .bind(url)
    .bind(since)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.is_some())
}

/// [`insert`], in a batch.
pub fn insert_into(b: &mut Batch, person: i64, kind: &str, text: &str, url: &Text) -> Inserted {
    b.insert(
        "INSERT INTO notifications (person_id, kind, text, url, created_at, emailed) \
         SELECT $1, $2, $3, $4, $5, CASE WHEN COALESCE((SELECT email_mode FROM notification_prefs WHERE person_id = $1), 'daily') = 'daily' \
         THEN 0 ELSE 1 END RETURNING id",
        vec![person.into(), kind.into(), text.into(), url.arg(), now().into()],
    )
}

/// Puts an email for a notification in the outbox, in a batch, when (as the
/// batch runs) the person has chosen to be emailed at once.
pub fn email_if_immediate_into(b: &mut Batch, person: i64, subject: &str, body: &Text) {
    b.execute(
        "INSERT INTO email_outbox (to_addr, subject, body, kind, created_at) \
         SELECT p.email, $2, $3, 'notification', $4 FROM people p LEFT JOIN notification_prefs n ON n.person_id = p.id \
         WHERE p.id = $1 AND COALESCE(n.email_mode, 'daily') = 'immediate'",
        vec![person.into(), subject.into(), body.arg(), now().into()],
    );
}

/// Unread notifications, counted up to `cap` (the header shows "99+" past it).
pub async fn unread_count(db: &Db, person: i64, cap: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE person_id = $1 AND read_at IS NULL LIMIT $2) x",
    )
    .bind(person)
    .bind(cap)
    .fetch_one(&db.pool)
    .await?;
    Ok(n)
}

/// Newest first, before id `before` (0 for the newest).
pub async fn list(db: &Db, person: i64, before: i64, limit: i64) -> Result<Vec<NotificationRow>> {
    Ok(sqlx::query_as(
        "SELECT id, kind, text, url, created_at, read_at FROM notifications \
         WHERE person_id = $1 AND ($2 = 0 OR id < $2) ORDER BY id DESC LIMIT $3",
    )
    .bind(person)
    .bind(before)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn mark_all_read(db: &Db, person: i64) -> Result<u64> {
    let done = sqlx::query("UPDATE notifications SET read_at = $2 WHERE person_id = $1 AND read_at IS NULL")
        .bind(person)
        .bind(now())
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
}

/// A person's email mode and address, read inside a transaction: (mode, email).
/// The mode is `daily` when the person never chose.
pub async fn email_pref(tx: &mut Tx, person: i64) -> Result<Option<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT COALESCE(n.email_mode, 'daily'), p.email FROM people p LEFT JOIN notification_prefs n ON n.person_id = p.id WHERE p.id = $1",
    )
    .bind(person)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn mode(db: &Db, person: i64) -> Result<String> {
    let row: Option<(String,)> = sqlx::query_as("SELECT email_mode FROM notification_prefs WHERE person_id = $1")
        .bind(person)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|(m,)| m).unwrap_or_else(|| "daily".into()))
}

pub async fn set_mode(db: &Db, person: i64, mode: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO notification_prefs (person_id, email_mode) VALUES ($1, $2) \
         ON CONFLICT (person_id) DO UPDATE SET email_mode = $2",
    )
    .bind(person)
    .bind(mode)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// People on the daily digest with something not yet emailed and no digest since `cutoff`.
pub async fn digest_due(db: &Db, cutoff: i64, limit: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT DISTINCT n.person_id FROM notifications n LEFT JOIN notification_prefs p ON p.person_id = n.person_id \
         WHERE n.emailed = 0 AND COALESCE(p.email_mode, 'daily') = 'daily' \
         AND (p.last_digest_at IS NULL OR p.last_digest_at < $1) ORDER BY n.person_id LIMIT $2",
    )
    .bind(cutoff)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}

/// Claims a person's digest: stamps `last_digest_at` if no digest went out
/// since `cutoff`. The first statement writes, so two workers cannot both claim it.
pub async fn claim_digest(tx: &mut Tx, person: i64, cutoff: i64) -> Result<bool> {
    let t = now();
    let done = sqlx::query(
        "INSERT INTO notification_prefs (person_id, email_mode, last_digest_at) VALUES ($1, 'daily', $2) \
         ON CONFLICT (person_id) DO UPDATE SET last_digest_at = $2 \
         WHERE notification_prefs.last_digest_at IS NULL OR notification_prefs.last_digest_at < $3",
    )
    .bind(person)
    .bind(t)
    .bind(cutoff)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The notifications a digest must mention: the oldest `limit` not yet
/// emailed, oldest first, and how many more there were. Marks all of them
/// emailed: exactly the rows listed, then the rest, so a notification stored
/// meanwhile is either listed or counted, never marked unseen.
pub async fn take_undigested(tx: &mut Tx, person: i64, limit: i64) -> Result<(Vec<NotificationRow>, u64)> {
    let mut rows: Vec<NotificationRow> = sqlx::query_as(
        "UPDATE notifications SET emailed = 1 WHERE id IN \
         (SELECT id FROM notifications WHERE person_id = $1 AND emailed = 0 ORDER BY id LIMIT $2) \
         RETURNING id, kind, text, url, created_at, read_at",
    )
    .bind(person)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?;
    rows.sort_by_key(|r| r.id);
    let more = sqlx::query("UPDATE notifications SET emailed = 1 WHERE person_id = $1 AND emailed = 0")
        .bind(person)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok((rows, more))
}
