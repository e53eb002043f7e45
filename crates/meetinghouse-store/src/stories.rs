//! Stories, their edit history, and soft deletion (restorable for 30 days).

use sqlx::FromRow;

use crate::error::{Result, StoreError};
use crate::reads::{Read, from_sqlite_by_name};
use crate::{Backend, Db, Tx, now};

/// A story with its author's names, ready to show.
#[derive(Debug, Clone, FromRow)]
pub struct StoryRow {
    pub id: i64,
    pub author_person: i64,
    pub author_org: Option<i64>,
    pub voice: String,
    pub title: String,
    pub body: String,
    pub place_name: String,
    pub lat_milli: Option<i64>,
    pub lon_milli: Option<i64>,
    pub period_text: String,
    pub year_from: Option<i64>,
    pub year_to: Option<i64>,
    pub prompt_id: Option<i64>,
    pub licence: String,
    pub consent_people: i64,
    pub consent_minors: i64,
    pub visibility: String,
    pub group_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
    pub author_handle: String,
    pub author_name: String,
    /// The author's account status (`active`, `pending` or `suspended`):
    /// a by-line links to a profile only while it can be seen.
    pub author_status: String,
    pub org_slug: Option<String>,
    pub org_name: Option<String>,
    /// 1 when it is deleted because the moderators removed it (a
    /// `story_removals` row), so only they can bring it back; else 0.
    pub removed: i64,
}

from_sqlite_by_name!(StoryRow {
    id, author_person, author_org, voice, title, body, place_name, lat_milli, lon_milli, period_text, year_from, year_to, prompt_id,
    licence, consent_people, consent_minors, visibility, group_id, created_at, updated_at, deleted_at, author_handle, author_name,
    author_status, org_slug, org_name, removed,
});

const SELECT: &str = "SELECT s.id, s.author_person, s.author_org, s.voice, s.title, s.body, s.place_name, \
    s.lat_milli, s.lon_milli, s.period_text, s.year_from, s.year_to, s.prompt_id, s.licence, \
    s.consent_people, s.consent_minors, s.visibility, s.group_id, s.created_at, s.updated_at, s.deleted_at, \
    p.handle AS author_handle, p.display_name AS author_name, p.status AS author_status, o.slug AS org_slug, o.name AS org_name, \
    CASE WHEN s.deleted_at IS NOT NULL AND EXISTS (SELECT 1 FROM story_removals r WHERE r.story_id = s.id) THEN 1 ELSE 0 END AS removed \
    FROM stories s JOIN people p ON p.id = s.author_person LEFT JOIN organisations o ON o.id = s.author_org";

/// The fields a story is written with. `Default` is every optional field
/// empty; `licence` and `visibility` must still be given.
#[derive(Debug, Clone, Default)]
pub struct StoryFields<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub place_name: &'a str,
    pub lat_milli: Option<i64>,
    pub lon_milli: Option<i64>,
    pub period_text: &'a str,
    pub year_from: Option<i64>,
    pub year_to: Option<i64>,
    pub prompt_id: Option<i64>,
    pub licence: &'a str,
    pub consent_people: bool,
    pub consent_minors: bool,
    pub visibility: &'a str,
    pub group_id: Option<i64>,
}

pub async fn insert(tx: &mut Tx, author_person: i64, author_org: Option<i64>, voice: &str, f: &StoryFields<'_>) -> Result<i64> {
    let t = now();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO stories (author_person, author_org, voice, title, body, place_name, lat_milli, lon_milli, \
             period_text, year_from, year_to, prompt_id, licence, consent_people, consent_minors, visibility, group_id, \
             created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) RETURNING id",
    )
    .bind(author_person)
    .bind(author_org)
    .bind(voice)
    .bind(f.title)
    .bind(f.body)
    .bind(f.place_name)
    .bind(f.lat_milli)
    .bind(f.lon_milli)
    .bind(f.period_text)
    .bind(f.year_from)
    .bind(f.year_to)
    .bind(f.prompt_id)
    .bind(f.licence)
    .bind(f.consent_people as i64)
    .bind(f.consent_minors as i64)
    .bind(f.visibility)
    .bind(f.group_id)
    .bind(t)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Who a story speaks as: the organisation it names (if any) and the voice
/// (`person`, `affiliated` or `announcement`).
#[derive(Debug, Clone, Copy)]
pub struct Byline<'a> {
    pub org: Option<i64>,
    pub voice: &'a str,
}

/// Writes a story's new fields and voice, keeping in the history the text
/// readers were last shown when the new text is shown and differs from it.
/// A revision records who it was shown to (the story's visibility and group
/// then). A draft's own text is never kept: while a story is a draft again,
/// the text readers last saw waits in `story_last_shown` (written when it
/// goes back to a draft), and publishing it again with other words keeps
/// that; publishing it with the same words, or editing it while it stays a
/// draft, keeps nothing. So going through a draft cannot take a published
/// text out of the history.
/// The story's row is locked first (on PostgreSQL `FOR UPDATE`; on SQLite
/// the write transaction holds the write lock), so two edits at once take
/// turns and the later one keeps the earlier one's text in the history; and
/// a reply being written on the story, which holds its row `FOR KEY SHARE`
/// (`conversations::story_audience_into`), takes turns with the edit too:
/// what the edit counts of the replies on it after this lock
/// ([`narrow_replies_in`]) includes every reply written for the audience it
/// had. Returns whether a revision was kept.
pub async fn update(tx: &mut Tx, backend: Backend, id: i64, editor: i64, by: Byline<'_>, f: &StoryFields<'_>) -> Result<bool> {
    let t = now();
    let lock = if backend == Backend::Postgres {
        "SELECT title, body, visibility, group_id FROM stories WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT title, body, visibility, group_id FROM stories WHERE id = $1"
    };
    let current: Option<(String, String, String, Option<i64>)> = sqlx::query_as(lock).bind(id).fetch_optional(&mut **tx).await?;
    let Some((title, body, visibility, group_id)) = current else { return Err(StoreError::NotFound) };
    // The text readers were last shown, and who was shown it: the story's
    // own while it is shown, the one kept aside while it is a draft again.
    let was_shown = visibility != "draft";
    let shown: Option<(String, String, String, Option<i64>)> = if was_shown {
        Some((title, body, visibility, group_id))
    } else {
        sqlx::query_as("SELECT title, body, visibility, group_id FROM story_last_shown WHERE story_id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
    };
    let keep = match &shown {
        Some((title, body, _, _)) => f.visibility != "draft" && (title != f.title || body != f.body),
        None => false,
    };
    if keep && let Some((title, body, visibility, group_id)) = &shown {
        sqlx::query(
            "INSERT INTO story_revisions (story_id, title, body, edited_by, created_at, visibility, group_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(title)
        .bind(body)
        .bind(editor)
        .bind(t)
        .bind(visibility)
        .bind(*group_id)
        .execute(&mut **tx)
        .await?;
    }
    match (&shown, f.visibility) {
        // Shown until now, a draft from now: what readers saw waits aside.
        (Some((title, body, visibility, group_id)), "draft") if was_shown => {
            sqlx::query(
                "INSERT INTO story_last_shown (story_id, title, body, visibility, group_id) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (story_id) DO UPDATE SET title = excluded.title, body = excluded.body, \
                     visibility = excluded.visibility, group_id = excluded.group_id",
            )
            .bind(id)
            .bind(title)
            .bind(body)
            .bind(visibility)
            .bind(*group_id)
            .execute(&mut **tx)
            .await?;
        }
        // Shown from now: the story's own text is what readers see.
        (Some(_), v) if !was_shown && v != "draft" => {
            sqlx::query("DELETE FROM story_last_shown WHERE story_id = $1").bind(id).execute(&mut **tx).await?;
        }
        _ => {}
    }
    sqlx::query(
        "UPDATE stories SET title = $2, body = $3, place_name = $4, lat_milli = $5, lon_milli = $6, period_text = $7, \
             year_from = $8, year_to = $9, prompt_id = $10, licence = $11, consent_people = $12, consent_minors = $13, \
             visibility = $14, group_id = $15, updated_at = $16, author_org = $17, voice = $18 WHERE id = $1",
    )
    .bind(id)
    .bind(f.title)
    .bind(f.body)
    .bind(f.place_name)
    .bind(f.lat_milli)
    .bind(f.lon_milli)
    .bind(f.period_text)
    .bind(f.year_from)
    .bind(f.year_to)
    .bind(f.prompt_id)
    .bind(f.licence)
    .bind(f.consent_people as i64)
    .bind(f.consent_minors as i64)
    .bind(f.visibility)
    .bind(f.group_id)
    .bind(t)
    .bind(by.org)
    .bind(by.voice)
    .execute(&mut **tx)
    .await?;
    Ok(keep)
}

/// Sets who a story speaks as (restoring a story in a voice its author no
/// longer holds gives it back in their own).
pub async fn set_byline(tx: &mut Tx, id: i64, by: Byline<'_>) -> Result<()> {
    sqlx::query("UPDATE stories SET author_org = $2, voice = $3 WHERE id = $1")
        .bind(id)
        .bind(by.org)
        .bind(by.voice)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<StoryRow>> {
    db.read_optional(Read::new(format!("{SELECT} WHERE s.id = $1")).int(id)).await
}

/// Live (not deleted) stories showing an image stored under `key` (any of
/// its sizes), public ones first, then oldest first; at most `limit`. What
/// `/media/{key}` asks on every image, through indexes: the key, then the
/// story photos of its media rows, then the stories.
pub async fn live_with_media_key(db: &Db, key: &str, limit: i64) -> Result<Vec<StoryRow>> {
    db.read_all(
        Read::new(format!(
            "{SELECT} WHERE s.deleted_at IS NULL AND s.id IN \
             (SELECT p.story_id FROM media_keys k JOIN story_photos p ON p.media_id = k.media_id WHERE k.key = $1) \
             ORDER BY CASE WHEN s.visibility = 'public' THEN 0 ELSE 1 END, s.id LIMIT $2"
        ))
        .text(key)
        .int(limit),
    )
    .await
}

/// Public, live stories, newest first; optionally only those answering a prompt.
pub async fn recent_public(db: &Db, prompt_id: Option<i64>, limit: i64, offset: i64) -> Result<Vec<StoryRow>> {
    let sql = format!(
        "{SELECT} WHERE s.visibility = 'public' AND s.deleted_at IS NULL AND ($1 IS NULL OR s.prompt_id = $1) \
         ORDER BY s.created_at DESC, s.id DESC LIMIT $2 OFFSET $3"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(prompt_id).bind(limit).bind(offset).fetch_all(&db.pool).await?)
}

/// A person's own stories, drafts and deleted ones included, newest first.
pub async fn by_author(db: &Db, person: i64, limit: i64) -> Result<Vec<StoryRow>> {
    let sql = format!("{SELECT} WHERE s.author_person = $1 ORDER BY s.created_at DESC, s.id DESC LIMIT $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person).bind(limit).fetch_all(&db.pool).await?)
}

/// Where a page of a list of stories starts: after the story written at
/// `created_at` with this `id`, in the order newest first (written at the
/// same second: the higher id first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct After {
    pub created_at: i64,
    pub id: i64,
}

impl After {
    /// The start of a list: before every story.
    pub const START: After = After { created_at: i64::MAX, id: i64::MAX };
}

/// A page of a person's own stories, newest first, from after `after`, at
/// most `limit`: drafts and deleted ones too, but not those deleted
/// before `deleted_since` (past their restore window). Through the index
/// on (author, written at).
pub async fn own_page(db: &Db, person: i64, deleted_since: i64, after: After, limit: i64) -> Result<Vec<StoryRow>> {
    let sql = format!(
        "{SELECT} WHERE s.author_person = $1 AND (s.deleted_at IS NULL OR s.deleted_at >= $2) \
         AND (s.created_at < $3 OR (s.created_at = $3 AND s.id < $4)) \
         ORDER BY s.created_at DESC, s.id DESC LIMIT $5"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(person)
        .bind(deleted_since)
        .bind(after.created_at)
        .bind(after.id)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?)
}

/// A page of the stories a person's profile lists, newest first, from
/// after `after`, at most `limit`: public, live, and in their own name or
/// as an organisation's staff — never an announcement, whose byline is the
/// organisation's alone.
pub async fn public_page_by_author(db: &Db, person: i64, after: After, limit: i64) -> Result<Vec<StoryRow>> {
    let sql = format!(
        "{SELECT} WHERE s.author_person = $1 AND s.visibility = 'public' AND s.deleted_at IS NULL AND s.voice <> 'announcement' \
         AND (s.created_at < $2 OR (s.created_at = $2 AND s.id < $3)) \
         ORDER BY s.created_at DESC, s.id DESC LIMIT $4"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person).bind(after.created_at).bind(after.id).bind(limit).fetch_all(&db.pool).await?)
}

/// How many stories a person has written (drafts and deleted ones
/// included) since `since`: what the hourly limit on new stories counts,
/// so only stories actually written count. In the writing transaction.
pub async fn written_since(tx: &mut Tx, person: i64, since: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM stories WHERE author_person = $1 AND created_at > $2")
        .bind(person)
        .bind(since)
        .fetch_one(&mut **tx)
        .await?;
    Ok(n)
}

/// [`written_since`] outside a transaction: to tell someone at the limit
/// before their photos are read.
pub async fn count_written_since(db: &Db, person: i64, since: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM stories WHERE author_person = $1 AND created_at > $2")
        .bind(person)
        .bind(since)
        .fetch_one(&db.pool)
        .await?;
    Ok(n)
}

/// An earlier version of a story, with who it was shown to before it was
/// replaced: `visibility` is `public`, `group` (the members of `group_id`)
/// or `draft` (its author only: versions stored before this was recorded).
#[derive(Debug, Clone, FromRow)]
pub struct RevisionRow {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub edited_by: i64,
    pub created_at: i64,
    pub visibility: String,
    pub group_id: Option<i64>,
    /// Who took its text out of the history (migration 0053): `author` or
    /// `moderators`, its title and body then empty; `None` while it is kept.
    pub removed_by: Option<String>,
}

/// Who each earlier version was shown to, without its text: (id,
/// visibility, group), newest first, at most `limit` of those older than
/// version `before` (`i64::MAX`: from the newest). What a history page
/// filters by, a batch at a time, before it loads the text of the
/// versions it shows ([`revisions_by_id`]).
pub async fn revision_audiences(db: &Db, story: i64, before: i64, limit: i64) -> Result<Vec<(i64, String, Option<i64>)>> {
    Ok(sqlx::query_as("SELECT id, visibility, group_id FROM story_revisions WHERE story_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3")
        .bind(story)
        .bind(before)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?)
}

/// The earlier versions of a story with these ids (at most a page's
/// worth), newest first.
pub async fn revisions_by_id(db: &Db, story: i64, ids: &[i64]) -> Result<Vec<RevisionRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT id, title, body, edited_by, created_at, visibility, group_id, removed_by FROM story_revisions \
         WHERE story_id = $1 AND id IN ({}) ORDER BY id DESC",
        marks.join(", ")
    );
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(story);
    for id in ids {
        q = q.bind(*id);
    }
    Ok(q.fetch_all(&db.pool).await?)
}

/// Takes the text of an earlier version of a story out of its history for
/// good: its title and body are emptied, and `by` (`author` or
/// `moderators`) and the time are recorded, so the history can say that an
/// edit happened and who removed its text. Only a version whose text is
/// still there changes; returns whether it did.
pub async fn remove_revision_text(tx: &mut Tx, story: i64, revision: i64, by: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE story_revisions SET title = '', body = '', removed_by = $3, removed_at = $4 \
         WHERE id = $2 AND story_id = $1 AND removed_by IS NULL",
    )
    .bind(story)
    .bind(revision)
    .bind(by)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Who readers were last shown a story's text while it is a draft again
/// (`story_last_shown`): (visibility, group), or `None` when it was never
/// shown, or is not a draft.
pub async fn last_shown_audience(db: &Db, story: i64) -> Result<Option<(String, Option<i64>)>> {
    Ok(sqlx::query_as("SELECT visibility, group_id FROM story_last_shown WHERE story_id = $1").bind(story).fetch_optional(&db.pool).await?)
}

/// Replies on a story that were written while it was not public (a reply
/// records whether its subject was public then: `replies.public`), by
/// anyone but the story's author, that readers could still be shown: not
/// retracted, or retracted with a note (hidden or waiting ones included,
/// as they may be shown again). Such replies were written for the
/// story's group only, so the story may not be shown more widely while
/// they are on it (core `stories::check`). How many, at most `limit`.
const NARROW_REPLIES: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM replies r JOIN stories s ON s.id = r.subject_id \
     WHERE r.subject_kind = 'story' AND r.subject_id = $1 AND r.public = 0 AND r.author_person <> s.author_person \
     AND (r.status <> 'retracted' OR r.note <> '') LIMIT $2) n";

/// [`NARROW_REPLIES`], outside a transaction: to tell the author on the form.
pub async fn narrow_replies(db: &Db, story: i64, limit: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(NARROW_REPLIES).bind(story).bind(limit).fetch_one(&db.pool).await?;
    Ok(n)
}

/// [`NARROW_REPLIES`] in the transaction that edits the story, after its
/// row is locked ([`update`]).
pub async fn narrow_replies_in(tx: &mut Tx, story: i64, limit: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(NARROW_REPLIES).bind(story).bind(limit).fetch_one(&mut **tx).await?;
    Ok(n)
}

/// Deletes a story as of `deleted_at` (only one that is not deleted yet:
/// deleting it again never moves the start of its restore window, nor of a
/// removal by the moderators), or restores it (`None`). Returns whether the
/// story changed.
pub async fn set_deleted(tx: &mut Tx, id: i64, deleted_at: Option<i64>) -> Result<bool> {
    let done = match deleted_at {
        Some(at) => sqlx::query("UPDATE stories SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL").bind(id).bind(at).execute(&mut **tx).await?,
        None => sqlx::query("UPDATE stories SET deleted_at = NULL WHERE id = $1").bind(id).execute(&mut **tx).await?,
    };
    Ok(done.rows_affected() > 0)
}

/// Permanently removes stories deleted before `cutoff`; returns how many.
/// Each goes in a transaction of its own with what belongs to it: its
/// history, photos' places and links, and the replies, notifications,
/// thanks, edges and closed reports about it ([`crate::purge::story_leftovers`]).
/// The newest story is kept (still deleted) until a newer one exists: SQLite
/// gives a new row the largest id plus one, so removing the largest would
/// let the next story take its id, and with it whatever still named the old
/// one by id (the moderation log does).
pub async fn purge_deleted_before(db: &Db, cutoff: i64) -> Result<u64> {
    let due: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM stories WHERE deleted_at IS NOT NULL AND deleted_at < $1 AND id < (SELECT MAX(id) FROM stories) ORDER BY id",
    )
    .bind(cutoff)
    .fetch_all(&db.pool)
    .await?;
    let mut purged = 0;
    for (id,) in due {
        let mut tx = db.begin().await?;
        // Asked again in the transaction: restored since (it cannot be, past
        // the window, but this does not depend on it), it stays.
        let still: Option<(i64,)> = sqlx::query_as("SELECT id FROM stories WHERE id = $1 AND deleted_at IS NOT NULL AND deleted_at < $2")
            .bind(id)
            .bind(cutoff)
            .fetch_optional(&mut *tx)
            .await?;
        if still.is_none() {
            continue;
        }
        crate::purge::story_leftovers(&mut tx, id).await?;
        sqlx::query("DELETE FROM stories WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        purged += 1;
    }
    Ok(purged)
}

/// Empties the newest story of all when it was deleted before `cutoff`
/// ([`purge_deleted_before`] keeps its row, so that its id is never given
/// again): its words, place, dates and links go, with everything
/// [`crate::purge::story_leftovers`] removes (its photos' places, history,
/// replies…), and the row waits, deleted and empty, until a newer story
/// lets the purge remove it. Returns how many it emptied (0 or 1; one
/// already empty is left as it is).
pub async fn empty_newest_deleted_before(db: &Db, cutoff: i64) -> Result<u64> {
    let mut tx = db.begin().await?;
    let due: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM stories WHERE id = (SELECT MAX(id) FROM stories) AND deleted_at IS NOT NULL AND deleted_at < $1 \
         AND (title <> '' OR body <> '' OR place_name <> '' OR period_text <> '' OR lat_milli IS NOT NULL \
              OR EXISTS (SELECT 1 FROM story_photos p WHERE p.story_id = stories.id))",
    )
    .bind(cutoff)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id,)) = due else { return Ok(0) };
    crate::purge::story_leftovers(&mut tx, id).await?;
    sqlx::query(
        "UPDATE stories SET title = '', body = '', place_name = '', lat_milli = NULL, lon_milli = NULL, period_text = '', \
             year_from = NULL, year_to = NULL, prompt_id = NULL WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(1)
}

/// Public, live stories written in an organisation's name (affiliated or announcement).
pub async fn recent_public_by_org(db: &Db, org: i64, limit: i64) -> Result<Vec<StoryRow>> {
    let sql = format!(
        "{SELECT} WHERE s.visibility = 'public' AND s.deleted_at IS NULL AND s.author_org = $1 \
         ORDER BY s.created_at DESC, s.id DESC LIMIT $2"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org).bind(limit).fetch_all(&db.pool).await?)
}

/// Public, live stories by the people who are direct members of a group,
/// only while their accounts are active: as on the group's page, a member
/// suspended, banned or waiting for approval is not shown to the public.
pub async fn recent_public_by_group_members(db: &Db, group: i64, limit: i64) -> Result<Vec<StoryRow>> {
    let sql = format!(
        "{SELECT} WHERE s.visibility = 'public' AND s.deleted_at IS NULL AND s.author_person IN \
         (SELECT gm.member_id FROM group_members gm JOIN people mp ON mp.id = gm.member_id \
          WHERE gm.group_id = $1 AND gm.member_kind = 'person' AND gm.status = 'active' AND mp.status = 'active') \
         ORDER BY s.created_at DESC, s.id DESC LIMIT $2"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(group).bind(limit).fetch_all(&db.pool).await?)
}

/// (id, updated_at) of every public, live story, for the sitemap.
pub async fn public_ids(db: &Db, limit: i64) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT id, updated_at FROM stories WHERE visibility = 'public' AND deleted_at IS NULL ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// How many public, live stories there are.
pub async fn count_public(db: &Db) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM stories WHERE visibility = 'public' AND deleted_at IS NULL")
        .fetch_one(&db.pool)
        .await?;
    Ok(n)
}
