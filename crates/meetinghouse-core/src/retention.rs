//! What is removed for good, and when: stories deleted longer ago than they
//! can be restored, then the uploads no story shows any more (with their
//! bytes in the media store), and mail in the outbox older than
//! [`OUTBOX_KEEP_SECS`], the rate limits' attempt counts no limit looks
//! at any more, notifications read more than
//! [`READ_NOTIFICATIONS_KEEP_SECS`] ago, and changes of email address
//! whose links expired (their new address unconfirmed), and the files of
//! collection-import checks kept for a day; sessions and email links a week
//! after they ended ([`SPENT_KEEP_SECS`]), invite codes 30 days after they
//! expired ([`EXPIRED_INVITES_KEEP_SECS`]) and accounts that waited for an
//! admin's approval for 90 days (`people::WAITING_KEEP_SECS`). Run by the
//! binary's periodic jobs; idempotent, so several app servers may run it at
//! once.

use meetinghouse_media::MediaStore;
use meetinghouse_store::stories as store_stories;

use crate::Db;
use crate::error::Result;
use crate::media;
use crate::stories::RESTORE_WINDOW_SECS;

/// How long the email outbox keeps a message (sent, held or failed): long
/// enough for an admin to look into a complaint, and every link in it has
/// expired by then (the longest, email confirmation, lasts 7 days).
pub const OUTBOX_KEEP_SECS: i64 = 30 * 24 * 3600;

/// How long a notification is kept after it was read: half a year. Unread
/// ones are kept however old.
pub const READ_NOTIFICATIONS_KEEP_SECS: i64 = 180 * 24 * 3600;

/// How long an expired session, and an email link (confirmation, password
/// reset) that expired or was used, is kept before it is removed: a week,
/// so a link followed again soon after is still answered as used rather
/// than unknown.
pub const SPENT_KEEP_SECS: i64 = 7 * 24 * 3600;

/// How long an invite code is kept after it expired (used or not), with the
/// admin's note on who it was for: 30 days.
pub const EXPIRED_INVITES_KEEP_SECS: i64 = 30 * 24 * 3600;

/// What one run removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub stories: u64,
    pub media: media::Removed,
    pub emails: u64,
    /// Attempt-count windows (core's `attempts`).
    pub attempts: u64,
    /// Notifications read more than [`READ_NOTIFICATIONS_KEEP_SECS`] ago.
    pub notifications: u64,
    /// Notifications and sessions that reached closed accounts after they
    /// closed (core `closing::purge_leftovers`).
    pub closed_leftovers: u64,
    /// Changes of email address whose links expired
    /// ([`crate::accounts::EMAIL_CHANGE_TTL_SECS`]).
    pub email_changes: u64,
    /// Files of collection-import checks kept longer than
    /// [`crate::collection::jobs::CHECKED_KEEP_SECS`].
    pub checked_files: u64,
    /// Sessions that ended more than [`SPENT_KEEP_SECS`] ago.
    pub sessions: u64,
    /// Email links that expired or were used more than [`SPENT_KEEP_SECS`] ago.
    pub email_links: u64,
    /// Invite codes that expired more than [`EXPIRED_INVITES_KEEP_SECS`] ago.
    pub invites: u64,
    /// Accounts that waited for approval longer than
    /// [`crate::people::WAITING_KEEP_SECS`], erased.
    pub waiting_accounts: u64,
    /// Steps that failed (each logged): the others ran all the same.
    pub failed_steps: u64,
}

/// Removes, as of `now` (unix seconds), the stories deleted more than
/// [`RESTORE_WINDOW_SECS`] ago (their photos' places, history and links go
/// with them, and the replies, notifications, thanks and closed reports
/// about them; the newest story of all is emptied instead — its words and
/// photos go, and the rest with them — and its row waits until a newer one exists, so
/// its id is never given again), then the uploads no story shows that are
/// older than [`media::UNUSED_KEEP_SECS`] — those purged stories' photos
/// among them —, outbox mail older than [`OUTBOX_KEEP_SECS`], old
/// attempt counts, notifications read more than
/// [`READ_NOTIFICATIONS_KEEP_SECS`] ago, changes of email address whose
/// links expired, the files of collection-import checks sent more than
/// a day ago, sessions and email links that ended more than
/// [`SPENT_KEEP_SECS`] ago, invite codes expired more than
/// [`EXPIRED_INVITES_KEEP_SECS`] ago and accounts that waited for approval
/// longer than [`crate::people::WAITING_KEEP_SECS`]. Each step runs whatever happened to the others: one that
/// fails is logged and counted in [`Purged::failed_steps`], so (say) an
/// object store that is down never keeps old mail past its 30 days. An
/// image that cannot be deleted is skipped and counted
/// ([`media::Removed::failed`]).
pub async fn purge(db: &Db, media_store: &MediaStore, now: i64) -> Result<Purged> {
    let mut failed_steps = 0;
    let mut done = |step: &str, result: Result<u64>| match result {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(step, error = %e, "purge: a step failed; the others ran, and it is tried again next time");
            failed_steps += 1;
            0
        }
    };
    let stories = done("stories", store_stories::purge_deleted_before(db, now - RESTORE_WINDOW_SECS).await.map_err(Into::into))
        + done("newest story", store_stories::empty_newest_deleted_before(db, now - RESTORE_WINDOW_SECS).await.map_err(Into::into));
    let (media, media_failed) = match media::remove_unused(db, media_store, now).await {
        Ok(m) => (m, Ok(0)),
        Err(e) => (media::Removed::default(), Err(e)),
    };
    done("uploads", media_failed);
    let emails = done("outbox", meetinghouse_store::outbox::purge_before(db, now - OUTBOX_KEEP_SECS).await.map_err(Into::into));
    let attempts = done("attempts", crate::attempts::purge(db, now).await);
    let notifications = done(
        "notifications",
        meetinghouse_store::notifications::purge_read_before(db, now - READ_NOTIFICATIONS_KEEP_SECS).await.map_err(Into::into),
    );
    let closed_leftovers = done("closed accounts", crate::closing::purge_leftovers(db).await);
    let email_changes = done("email changes", crate::accounts::purge_expired_email_changes(db, now).await);
    let checked_files = done(
        "checked import files",
        meetinghouse_store::collection_imports::forget_checks_before(db, now - crate::collection::jobs::CHECKED_KEEP_SECS).await.map_err(Into::into),
    );
    let sessions = done("sessions", meetinghouse_store::sessions::purge_expired_before(db, now - SPENT_KEEP_SECS).await.map_err(Into::into));
    let email_links = done("email links", meetinghouse_store::tokens::purge_spent_before(db, now - SPENT_KEEP_SECS).await.map_err(Into::into));
    let invites = done(
        "invite codes",
        meetinghouse_store::tokens::purge_invites_expired_before(db, now - EXPIRED_INVITES_KEEP_SECS).await.map_err(Into::into),
    );
    let waiting_accounts = done("accounts waiting for approval", crate::people::purge_waiting(db, now).await);
    Ok(Purged {
        stories,
        media,
        emails,
        attempts,
        notifications,
        closed_leftovers,
        email_changes,
        checked_files,
        sessions,
        email_links,
        invites,
        waiting_accounts,
        failed_steps,
    })
}
