//! In-app notifications, email preferences and the daily digest's bookkeeping.
//!
//! A notification may record who set it off (`sender_id`) and the reply it
//! is about (`reply_id`, migration 0020). What the person is shown — the
//! list, the unread count, the digest — leaves out, as things are now,
//! notifications from someone they blocked or muted, ones whose reply is
//! no longer shown (retracted or hidden), ones whose reply is on something
//! they may no longer see (a deleted story, a group they left), and ones
//! linking to the page of a members-only group they may no longer see (a
//! withdrawn invitation): `shown!`. Rows without a sender or a reply (older
//! ones, moderation outcomes) are otherwise always shown.
//!
//! Email goes only to an active account with a confirmed address. The
//! daily digest's set is the rows with `emailed = 0` (and unread): reading a
//! notification on the site takes it out, and migration 0032's partial
//! index holds just that set. Read notifications are purged after a while
//! ([`purge_read_before`]).

use sqlx::FromRow;

use crate::error::Result;
use crate::writes::{Arg, Batch, Inserted, Text};
use crate::{Db, Tx, now};

/// Whether person `$p` (an SQL expression: the notification row's
/// `n.person_id`, or the query's parameter for the person) may see group
/// `$g` (an SQL expression): they belong to it at any depth — directly,
/// through an active organisation membership, or through member groups as
/// far as access passes up, the store's one rule (`groups::reach!`, as in
/// [`crate::groups::reachable_for_person`]) — or are an instance admin, who
/// sees every group. Part of [`shown!`]. Given the
/// query's parameter, the groups they reach are worked out once for the
/// statement rather than once for each row.
macro_rules! sees_group {
    ($p:literal, $g:literal) => {
        concat!(
            "(EXISTS (SELECT 1 FROM people na WHERE na.id = ",
            $p,
            " AND na.is_admin = 1) OR ",
            $g,
            " IN (WITH RECURSIVE ",
            $crate::groups::reach!("n_reach", $p),
            " \
               SELECT n_reach.id FROM n_reach))"
        )
    };
}

/// The condition a notification row `n` meets while its person is shown it:
/// - its sender (if recorded) is not blocked or muted by them;
/// - its reply (if recorded) is visible, on a subject they may see now, by
///   the rule of core's `subjects::resolve`: a story not deleted, and public,
///   or theirs, or shown to a group they belong to; a group's discussion
///   that is public or theirs; a prompt not in a members-only group they are
///   outside; an amendment to the purpose of a group that is public or
///   theirs; an organisation or object that is still there;
/// - a link to a group's page (`/groups/{slug}`, a join request, an
///   invitation, an answer) is not to a members-only group they may no
///   longer see: the page shows someone it invited only the invitation, and
///   everyone else outside it "not found". A link to one of its amendments
///   (`/groups/{slug}/amendments/{id}`: proposed, objected to, settled; the
///   slug is the address with the trailing id and `/amendments/` taken
///   off, since slugs hold no `/`) is shown only to its members, never on
///   an invitation.
///
/// Group checks run only for the rows that need them (`CASE`). `shown!()`
/// names the person as `n.person_id`; a query about one person passes its
/// parameter (`shown!("$1")`), so the groups they reach are read once.
/// Used by [`crate::people::by_session`] (the header's count) and store
/// `groups` too.
macro_rules! shown {
    () => {
        $crate::notifications::shown!("n.person_id")
    };
    ($p:literal) => {
        concat!(
            "(n.sender_id IS NULL OR NOT EXISTS (SELECT 1 FROM person_relations sr \
             WHERE sr.person_id = n.person_id AND sr.kind IN ('block', 'mute') AND sr.other_id = n.sender_id)) \
             AND (n.reply_id IS NULL OR EXISTS (SELECT 1 FROM replies sn WHERE sn.id = n.reply_id AND sn.status = 'visible' AND \
               CASE sn.subject_kind \
                 WHEN 'story' THEN EXISTS (SELECT 1 FROM stories ss WHERE ss.id = sn.subject_id AND ss.deleted_at IS NULL \
                   AND (ss.visibility = 'public' OR ss.author_person = n.person_id \
                        OR (ss.visibility = 'group' AND ss.group_id IS NOT NULL AND ",
            $crate::notifications::sees_group!($p, "ss.group_id"),
            "))) \
                 WHEN 'group' THEN EXISTS (SELECT 1 FROM community_groups sg WHERE sg.id = sn.subject_id \
                   AND (sg.visibility <> 'members' OR ",
            $crate::notifications::sees_group!($p, "sg.id"),
            ")) \
                 WHEN 'prompt' THEN EXISTS (SELECT 1 FROM prompts sp LEFT JOIN community_groups pg ON pg.id = sp.group_id \
                   WHERE sp.id = sn.subject_id AND (sp.group_id IS NULL OR pg.visibility = 'public' OR ",
            $crate::notifications::sees_group!($p, "sp.group_id"),
            ")) \
                 WHEN 'amendment' THEN EXISTS (SELECT 1 FROM purpose_amendments sa JOIN community_groups ag ON ag.id = sa.group_id \
                   WHERE sa.id = sn.subject_id AND (ag.visibility <> 'members' OR ",
            $crate::notifications::sees_group!($p, "ag.id"),
            ")) \
                 WHEN 'org' THEN EXISTS (SELECT 1 FROM organisations so WHERE so.id = sn.subject_id) \
                 WHEN 'object' THEN EXISTS (SELECT 1 FROM collection_objects sc WHERE sc.id = sn.subject_id) \
                 ELSE TRUE END)) \
             AND (n.reply_id IS NOT NULL OR n.url NOT LIKE '/groups/%' OR NOT EXISTS (SELECT 1 FROM community_groups ug \
               WHERE ug.slug = CASE WHEN n.url LIKE '/groups/%/amendments/%' \
                   THEN REPLACE(RTRIM(SUBSTR(n.url, 9), '0123456789'), '/amendments/', '') ELSE SUBSTR(n.url, 9) END \
               AND ug.visibility = 'members' \
               AND (n.url LIKE '/groups/%/%' OR NOT EXISTS (SELECT 1 FROM group_members ui WHERE ui.group_id = ug.id AND ui.member_kind = 'person' \
                   AND ui.member_id = n.person_id AND ui.status = 'invited')) \
               AND NOT ",
            $crate::notifications::sees_group!($p, "ug.id"),
            "))"
        )
    };
}

/// [`SEALED_OBJECT_TEXT`] as a literal, for `concat!` (no quotes in it).
macro_rules! sealed_text {
    () => {
        "News of a reply on a collection object that the moderators have since withdrawn."
    };
}

/// What a notification's text reads as, from table or alias `$n`: as
/// written, except that one about a reply on a collection object the
/// moderators have since withdrawn reads [`SEALED_OBJECT_TEXT`], since its
/// words (the object's title) are hidden everywhere else (core
/// `collection::sealed`).
macro_rules! text_shown {
    ($n:literal) => {
        concat!(
            "CASE WHEN ",
            $n,
            ".reply_id IS NOT NULL AND EXISTS (SELECT 1 FROM replies tr JOIN collection_objects tc ON tc.id = tr.subject_id \
               WHERE tr.id = ",
            $n,
            ".reply_id AND tr.subject_kind = 'object' AND tc.withdrawn_at IS NOT NULL AND tc.withdrawn_how = 'moderation') \
             THEN '",
            sealed_text!(),
            "' ELSE ",
            $n,
            ".text END AS text"
        )
    };
}

/// The text a notification about a reply on an object the moderators
/// withdrew is shown with, in the list and the digest (`text_shown!`).
pub const SEALED_OBJECT_TEXT: &str = sealed_text!();

/// Where a notification links to, from table or alias `$n`: as written,
/// except that one about a reply on a collection object the moderators
/// have since withdrawn links to that organisation's collection
/// (`/orgs/{slug}/objects`), which everyone may see, rather than to the
/// reply on the object that is no longer shown: what `text_shown!` says of
/// it names nothing the link would then show. Read by the list, the
/// digest and following one (`open`).
macro_rules! url_shown {
    ($n:literal) => {
        concat!(
            "COALESCE((SELECT '/orgs/' || uo.slug || '/objects' FROM replies ur \
               JOIN collection_objects uc ON uc.id = ur.subject_id JOIN organisations uo ON uo.id = uc.org_id \
               WHERE ur.id = ",
            $n,
            ".reply_id AND ur.subject_kind = 'object' AND uc.withdrawn_at IS NOT NULL AND uc.withdrawn_how = 'moderation'), ",
            $n,
            ".url) AS url"
        )
    };
}


/// An account notification email may go to: active, address confirmed.
macro_rules! mailable {
    ($p:literal) => {
        concat!($p, ".status = 'active' AND ", $p, ".email_verified_at IS NOT NULL")
    };
}
pub(crate) use {sees_group, shown};

#[derive(Debug, Clone, FromRow)]
pub struct NotificationRow {
    pub id: i64,
    pub kind: String,
    pub text: String,
    pub url: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
    /// Who set it off, when recorded: repeated news from one sender is
    /// shown as one line (core `notifications::group`).
    pub sender_id: Option<i64>,
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
    already_told_of(tx, person, kind, sender, url, text, "", since).await
}

/// [`already_told_by`], counting only the sender's notifications whose text
/// ends with `ending` (what they asked for, without the name they go by:
/// "(@kit) asked to join Town.", "(@kit) asked for Museum to join Town."),
/// so each thing one person asks for is told once, whatever they are
/// called now, and one never hides another. An empty `ending` counts all.
#[allow(clippy::too_many_arguments)]
pub async fn already_told_of(tx: &mut Tx, person: i64, kind: &str, sender: i64, url: &str, text: &str, ending: &str, since: i64) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM notifications WHERE person_id = $1 AND kind = $2 AND url = $4 \
         AND ((sender_id = $3 AND LENGTH(text) >= LENGTH(CAST($7 AS TEXT)) \
               AND SUBSTR(text, LENGTH(text) - LENGTH(CAST($7 AS TEXT)) + 1) = CAST($7 AS TEXT)) \
              OR (sender_id IS NULL AND text = $6)) \
         AND (read_at IS NULL OR created_at >= $5) LIMIT 1",
    )
    .bind(person)
    .bind(kind)
    .bind(sender)
    .bind(url)
    .bind(since)
    .bind(text)
    .bind(ending)
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
/// The mail records the notification it tells of (`notification`, the
/// insert of the same batch), so a change of mind can call one back and put
/// the other back in the digest ([`set_mode`]), and the person it is for
/// (migration 0060), whom the mail worker checks again before it goes
/// (store `outbox::recheck`).
pub fn email_if_immediate_into(b: &mut Batch, person: i64, subject: &str, body: &Text, notification: Inserted) {
    b.execute(
        concat!(
            "INSERT INTO email_outbox (to_addr, subject, body, kind, created_at, notification_id, person_id) \
             SELECT p.email, $2, $3, 'notification', $4, $5, p.id FROM people p LEFT JOIN notification_prefs n ON n.person_id = p.id \
             WHERE p.id = $1 AND COALESCE(n.email_mode, 'daily') = 'immediate' AND ",
            mailable!("p")
        ),
        vec![person.into(), subject.into(), body.arg(), now().into(), notification.into()],
    );
}

/// Unread notifications the person is shown, counted up to `cap` (the
/// header shows "99+" past it).
pub async fn unread_count(db: &Db, person: i64, cap: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(concat!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM notifications n WHERE n.person_id = $1 AND n.read_at IS NULL AND ",
        shown!("$1"),
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
        "SELECT n.id, n.kind, ",
        text_shown!("n"),
        ", ",
        url_shown!("n"),
        ", n.created_at, n.read_at, n.sender_id FROM notifications n \
         WHERE n.person_id = $1 AND ($2 = 0 OR n.id < $2) AND ",
        shown!("$1"),
        " ORDER BY n.id DESC LIMIT $3"
    ))
    .bind(person)
    .bind(before)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// Marks read every notification the person has. Reading one takes it out
/// of the daily digest's set too (`emailed = 1`): the digest never lists
/// what was read on the site.
pub async fn mark_all_read(db: &Db, person: i64) -> Result<u64> {
    let done = sqlx::query("UPDATE notifications SET read_at = $2, emailed = 1 WHERE person_id = $1 AND read_at IS NULL")
        .bind(person)
        .bind(now())
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
}

/// Marks read the person's notifications with these ids (the unread ones a
/// page showed, at most a page's worth): ids are handed out as rows are
/// inserted, not as they commit, so "up to the newest id shown" could take
/// in one that committed after the page was drawn. Someone else's ids are
/// left alone.
pub async fn mark_read(db: &Db, person: i64, ids: &[i64]) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let list = (0..ids.len()).map(|i| format!("${}", i + 3)).collect::<Vec<_>>().join(", ");
    let sql = format!("UPDATE notifications SET read_at = $2, emailed = 1 WHERE person_id = $1 AND read_at IS NULL AND id IN ({list})");
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(person).bind(now());
    for id in ids {
        q = q.bind(*id);
    }
    Ok(q.execute(&db.pool).await?.rows_affected())
}

/// Marks one of the person's notifications read (if it was not; out of the
/// digest's set too) and returns its link (as the list shows it,
/// `url_shown!`), and whether they are still shown
/// it (`shown!`: what it is about may have gone from their view since the
/// page was drawn); `None` when they have no notification with that id.
pub async fn open(db: &Db, person: i64, id: i64) -> Result<Option<(String, bool)>> {
    let still: Option<(i64,)> = sqlx::query_as(concat!("SELECT n.id FROM notifications n WHERE n.id = $1 AND n.person_id = $2 AND ", shown!("$2")))
        .bind(id)
        .bind(person)
        .fetch_optional(&db.pool)
        .await?;
    let row: Option<(String,)> = sqlx::query_as(concat!(
        "UPDATE notifications SET read_at = COALESCE(read_at, $3), emailed = 1 WHERE id = $1 AND person_id = $2 RETURNING ",
        url_shown!("notifications")
    ))
    .bind(id)
    .bind(person)
    .bind(now())
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|(url,)| (url, still.is_some())))
}

/// Removes read notifications read before `cutoff` (unix seconds), a batch
/// at a time so a large first purge never holds SQLite's write turn long.
/// Unread ones stay however old. Returns how many went.
pub async fn purge_read_before(db: &Db, cutoff: i64) -> Result<u64> {
    crate::purge::in_batches(db, "DELETE FROM notifications WHERE id IN \
             (SELECT id FROM notifications WHERE read_at IS NOT NULL AND read_at < $1 LIMIT $2)", cutoff).await
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

/// Sets how the person hears about notifications by email, and drops the
/// notification mail still waiting in the outbox that the new choice no
/// longer wants: one-at-a-time mail unless the choice is "immediate", and a
/// digest too when it is "off". Mail a worker is sending right now (claimed
/// within [`crate::outbox::CLAIM_LEASE_SECS`]) cannot be called back; mail
/// waiting to be tried again after a failure can, and is. Returns how many
/// messages were dropped.
///
/// On a switch to "daily", the unread notifications whose one-at-a-time
/// mail is called back go back into the digest's set (`emailed = 0`), so
/// the next digest lists them instead of their news being lost. (A mail
/// names its notification, `email_outbox.notification_id`, migration 0046.)
/// On a switch to "off" nothing is put back: no email is wanted.
pub async fn set_mode(db: &Db, person: i64, mode: &str) -> Result<u64> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO notification_prefs (person_id, email_mode) VALUES ($1, $2) \
         ON CONFLICT (person_id) DO UPDATE SET email_mode = $2",
    )
    .bind(person)
    .bind(mode)
    .execute(&mut *tx)
    .await?;
    let now = now();
    let lease_ended = now - crate::outbox::CLAIM_LEASE_SECS;
    if mode == "daily" {
        // Before the mail goes: the notifications it was for, still unread.
        sqlx::query(
            "UPDATE notifications SET emailed = 0 \
             WHERE person_id = $1 AND emailed = 1 AND read_at IS NULL \
             AND EXISTS (SELECT 1 FROM email_outbox o WHERE o.sent_at IS NULL AND o.kind = 'notification' \
               AND o.notification_id = notifications.id \
               AND o.to_addr = (SELECT email FROM people WHERE id = $1) \
               AND (o.claimed_at IS NULL OR o.claimed_at <= $2))",
        )
        .bind(person)
        .bind(lease_ended)
        .execute(&mut *tx)
        .await?;
    }
    let dropped = sqlx::query(
        "DELETE FROM email_outbox WHERE sent_at IS NULL \
         AND to_addr = (SELECT email FROM people WHERE id = $1) \
         AND ((kind = 'notification' AND $2 <> 'immediate') OR (kind = 'digest' AND $2 = 'off')) \
         AND (claimed_at IS NULL OR claimed_at <= $3)",
    )
    .bind(person)
    .bind(mode)
    .bind(lease_ended)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(dropped)
}

/// Whether the digest of the person whose `notification_prefs` row is `p`
/// (all NULL when they have none) is due at send time `slot` (unix
/// seconds; core works it out on the meeting house's clock) at `now`
/// (parameters such as `"$1"`): no digest was claimed for that send time
/// (`digest_slot`, migration 0045). A digest claimed for another one — an
/// earlier day, or a later day while a clock ran ahead and was then set
/// back — does not stop it. Before its first claim by send time, the row
/// says only when the last digest went out (`last_digest_at`): due when
/// that was before the send time, or is still ahead of `now` (stamped by a
/// clock since set back).
macro_rules! digest_is_due {
    ($p:literal, $slot:literal, $now:literal) => {
        concat!(
            "((", $p, ".digest_slot IS NULL AND (", $p, ".last_digest_at IS NULL OR ", $p, ".last_digest_at < ", $slot, " OR ", $p,
            ".last_digest_at > ", $now, ")) OR ", $p, ".digest_slot <> ", $slot, ")"
        )
    };
}

/// People due a daily digest at send time `slot` at `now` (unix seconds;
/// core works the send time out on the meeting house's clock): on the daily
/// digest, with something unread, shown to them and not yet emailed that
/// arrived before `slot`, no digest claimed for `slot` ([`digest_is_due!`]),
/// and an active account with a confirmed address. Lowest ids first, after
/// id `after` (so a run goes on past people whose digest failed). Reads
/// the digest's set through migration 0032's partial index (`emailed = 0
/// AND read_at IS NULL`), so the rows read on the site or already emailed
/// cost nothing here.
pub async fn digest_due(db: &Db, slot: i64, now: i64, after: i64, limit: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(concat!(
        "SELECT pe.id FROM people pe LEFT JOIN notification_prefs p ON p.person_id = pe.id \
         WHERE pe.id > $4 AND pe.id IN (SELECT u.person_id FROM notifications u WHERE u.emailed = 0 AND u.read_at IS NULL AND u.created_at < $1) \
         AND COALESCE(p.email_mode, 'daily') = 'daily' AND ",
        digest_is_due!("p", "$1", "$3"),
        " AND ",
        mailable!("pe"),
        " AND EXISTS (SELECT 1 FROM notifications n WHERE n.person_id = pe.id AND n.emailed = 0 AND n.read_at IS NULL \
           AND n.created_at < $1 AND ",
        shown!(),
        ") ORDER BY pe.id LIMIT $2"
    ))
    .bind(slot)
    .bind(limit)
    .bind(now)
    .bind(after)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}

/// Claims a person's digest for send time `slot`: records the send time
/// (`digest_slot`) and stamps `last_digest_at` with `now`, if they are
/// (still) on the daily digest and no digest was claimed for that send
/// time ([`digest_is_due!`]). The first statement writes, so two workers
/// cannot both claim it, and email turned off before the claim stops it.
pub async fn claim_digest(tx: &mut Tx, person: i64, slot: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(concat!(
        "INSERT INTO notification_prefs (person_id, email_mode, last_digest_at, digest_slot) VALUES ($1, 'daily', $2, $3) \
         ON CONFLICT (person_id) DO UPDATE SET last_digest_at = $2, digest_slot = $3 \
         WHERE notification_prefs.email_mode = 'daily' AND ",
        digest_is_due!("notification_prefs", "$3", "$2"),
    ))
    .bind(person)
    .bind(now)
    .bind(slot)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// [`take_undigested_before`] with no bound on when they arrived: every
/// notification not yet emailed (tests, and what needs all of them).
pub async fn take_undigested(tx: &mut Tx, person: i64, limit: i64) -> Result<(Vec<NotificationRow>, u64)> {
    take_undigested_before(tx, person, i64::MAX, limit).await
}

/// The notifications a digest for send time `slot` must mention: the
/// oldest `limit` that arrived before `slot`, not yet emailed, still unread
/// and shown to the person (`shown!`, checked here, in the digest's
/// transaction: what they may no longer see is never listed), oldest
/// first, and how many more there were. Marks all of them emailed. Ones no
/// longer shown are marked first, without being listed; then exactly the
/// rows listed, then the rest, so a notification stored meanwhile is either
/// listed or counted, never marked unseen. What arrived at or after `slot`
/// is left for the next day's digest, untouched. (Reading one on the site
/// marks it emailed already.)
pub async fn take_undigested_before(tx: &mut Tx, person: i64, slot: i64, limit: i64) -> Result<(Vec<NotificationRow>, u64)> {
    sqlx::query(concat!(
        "UPDATE notifications SET emailed = 1 WHERE id IN (SELECT n.id FROM notifications n \
         WHERE n.person_id = $1 AND n.emailed = 0 AND n.read_at IS NULL AND n.created_at < $2 AND NOT (",
        shown!("$1"),
        "))"
    ))
    .bind(person)
    .bind(slot)
    .execute(&mut **tx)
    .await?;
    let mut rows: Vec<NotificationRow> = sqlx::query_as(concat!(
        "UPDATE notifications SET emailed = 1 WHERE id IN \
         (SELECT n.id FROM notifications n WHERE n.person_id = $1 AND n.emailed = 0 AND n.read_at IS NULL AND n.created_at < $3 AND ",
        shown!("$1"),
        " ORDER BY n.id LIMIT $2) \
         RETURNING id, kind, ",
        text_shown!("notifications"),
        ", ",
        url_shown!("notifications"),
        ", created_at, read_at, sender_id"
    ))
    .bind(person)
    .bind(limit)
    .bind(slot)
    .fetch_all(&mut **tx)
    .await?;
    rows.sort_by_key(|r| r.id);
    let more = sqlx::query("UPDATE notifications SET emailed = 1 WHERE person_id = $1 AND emailed = 0 AND read_at IS NULL AND created_at < $2")
        .bind(person)
        .bind(slot)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok((rows, more))
}

/// A notification about a story whose text quotes something: what a
/// rewrite of its text needs (core `stories::remove_revision`). `email` is
/// its person's address now ('' when none), to find the digest mail that
/// lists it.
#[derive(Debug, Clone, FromRow)]
pub struct Quoting {
    pub id: i64,
    pub person_id: i64,
    pub email: String,
    pub text: String,
    pub url: String,
}

/// The notifications about story `story` whose text holds `quoted`: by the
/// rule the purge of a story removes its notifications by (store
/// `purge::story_leftovers`) — about a reply on it (the reply recorded, or
/// linked to), or linking to its page or an address under it — and never
/// another story's, whatever its title. Oldest first.
pub async fn about_story_quoting(tx: &mut Tx, story: i64, quoted: &str) -> Result<Vec<Quoting>> {
    let story_url = format!("/stories/{story}");
    Ok(sqlx::query_as(
        "SELECT n.id, n.person_id, COALESCE(p.email, '') AS email, n.text, n.url \
         FROM notifications n LEFT JOIN people p ON p.id = n.person_id \
         WHERE (n.reply_id IN (SELECT id FROM replies WHERE subject_kind = 'story' AND subject_id = $1) \
           OR n.url IN (SELECT '/replies/' || CAST(id AS TEXT) FROM replies WHERE subject_kind = 'story' AND subject_id = $1) \
           OR n.url = $2 OR n.url LIKE $3 OR n.url LIKE $4 OR n.url LIKE $5) \
           AND REPLACE(n.text, CAST($6 AS TEXT), '') <> n.text \
         ORDER BY n.id",
    )
    .bind(story)
    .bind(&story_url)
    .bind(format!("{story_url}/%"))
    .bind(format!("{story_url}#%"))
    .bind(format!("{story_url}?%"))
    .bind(quoted)
    .fetch_all(&mut **tx)
    .await?)
}

/// Rewrites one notification's text (read or not, emailed or not).
pub async fn set_text(tx: &mut Tx, id: i64, text: &str) -> Result<()> {
    sqlx::query("UPDATE notifications SET text = $2 WHERE id = $1").bind(id).bind(text).execute(&mut **tx).await?;
    Ok(())
}
