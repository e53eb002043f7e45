//! Uploaded images (their keys in the media store) and the photos of stories.

use sqlx::FromRow;

use crate::error::Result;
use crate::{Db, Tx, now};

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
}

pub async fn insert(db: &Db, m: &NewMedia<'_>) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO media (owner_person, master_key, width, height, mime, variants, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(m.owner_person)
    .bind(m.master_key)
    .bind(m.width)
    .bind(m.height)
    .bind(m.mime)
    .bind(m.variants)
    .bind(now())
    .fetch_one(&db.pool)
    .await?;
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
pub async fn set_story_photos(tx: &mut Tx, story: i64, photos: &[(i64, String, String)]) -> Result<()> {
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
