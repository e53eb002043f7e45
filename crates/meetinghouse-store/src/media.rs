//! Uploaded images (their keys in the media store) and the photos of stories.

use sqlx::FromRow;

use crate::error::Result;
use crate::{Backend, Db, Tx, now};

#[derive(Debug, Clone, FromRow)]
pub struct MediaRow {
    pub id: i64,
    pub owner_person: i64,
    pub master_key: String,
    pub width: i64,
    pub height: i64,
    pub mime: String,
    /// JSON `[[key, width, height], …]`, smallest first, the master last.
    pub variants: String,
    pub created_at: i64,
}

pub struct NewMedia<'a> {
    pub owner_person: i64,
    pub master_key: &'a str,
    pub width: i64,
    pub height: i64,
    pub mime: &'a str,
    pub variants: &'a str,
    /// Every key stored for it: each size's and the master's.
    pub keys: &'a [String],
}

/// Records an upload with every key it stored, in one transaction; returns
/// its id. Call it before the bytes are stored, not after: the clean-up
/// (core `media::remove_unused`) deletes a queued key's bytes only after
/// asking [`key_in_use`], and asks again once they are gone, putting them
/// back if a row recorded the key meanwhile; bytes stored after this insert
/// therefore stay, whenever the clean-up ran. Its size is not recorded (0):
/// see [`insert_within`], which people's uploads go through.
pub async fn insert(db: &Db, m: &NewMedia<'_>) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id = insert_in(&mut tx, m, 0).await?;
    tx.commit().await?;
    Ok(id)
}

/// What a person's uploads that no story shows yet hold, or may hold at
/// most: how many, and their bytes in the media store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Waiting {
    pub count: i64,
    pub bytes: i64,
}

/// A person's (`$1`) uploads that no story shows, uploaded since `$2` (the
/// ones the story form may still show back; older ones go with the next
/// clean-up), leaving out photos taken off a story and kept for its restore
/// window (`kept_until`): how many, and their bytes.
const WAITING: &str = "SELECT COUNT(*), CAST(COALESCE(SUM(m.bytes), 0) AS BIGINT) FROM media m \
     WHERE m.owner_person = $1 AND m.created_at >= $2 AND m.kept_until IS NULL \
     AND NOT EXISTS (SELECT 1 FROM story_photos p WHERE p.media_id = m.id)";

/// What `person`'s uploads that no story shows, uploaded since `since`,
/// hold now (see [`WAITING`]).
pub async fn waiting(db: &Db, person: i64, since: i64) -> Result<Waiting> {
    let (count, bytes): (i64, i64) = sqlx::query_as(WAITING).bind(person).bind(since).fetch_one(&db.pool).await?;
    Ok(Waiting { count, bytes })
}

/// [`insert`] for an upload of `bytes` bytes, only while its owner's
/// uploads that no story shows, uploaded since `since` ([`waiting`]), with
/// it stay within `max`; otherwise nothing is written and what they hold is
/// returned. The count and the insert share a transaction that takes turns
/// with the owner's other uploads (on PostgreSQL the owner's row is held
/// `FOR NO KEY UPDATE`, on SQLite the write turn), so uploads sent at once
/// from several windows or app servers cannot pass the cap together.
pub async fn insert_within(db: &Db, m: &NewMedia<'_>, bytes: i64, since: i64, max: Waiting) -> Result<std::result::Result<i64, Waiting>> {
    let mut tx = db.begin().await?;
    if db.backend() == Backend::Postgres {
        sqlx::query("SELECT id FROM people WHERE id = $1 FOR NO KEY UPDATE").bind(m.owner_person).execute(&mut *tx).await?;
    }
    let (count, held): (i64, i64) = sqlx::query_as(WAITING).bind(m.owner_person).bind(since).fetch_one(&mut *tx).await?;
    if count + 1 > max.count || held.saturating_add(bytes) > max.bytes {
        tx.rollback().await?;
        return Ok(Err(Waiting { count, bytes: held }));
    }
    let id = insert_in(&mut tx, m, bytes).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

async fn insert_in(tx: &mut Tx, m: &NewMedia<'_>, bytes: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO media (owner_person, master_key, width, height, mime, variants, created_at, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(m.owner_person)
    .bind(m.master_key)
    .bind(m.width)
    .bind(m.height)
    .bind(m.mime)
    .bind(m.variants)
    .bind(now())
    .bind(bytes)
    .fetch_one(&mut **tx)
    .await?;
    for key in m.keys.iter().map(String::as_str).chain([m.master_key]) {
        sqlx::query("INSERT INTO media_keys (key, media_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(key)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(id)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<MediaRow>> {
    Ok(sqlx::query_as("SELECT id, owner_person, master_key, width, height, mime, variants, created_at FROM media WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?)
}

/// One photo of a story, with its image.
#[derive(Debug, Clone, FromRow)]
pub struct PhotoRow {
    pub position: i64,
    pub alt: String,
    pub caption: String,
    pub media_id: i64,
    pub master_key: String,
    pub width: i64,
    pub height: i64,
    pub variants: String,
}

pub async fn photos_of_story(db: &Db, story: i64) -> Result<Vec<PhotoRow>> {
    Ok(sqlx::query_as(
        "SELECT p.position, p.alt, p.caption, m.id AS media_id, m.master_key, m.width, m.height, m.variants \
         FROM story_photos p JOIN media m ON m.id = p.media_id WHERE p.story_id = $1 ORDER BY p.position",
    )
    .bind(story)
    .fetch_all(&db.pool)
    .await?)
}

/// Replaces a story's photos: (media id, alt text, caption), in order.
/// A photo taken off keeps nothing extra: once no story shows it, it goes
/// with the other unused uploads. See [`replace_story_photos`].
pub async fn set_story_photos(tx: &mut Tx, story: i64, photos: &[(i64, String, String)]) -> Result<()> {
    write_story_photos(tx, story, photos).await
}

/// [`set_story_photos`], and a photo taken off the story that no other
/// story shows is kept until `kept_until` (`media.kept_until`, migration
/// 0044: [`unused_before`] leaves it until then), so an edit does not
/// remove an image for good within the hour; a photo put back on a story
/// is kept as any shown photo is.
pub async fn replace_story_photos(tx: &mut Tx, story: i64, photos: &[(i64, String, String)], kept_until: i64) -> Result<()> {
    let before: Vec<(i64,)> = sqlx::query_as("SELECT media_id FROM story_photos WHERE story_id = $1").bind(story).fetch_all(&mut **tx).await?;
    write_story_photos(tx, story, photos).await?;
    for (media,) in before {
        if photos.iter().any(|(m, _, _)| *m == media) {
            continue;
        }
        sqlx::query(
            "UPDATE media SET kept_until = $2 WHERE id = $1 AND (kept_until IS NULL OR kept_until < $2) \
             AND NOT EXISTS (SELECT 1 FROM story_photos p WHERE p.media_id = $1)",
        )
        .bind(media)
        .bind(kept_until)
        .execute(&mut **tx)
        .await?;
    }
    for (media, _, _) in photos {
        sqlx::query("UPDATE media SET kept_until = NULL WHERE id = $1 AND kept_until IS NOT NULL").bind(*media).execute(&mut **tx).await?;
    }
    Ok(())
}

async fn write_story_photos(tx: &mut Tx, story: i64, photos: &[(i64, String, String)]) -> Result<()> {
    sqlx::query("DELETE FROM story_photos WHERE story_id = $1").bind(story).execute(&mut **tx).await?;
    for (i, (media, alt, caption)) in photos.iter().enumerate() {
        sqlx::query("INSERT INTO story_photos (story_id, media_id, position, alt, caption) VALUES ($1, $2, $3, $4, $5)")
            .bind(story)
            .bind(*media)
            .bind(i as i64)
            .bind(alt.as_str())
            .bind(caption.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The people who uploaded the rows stored under a key (several when the
/// same bytes were uploaded more than once).
pub async fn owners_of_key(db: &Db, key: &str) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT DISTINCT m.owner_person FROM media_keys k JOIN media m ON m.id = k.media_id WHERE k.key = $1",
    )
    .bind(key)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}

/// Media rows that no story shows, created before `cutoff` and not kept
/// past it (`kept_until`, a photo recently taken off a story): at most
/// `limit` ids, oldest first.
pub async fn unused_before(db: &Db, cutoff: i64, limit: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT m.id FROM media m WHERE m.created_at < $1 AND (m.kept_until IS NULL OR m.kept_until < $1) \
         AND NOT EXISTS (SELECT 1 FROM story_photos p WHERE p.media_id = m.id) ORDER BY m.id LIMIT $2",
    )
    .bind(cutoff)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Starts the transaction [`remove_unused`] runs in. Until it ends no
/// upload can record a key: on SQLite the transaction holds the write turn;
/// on PostgreSQL it also locks `media_keys` against inserts (other app
/// servers' uploads included), while reads go on. It holds only database
/// work: commit it before any bytes are deleted.
pub async fn begin_removal(db: &Db) -> Result<Tx> {
    let mut tx = db.begin().await?;
    if db.backend() == Backend::Postgres {
        sqlx::query("LOCK TABLE media_keys IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
    }
    Ok(tx)
}

/// Deletes a media row if no story shows it (asked again here, in the
/// transaction) and returns the keys that no row has any more, queued in the
/// same transaction for their bytes to be deleted once it commits
/// ([`queued_deletions`]). `None` when the row is gone or a story shows it.
pub async fn remove_unused(tx: &mut Tx, id: i64) -> Result<Option<Vec<String>>> {
    let keys: Vec<(String,)> = sqlx::query_as("SELECT key FROM media_keys WHERE media_id = $1").bind(id).fetch_all(&mut **tx).await?;
    let done = sqlx::query("DELETE FROM media WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM story_photos WHERE media_id = $1)")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    // (The foreign key cascades too; this does not depend on it being enforced.)
    sqlx::query("DELETE FROM media_keys WHERE media_id = $1").bind(id).execute(&mut **tx).await?;
    let mut orphaned = Vec::new();
    for (key,) in keys {
        let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM media_keys WHERE key = $1").bind(&key).fetch_one(&mut **tx).await?;
        if left == 0 {
            sqlx::query("INSERT INTO media_deletions (key, queued_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                .bind(&key)
                .bind(now())
                .execute(&mut **tx)
                .await?;
            orphaned.push(key);
        }
    }
    Ok(Some(orphaned))
}

/// Keys whose bytes wait to be deleted from the media store, oldest first:
/// at most `limit`. A key stays queued until [`deletion_done`].
pub async fn queued_deletions(db: &Db, limit: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT key FROM media_deletions ORDER BY queued_at, key LIMIT $1").bind(limit).fetch_all(&db.pool).await?;
    Ok(rows.into_iter().map(|(k,)| k).collect())
}

/// Whether an upload has a key now: a key queued for deletion may have been
/// recorded again since (the same bytes uploaded again), and then its bytes
/// must stay.
pub async fn key_in_use(db: &Db, key: &str) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT media_id FROM media_keys WHERE key = $1 LIMIT 1").bind(key).fetch_optional(&db.pool).await?;
    Ok(row.is_some())
}

/// Takes a key off the deletion queue: its bytes are gone, or in use again.
pub async fn deletion_done(db: &Db, key: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM media_deletions WHERE key = $1").bind(key).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
