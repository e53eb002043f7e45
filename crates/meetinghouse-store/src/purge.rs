//! What goes with a story removed for good: the rows of other aggregates
//! (replies, thanks, notifications, reports, the interaction record) that
//! belong to it. Kept apart from `stories` so each table's owner can see,
//! in one place, what the purge removes of theirs. Also the erasure of an
//! account that waited for approval ([`waiting_account`]).

use crate::Tx;
use crate::error::Result;

/// The replies on a story (`$1`), for the statements below.
const REPLIES: &str = "SELECT id FROM replies WHERE subject_kind = 'story' AND subject_id = $1";

/// Removes, in the story's purge transaction, what belongs to story `id`
/// and would otherwise outlive it:
///
/// - the replies on it, every one, whoever wrote them (no one can read them
///   without the story), with their earlier versions;
/// - the notifications about those replies (by reply, or by the link to one
///   for rows stored before notifications named their reply) and those
///   linking to the story's page;
/// - thanks for the story and for those replies;
/// - the interaction record's edges on the story (replies, mentions and
///   thanks there): the export already leaves out a deleted story's edges,
///   so these could never be read again;
/// - the first host reply recorded for the story or for one of its replies;
/// - closed reports about the story or its replies. A moderation action
///   that closed one keeps its entry in the moderation log (the audit log
///   is not purged: who acted, on what, when and why stay), without the
///   link to the report, which the log never shows. Open reports stay in
///   the moderators' queue, which says the reply no longer exists: a
///   moderator closes them.
///
/// Call it before the story's own row is deleted.
pub async fn story_leftovers(tx: &mut Tx, id: i64) -> Result<()> {
    let story_url = format!("/stories/{id}");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM notifications WHERE reply_id IN ({REPLIES}) \
         OR url IN (SELECT '/replies/' || CAST(id AS TEXT) FROM replies WHERE subject_kind = 'story' AND subject_id = $1) \
         OR url = $2 OR url LIKE $3 OR url LIKE $4 OR url LIKE $5"
    )))
    .bind(id)
    .bind(&story_url)
    .bind(format!("{story_url}/%"))
    .bind(format!("{story_url}#%"))
    .bind(format!("{story_url}?%"))
    .execute(&mut **tx)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM thanks WHERE (target_kind = 'story' AND target_id = $1) OR (target_kind = 'reply' AND target_id IN ({REPLIES}))"
    )))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM interactions WHERE (subject_kind = 'story' AND subject_id = $1) OR reply_id IN ({REPLIES})"
    )))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM host_replies WHERE (contribution_kind = 'story' AND contribution_id = $1) \
         OR (contribution_kind = 'reply' AND contribution_id IN ({REPLIES})) OR reply_id IN ({REPLIES})"
    )))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    let closed = format!(
        "SELECT id FROM reports WHERE status = 'closed' AND ((target_kind = 'story' AND target_id = $1) \
         OR (target_kind = 'reply' AND target_id IN ({REPLIES})))"
    );
    // (The foreign key sets it to NULL too; this does not depend on it being enforced.)
    sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE moderation_actions SET report_id = NULL WHERE report_id IN ({closed})")))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM reports WHERE id IN ({closed})"))).bind(id).execute(&mut **tx).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM reply_revisions WHERE reply_id IN ({REPLIES})")))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    // One statement for the whole thread: a reply's answers go with it, so
    // no answer is left pointing at a parent that is gone.
    sqlx::query("DELETE FROM replies WHERE subject_kind = 'story' AND subject_id = $1").bind(id).execute(&mut **tx).await?;
    for table in ["story_revisions", "story_last_shown", "story_objects", "story_photos"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE story_id = $1"))).bind(id).execute(&mut **tx).await?;
    }
    Ok(())
}

/// How many rows of each kind still name story `id` or one of its replies:
/// (table, rows), only tables with some. For checking a purge (tests, and an
/// operator's question "is anything of it left?").
pub async fn rows_naming_story(db: &crate::Db, id: i64) -> Result<Vec<(String, i64)>> {
    let story_url = format!("/stories/{id}");
    let counts: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT 'replies', COUNT(*) FROM replies WHERE subject_kind = 'story' AND subject_id = $1 \
         UNION ALL SELECT 'notifications', COUNT(*) FROM notifications WHERE reply_id IN ({REPLIES}) OR url = $2 OR url LIKE $3 \
         UNION ALL SELECT 'thanks', COUNT(*) FROM thanks WHERE (target_kind = 'story' AND target_id = $1) \
             OR (target_kind = 'reply' AND target_id IN ({REPLIES})) \
         UNION ALL SELECT 'interactions', COUNT(*) FROM interactions WHERE subject_kind = 'story' AND subject_id = $1 \
         UNION ALL SELECT 'host_replies', COUNT(*) FROM host_replies WHERE contribution_kind = 'story' AND contribution_id = $1 \
         UNION ALL SELECT 'closed reports', COUNT(*) FROM reports WHERE status = 'closed' AND target_kind = 'story' AND target_id = $1 \
         UNION ALL SELECT 'story_revisions', COUNT(*) FROM story_revisions WHERE story_id = $1 \
         UNION ALL SELECT 'story_photos', COUNT(*) FROM story_photos WHERE story_id = $1 \
         UNION ALL SELECT 'stories', COUNT(*) FROM stories WHERE id = $1"
    )))
    .bind(id)
    .bind(&story_url)
    .bind(format!("{story_url}/%"))
    .fetch_all(&db.pool)
    .await?;
    Ok(counts.into_iter().filter(|(_, n)| *n > 0).collect())
}

/// Erases an account still waiting for an admin's approval (declined, or
/// waiting longer than the meeting house keeps such accounts), in the
/// caller's transaction: the notices its sign-up sent the admins, then its
/// row, with which its sessions, email links, settings, sectors, blocks and
/// the rest go (`ON DELETE CASCADE`; a waiting account can post nothing).
/// Returns its (email, handle, confirmed) when it was erased; None when it
/// is no longer waiting (approved meanwhile, or gone): then the caller
/// drops the transaction, so nothing changes.
pub async fn waiting_account(tx: &mut Tx, id: i64) -> Result<Option<(String, String, bool)>> {
    sqlx::query("DELETE FROM notifications WHERE sender_id = $1 AND EXISTS (SELECT 1 FROM people WHERE id = $1 AND status = 'pending')")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let row: Option<(String, String, Option<i64>)> =
        sqlx::query_as("DELETE FROM people WHERE id = $1 AND status = 'pending' RETURNING email, handle, email_verified_at")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(row.map(|(email, handle, confirmed)| (email, handle, confirmed.is_some())))
}

/// The accounts that have waited for approval since before `cutoff` (unix
/// seconds), oldest first, at most `limit`.
pub async fn waiting_before(db: &crate::Db, cutoff: i64, limit: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM people WHERE status = 'pending' AND created_at < $1 ORDER BY created_at, id LIMIT $2")
        .bind(cutoff)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// How many rows one statement of a batched purge removes, so a large first
/// purge never holds SQLite's write turn (or a PostgreSQL transaction) long.
pub(crate) const PURGE_BATCH: i64 = 5_000;

/// Runs `sql` — a DELETE taking the cutoff as `$1` and the batch size as
/// `$2` — until it removes fewer than a batch; returns how many rows went.
pub(crate) async fn in_batches(db: &crate::Db, sql: &'static str, cutoff: i64) -> Result<u64> {
    let mut total = 0;
    loop {
        let done = sqlx::query(sql).bind(cutoff).bind(PURGE_BATCH).execute(&db.pool).await?.rows_affected();
        total += done;
        if done < PURGE_BATCH as u64 {
            return Ok(total);
        }
    }
}
