//! The email outbox: mail is written here in the same transaction as the
//! change that caused it, and a worker sends it (or admins read it).
//!
//! Several app servers may share one outbox, so a worker first claims a
//! message ([`claim`]): only the worker whose claim succeeded sends it, then
//! marks it sent ([`mark_sent`]) or failed ([`mark_failed`], which lets the
//! claim go and says when to try again). A claim lapses after
//! [`CLAIM_LEASE_SECS`], so mail a worker was sending when it stopped goes
//! out from another. A failed message waits before its next try, longer each
//! time ([`retry_delay`]), and is given up after [`GIVE_UP_AFTER`] tries
//! (about a day); an admin can send it again ([`send_again`]).
//!
//! Notification mail (one at a time, and the daily digest) names the person
//! it is for (`person_id`, migration 0060), and the worker checks them
//! again once it holds the claim ([`recheck`]): mail queued before the
//! person moved to another address, was suspended, banned or closed their
//! account, or changed their email choice is not sent, and keeps why
//! ([`drop_claimed`]). "Send again" goes through the same check.

use sqlx::FromRow;

use crate::error::Result;
use crate::{Db, Tx, now};

/// How long a worker's claim on a message lasts. Sending one message takes
/// seconds (the SMTP timeout is 20 s), so a claim this old belongs to a
/// worker that stopped mid-send; another may then send the message.
pub const CLAIM_LEASE_SECS: i64 = 5 * 60;

/// The wait after a message's first failed try; it doubles with each
/// failure, up to [`RETRY_MAX_SECS`].
pub const RETRY_FIRST_SECS: i64 = 30;

/// The longest wait between two tries.
pub const RETRY_MAX_SECS: i64 = 60 * 60;

/// A message is given up after this many failed tries: with waits of 30 s,
/// 1, 2, 4, 8, 16 and 32 minutes and then an hour, the last try is about
/// 24 hours after the first.
pub const GIVE_UP_AFTER: i64 = 31;

/// How long to wait after a message's `failures`-th failed try.
pub fn retry_delay(failures: i64) -> i64 {
    // 30 s doubled 7 times is past the cap already: no need to shift further.
    let doublings = (failures - 1).clamp(0, 16);
    (RETRY_FIRST_SECS << doublings).min(RETRY_MAX_SECS)
}

macro_rules! columns {
    () => {
        "id, to_addr, subject, body, kind, created_at, sent_at, attempts, last_error, claimed_at, next_attempt_at, held, person_id"
    };
}

#[derive(Debug, Clone, FromRow)]
pub struct EmailRow {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
    pub kind: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    /// Tries so far, failed ones and the one that sent it.
    pub attempts: i64,
    pub last_error: Option<String>,
    /// When a worker claimed it to send it (see [`CLAIM_LEASE_SECS`]).
    pub claimed_at: Option<i64>,
    /// When it may be tried next; `None` when held or given up.
    pub next_attempt_at: Option<i64>,
    /// 1 when kept for the admin page because no SMTP server is configured.
    pub held: i64,
    /// The person notification mail is for (migration 0060; `None` for
    /// other mail, and notification mail queued before it whose person
    /// was not found).
    pub person_id: Option<i64>,
}

/// Where a message is, as the admin page says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Sent,
    /// A worker is sending it now.
    Sending,
    /// Not tried yet.
    Waiting,
    /// Failed, and tried again at this time (unix seconds).
    Retrying(i64),
    /// Failed [`GIVE_UP_AFTER`] times (or could never be sent): not tried
    /// again unless an admin sends it again.
    GaveUp,
    /// No SMTP server is configured: kept here for an admin to read.
    Held,
}

impl EmailRow {
    pub fn state(&self, now: i64) -> State {
        if self.sent_at.is_some() {
            State::Sent
        } else if self.claimed_at.is_some_and(|at| at > now - CLAIM_LEASE_SECS) {
            State::Sending
        } else if self.held != 0 {
            State::Held
        } else {
            match self.next_attempt_at {
                None => State::GaveUp,
                Some(_) if self.attempts == 0 => State::Waiting,
                Some(at) => State::Retrying(at),
            }
        }
    }
}

/// Queues a message for the person `person` (notification mail: the
/// daily digest), so the worker checks them again before it goes
/// ([`recheck`]).
pub async fn enqueue_for(tx: &mut Tx, person: i64, to: &str, subject: &str, body: &str, kind: &str) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO email_outbox (to_addr, subject, body, kind, created_at, person_id) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(to)
    .bind(subject)
    .bind(body)
    .bind(kind)
    .bind(now())
    .bind(person)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
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
    Ok(sqlx::query_as(concat!("SELECT ", columns!(), " FROM email_outbox ORDER BY id DESC LIMIT $1"))
        .bind(limit)
        .fetch_all(&db.pool)
        .await?)
}

/// The ids of unsent mail due to be tried now and claimed by no worker,
/// oldest first. Claim each ([`claim`]) before sending it.
pub async fn due(db: &Db, limit: i64) -> Result<Vec<i64>> {
    let now = now();
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM email_outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 \
         AND (claimed_at IS NULL OR claimed_at <= $2) ORDER BY id LIMIT $3",
    )
    .bind(now)
    .bind(now - CLAIM_LEASE_SECS)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// A message this worker may send: it holds the claim until it marks the
/// message sent or failed, or the lease runs out.
#[derive(Debug, Clone)]
pub struct Claim {
    pub email: EmailRow,
}

/// Claims a due message for sending. `None` when it is not due, was sent,
/// or another worker holds a claim on it that has not lapsed: then this
/// worker must not send it. Of two claims at once, exactly one succeeds
/// (one `UPDATE` with the test in its `WHERE`: on PostgreSQL the second
/// waits for the first's row lock and then finds the row claimed; on SQLite
/// writes take turns).
pub async fn claim(db: &Db, id: i64) -> Result<Option<Claim>> {
    let now = now();
    let email: Option<EmailRow> = sqlx::query_as(concat!(
        "UPDATE email_outbox SET claimed_at = $1 \
         WHERE id = $2 AND sent_at IS NULL AND next_attempt_at <= $1 \
         AND (claimed_at IS NULL OR claimed_at <= $3) RETURNING ",
        columns!()
    ))
    .bind(now)
    .bind(id)
    .bind(now - CLAIM_LEASE_SECS)
    .fetch_optional(&db.pool)
    .await?;
    Ok(email.map(|email| Claim { email }))
}

/// The kinds of mail [`recheck`] looks at again before they go: a
/// notification's own mail, and the daily digest.
pub const RECHECKED_KINDS: [&str; 2] = ["notification", "digest"];

/// Why claimed notification mail must not go as it was queued, in words
/// for the admin page; `None` when it may go. Mail of
/// [`RECHECKED_KINDS`] that names its person goes only to their address
/// now, while their account is active and confirmed (not suspended,
/// banned, waiting or closed), and only while their email choice still
/// wants it (one-at-a-time mail: "immediate"; a digest: not "off").
/// Other mail (account links, moderation notices) goes as queued.
pub async fn recheck(db: &Db, claim: &Claim) -> Result<Option<&'static str>> {
    let email = &claim.email;
    let Some(person) = email.person_id.filter(|_| RECHECKED_KINDS.contains(&email.kind.as_str())) else { return Ok(None) };
    let row: Option<Recipient> = sqlx::query_as(
        "SELECT p.email, p.status, p.email_verified_at, p.closed_at, COALESCE(n.email_mode, 'daily') AS mode \
         FROM people p LEFT JOIN notification_prefs n ON n.person_id = p.id WHERE p.id = $1",
    )
    .bind(person)
    .fetch_optional(&db.pool)
    .await?;
    let Some(Recipient { email: address, status, email_verified_at: confirmed, closed_at: closed, mode }) = row else { return Ok(Some(NOT_SENT_GONE)) };
    Ok(if closed.is_some() {
        Some(NOT_SENT_GONE)
    } else if !address.eq_ignore_ascii_case(&email.to_addr) {
        Some(NOT_SENT_MOVED)
    } else if status != "active" || confirmed.is_none() {
        Some(NOT_SENT_INACTIVE)
    } else if (email.kind == "notification" && mode != "immediate") || mode == "off" {
        Some(NOT_SENT_CHOICE)
    } else {
        None
    })
}

/// The person notification mail is for, as [`recheck`] reads them now.
#[derive(FromRow)]
struct Recipient {
    email: String,
    status: String,
    email_verified_at: Option<i64>,
    closed_at: Option<i64>,
    mode: String,
}

/// Why notification mail was not sent ([`recheck`]): the account is gone.
pub const NOT_SENT_GONE: &str = "Not sent: the account it was for was closed after it was queued.";
/// … the person moved to another address since.
pub const NOT_SENT_MOVED: &str =
    "Not sent: the person changed their email address after it was queued, so it would have gone to their old one. Their notifications are on the site.";
/// … the account is no longer active (suspended, banned, waiting).
pub const NOT_SENT_INACTIVE: &str = "Not sent: the account is no longer active (suspended, banned or waiting for approval), or its address is not confirmed.";
/// … the person's email choice no longer wants it.
pub const NOT_SENT_CHOICE: &str = "Not sent: the person changed how they hear about notifications by email after it was queued.";

/// Gives up a claimed message that [`recheck`] says must not go, keeping
/// why (`last_error`) for the admin page: not sent, not tried again.
/// False when the claim was lost meanwhile (nothing recorded).
pub async fn drop_claimed(db: &Db, claim: &Claim, why: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE email_outbox SET next_attempt_at = NULL, claimed_at = NULL, held = 0, last_error = $1 \
         WHERE id = $2 AND sent_at IS NULL AND claimed_at = $3",
    )
    .bind(why)
    .bind(claim.email.id)
    .bind(claim.email.claimed_at)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The kinds of mail that carry a one-time link (email confirmation,
/// password reset): their text is dropped once sent, so the link lives only
/// in the recipient's inbox, not in the database or on the admin page.
pub const ONE_TIME_LINK_KINDS: [&str; 2] = ["verify", "reset"];

/// What a sent message with a one-time link keeps in place of its text.
pub const LINK_REMOVED: &str = "(The text of this message held a one-time link, so it was removed once the message was sent.)";

/// Records that a message was sent and lets its claim go; false if it was
/// already marked sent. A message with a one-time link loses its text here.
pub async fn mark_sent(db: &Db, id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE email_outbox SET sent_at = $1, attempts = attempts + 1, claimed_at = NULL, \
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

/// What became of a failed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// It will be tried again at this time (unix seconds).
    RetryAt(i64),
    /// It will not be tried again unless an admin sends it again.
    GaveUp,
    /// The claim had lapsed and the message was claimed again, sent, or
    /// reset by an admin: nothing was recorded.
    ClaimLost,
}

/// Records a failed try and lets the claim go: the message is tried again
/// after [`retry_delay`], or given up after [`GIVE_UP_AFTER`] tries, or at
/// once when `permanent` (it can never be sent, like a malformed address).
pub async fn mark_failed(db: &Db, claim: &Claim, error: &str, permanent: bool) -> Result<AfterFailure> {
    let attempts = claim.email.attempts + 1;
    let now = now();
    let next = (!permanent && attempts < GIVE_UP_AFTER).then(|| now + retry_delay(attempts));
    let done = sqlx::query(
        "UPDATE email_outbox SET attempts = $1, last_error = $2, next_attempt_at = $3, claimed_at = NULL \
         WHERE id = $4 AND sent_at IS NULL AND claimed_at = $5",
    )
    .bind(attempts)
    .bind(error)
    .bind(next)
    .bind(claim.email.id)
    .bind(claim.email.claimed_at)
    .execute(&db.pool)
    .await?;
    Ok(match next {
        _ if done.rows_affected() == 0 => AfterFailure::ClaimLost,
        Some(at) => AfterFailure::RetryAt(at),
        None => AfterFailure::GaveUp,
    })
}

/// Keeps a message that cannot be sent because no SMTP server is configured:
/// it stays on the admin page with its text (an admin passes its link on by
/// hand) and is not tried again unless an admin sends it again.
pub async fn mark_held(db: &Db, id: i64, note: &str) -> Result<()> {
    sqlx::query(
        "UPDATE email_outbox SET held = 1, next_attempt_at = NULL, claimed_at = NULL, last_error = $1 \
         WHERE id = $2 AND sent_at IS NULL",
    )
    .bind(note)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// An admin's "Send again": an unsent message, held or failed, is due at
/// once with its tries counted from nothing. False when it was sent, is
/// being sent right now, or is gone.
pub async fn send_again(db: &Db, id: i64) -> Result<bool> {
    let now = now();
    let done = sqlx::query(
        "UPDATE email_outbox SET attempts = 0, next_attempt_at = $1, held = 0, last_error = NULL, claimed_at = NULL \
         WHERE id = $2 AND sent_at IS NULL AND (claimed_at IS NULL OR claimed_at <= $3)",
    )
    .bind(now)
    .bind(id)
    .bind(now - CLAIM_LEASE_SECS)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes mail older than `cutoff` (unix seconds), sent or not: after that
/// long, a message still waiting will not be sent, and its links have
/// expired. Returns how many went.
pub async fn purge_before(db: &Db, cutoff: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM email_outbox WHERE created_at < $1").bind(cutoff).execute(&db.pool).await?;
    Ok(done.rows_affected())
}

/// An unsent message, as [`unsent_quoting`] reads it.
#[derive(Debug, Clone, FromRow)]
pub struct Unsent {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
    pub notification_id: Option<i64>,
}

/// Unsent mail (held for the admin page included) that tells of a
/// notification (`notification_id`) or is a daily digest (`digest_kind`),
/// whose body holds `quoted`: what a rewrite of notification texts also
/// rewrites (core `stories::remove_revision`). Oldest first.
pub async fn unsent_quoting(tx: &mut Tx, digest_kind: &str, quoted: &str) -> Result<Vec<Unsent>> {
    Ok(sqlx::query_as(
        "SELECT id, to_addr, subject, body, notification_id FROM email_outbox \
         WHERE sent_at IS NULL AND (notification_id IS NOT NULL OR kind = $1) \
           AND REPLACE(body, CAST($2 AS TEXT), '') <> body ORDER BY id",
    )
    .bind(digest_kind)
    .bind(quoted)
    .fetch_all(&mut **tx)
    .await?)
}

/// Rewrites an unsent message's subject and body; a message sent meanwhile
/// is left as it went. Returns whether it was rewritten.
pub async fn rewrite_unsent(tx: &mut Tx, id: i64, subject: &str, body: &str) -> Result<bool> {
    let done = sqlx::query("UPDATE email_outbox SET subject = $2, body = $3 WHERE id = $1 AND sent_at IS NULL")
        .bind(id)
        .bind(subject)
        .bind(body)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}
