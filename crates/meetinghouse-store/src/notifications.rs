//! In-app notifications, email preferences and the daily digest's bookkeeping.
//!
//! A notification may record who set it off (`sender_id`) and the reply it
//! is about (`reply_id`, migration 0020). What the person is shown — the
//! list, the unread count, the digest — leaves out, as things are now,
//! notifications from someone they blocked or muted and ones whose reply is
//! no longer shown (retracted or hidden): `shown!`. Rows without a sender
//! or a reply (older ones, moderation outcomes) are always shown.
//!
//! Email goes only to an active account with a confirmed address.

use sqlx::FromRow;

use crate::error::Result;
use crate::writes::{Arg, Batch, Inserted, Text};
use crate::{Db, Tx, now};

/// The condition a notification row `n` meets while its person is shown it:
/// its sender (if recorded) is not blocked or muted by them, and its reply
/// (if recorded) is visible. Used by [`crate::people::by_session`] too.
macro_rules! shown {
    () => {
        "(n.sender_id IS NULL OR NOT EXISTS (SELECT 1 FROM person_relations sr \
         WHERE sr.person_id = n.person_id AND sr.kind IN ('block', 'mute') AND sr.other_id = n.sender_id)) \
         AND (n.reply_id IS NULL OR EXISTS (SELECT 1 FROM replies sn WHERE sn.id = n.reply_id AND sn.status = 'visible'))"
    };
}

/// An account notification email may go to: active, address confirmed.
macro_rules! mailable {
    ($p:literal) => {
        concat!($p, ".status = 'active' AND ", $p, ".email_verified_at IS NOT NULL")
    };
}
pub(crate) use shown;

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

/// Whether the person was already told of this sender's notification of
/// this kind and link: it is unread, or was read since `since`. Rows stored
/// before senders were recorded are matched by their text.
pub async fn already_told_by(tx: &mut Tx, person: i64, kind: &str, sender: i64, url: &str, text: &str, since: i64) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM notifications WHERE person_id = $1 AND kind = $2 AND url = $4 \
         AND (sender_id = $3 OR (sender_id IS NULL AND text = $6)) \
         AND (read_at IS NULL OR created_at >= $5) LIMIT 1",
    )
    .bind(person)
    .bind(kind)
    .bind(sender)
    .bind(url)
    .bind(since)
    .bind(text)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.is_some())
}

/// Whether `person` has blocked or muted `other`: then nothing `other` does
/// reaches them.
pub async fn silenced(tx: &mut Tx, person: i64, other: i64) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM person_relations WHERE person_id = $1 AND kind IN ('block', 'mute') AND other_id = $2 LIMIT 1",
    )
    .bind(person)
    .bind(other)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.is_some())
}

/// [`insert`], in a batch.
pub fn insert_into(b: &mut Batch, person: i64, kind: &str, text: &str, url: &Text) -> Inserted {
    insert_from_into(b, person, kind, text, url, None, None::<i64>.into())
}

/// [`insert_into`], recording who set it off and the reply it is about (an
/// id known now, or the insert of the same batch that writes the reply).
pub fn insert_from_into(b: &mut Batch, person: i64, kind: &str, text: &str, url: &Text, sender: Option<i64>, reply: Arg) -> Inserted {
    b.insert(
        "INSERT INTO notifications (person_id, kind, text, url, created_at, emailed, sender_id, reply_id) \
         SELECT $1, $2, $3, $4, $5, CASE WHEN COALESCE((SELECT email_mode FROM notification_prefs WHERE person_id = $1), 'daily') = 'daily' \
         THEN 0 ELSE 1 END, $6, $7 RETURNING id",
        vec![person.into(), kind.into(), text.into(), url.arg(), now().into(), sender.into(), reply],
    )
}

/// Puts an email for a notification in the outbox, in a batch, when (as the
/// batch runs) the person has chosen to be emailed at once and their account
/// is active with a confirmed address.
pub fn email_if_immediate_into(b: &mut Batch, person: i64, subject: &str, body: &Text) {
    b.execute(
        concat!(
            "INSERT INTO email_outbox (to_addr, subject, body, kind, created_at) \
             SELECT p.email, $2, $3, 'notification', $4 FROM people p LEFT JOIN notification_prefs n ON n.person_id = p.id \
             WHERE p.id = $1 AND COALESCE(n.email_mode, 'daily') = 'immediate' AND ",
            mailable!("p")
        ),
        vec![person.into(), subject.into(), body.arg(), now().into()],
    );
}

/// Unread notifications the person is shown, counted up to `cap` (the
/// header shows "99+" past it).
pub async fn unread_count(db: &Db, person: i64, cap: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(concat!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM notifications n WHERE n.person_id = $1 AND n.read_at IS NULL AND ",
        shown!(),
        " LIMIT $2) x"
    ))
    .bind(person)
    .bind(cap)
    .fetch_one(&db.pool)
    .await?;
    Ok(n)
}

/// The notifications the person is shown, newest first, before id `before`
/// (0 for the newest).
pub async fn list(db: &Db, person: i64, before: i64, limit: i64) -> Result<Vec<NotificationRow>> {
    Ok(sqlx::query_as(concat!(
        "SELECT n.id, n.kind, n.text, n.url, n.created_at, n.read_at FROM notifications n \
         WHERE n.person_id = $1 AND ($2 = 0 OR n.id < $2) AND ",
        shown!(),
        " ORDER BY n.id DESC LIMIT $3"
    ))
    .bind(person)
    .bind(before)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn mark_all_read(db: &Db, person: i64) -> Result<u64> {
    mark_read_up_to(db, person, i64::MAX).await
}

/// Marks read the person's notifications up to id `upto`: the newest one a
/// page showed, so "mark all as read" leaves unread what arrived after it.
pub async fn mark_read_up_to(db: &Db, person: i64, upto: i64) -> Result<u64> {
    let done = sqlx::query("UPDATE notifications SET read_at = $2 WHERE person_id = $1 AND read_at IS NULL AND id <= $3")
        .bind(person)
        .bind(now())
        .bind(upto)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
}

/// Marks one of the person's notifications read (if it was not) and returns
/// its link; `None` when they have no notification with that id.
pub async fn open(db: &Db, person: i64, id: i64) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(
        "UPDATE notifications SET read_at = COALESCE(read_at, $3) WHERE id = $1 AND person_id = $2 RETURNING url",
    )
    .bind(id)
    .bind(person)
    .bind(now())
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|(url,)| url))
}

/// A person's email mode and address, read inside a transaction: (mode,
/// email). The mode is `daily` when the person never chose. `None` when
/// notification email may not go to them: the account is not active or its
/// address is not confirmed.
pub async fn email_pref(tx: &mut Tx, person: i64) -> Result<Option<(String, String)>> {
    Ok(sqlx::query_as(concat!(
        "SELECT COALESCE(n.email_mode, 'daily'), p.email FROM people p LEFT JOIN notification_prefs n ON n.person_id = p.id \
         WHERE p.id = $1 AND ",
        mailable!("p")
    ))
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

/// People on the daily digest with something unread, shown to them and not
/// yet emailed, no digest since `cutoff`, and an active account with a
/// confirmed address.
pub async fn digest_due(db: &Db, cutoff: i64, limit: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(concat!(
        "SELECT DISTINCT n.person_id FROM notifications n LEFT JOIN notification_prefs p ON p.person_id = n.person_id \
         JOIN people pe ON pe.id = n.person_id \
         WHERE n.emailed = 0 AND n.read_at IS NULL AND COALESCE(p.email_mode, 'daily') = 'daily' \
         AND (p.last_digest_at IS NULL OR p.last_digest_at < $1) AND ",
        mailable!("pe"),
        " AND ",
        shown!(),
        " ORDER BY n.person_id LIMIT $2"
    ))
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
/// emailed, still unread and shown to the person, oldest first, and how many
/// more there were. Marks all of them emailed. Ones read on the site (or no
/// longer shown) are marked first, without being listed; then exactly the
/// rows listed, then the rest, so a notification stored meanwhile is either
/// listed or counted, never marked unseen.
pub async fn take_undigested(tx: &mut Tx, person: i64, limit: i64) -> Result<(Vec<NotificationRow>, u64)> {
    sqlx::query(concat!(
        "UPDATE notifications SET emailed = 1 WHERE id IN (SELECT n.id FROM notifications n \
         WHERE n.person_id = $1 AND n.emailed = 0 AND (n.read_at IS NOT NULL OR NOT (",
        shown!(),
        ")))"
    ))
    .bind(person)
    .execute(&mut **tx)
    .await?;
    let mut rows: Vec<NotificationRow> = sqlx::query_as(concat!(
        "UPDATE notifications SET emailed = 1 WHERE id IN \
         (SELECT n.id FROM notifications n WHERE n.person_id = $1 AND n.emailed = 0 AND n.read_at IS NULL AND ",
        shown!(),
        " ORDER BY n.id LIMIT $2) \
         RETURNING id, kind, text, url, created_at, read_at"
    ))
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
