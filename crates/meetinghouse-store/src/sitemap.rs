//! What the sitemap lists beyond the site's own pages, a file at a time:
//! public, live stories and collection objects (not withdrawn), each in the
//! order they were added (by id), so an address stays in the same file as
//! more are added.

use crate::error::Result;
use crate::Db;

/// (id, updated_at) of public, live stories, oldest first, from `offset`.
pub async fn public_stories(db: &Db, limit: i64, offset: i64) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT id, updated_at FROM stories WHERE visibility = 'public' AND deleted_at IS NULL ORDER BY id LIMIT $1 OFFSET $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?)
}

/// How many collection objects there are in collections (every such
/// object's page is public; a withdrawn one's says it is withdrawn).
pub async fn count_objects(db: &Db) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM collection_objects WHERE withdrawn_at IS NULL").fetch_one(&db.pool).await?;
    Ok(n)
}

/// (organisation slug, accession number, updated_at) of collection objects
/// not withdrawn, oldest first, from `offset`.
pub async fn objects(db: &Db, limit: i64, offset: i64) -> Result<Vec<(String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT o.slug, co.accession_number, co.updated_at FROM collection_objects co \
         JOIN organisations o ON o.id = co.org_id WHERE co.withdrawn_at IS NULL ORDER BY co.id LIMIT $1 OFFSET $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?)
}
