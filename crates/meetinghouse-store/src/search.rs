//! The full-text index: SQLite FTS5 or PostgreSQL `tsvector` + GIN, behind
//! one interface. Callers pass text already folded for matching.

use sqlx::FromRow;

use crate::error::Result;
use crate::{Backend, Db, Tx};

/// One document to index: original text for display, folded text for matching.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    pub kind: &'a str,
    pub ref_id: i64,
    pub title: &'a str,
    pub body: &'a str,
    pub title_folded: &'a str,
    pub body_folded: &'a str,
    pub created_at: i64,
}

/// Adds or replaces a document.
pub async fn upsert(tx: &mut Tx, backend: Backend, d: &Document<'_>) -> Result<()> {
    remove(tx, backend, d.kind, d.ref_id).await?;
    match backend {
        Backend::Sqlite => {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO search_documents (kind, ref_id, title, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(d.kind)
            .bind(d.ref_id)
            .bind(d.title)
            .bind(d.body)
            .bind(d.created_at)
            .fetch_one(&mut **tx)
            .await?;
            sqlx::query("INSERT INTO search_fts (rowid, title, body) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(d.title_folded)
                .bind(d.body_folded)
                .execute(&mut **tx)
                .await?;
        }
        Backend::Postgres => {
            sqlx::query(
                "INSERT INTO search_documents (kind, ref_id, title, body, created_at, title_folded, body_folded) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(d.kind)
            .bind(d.ref_id)
            .bind(d.title)
            .bind(d.body)
            .bind(d.created_at)
            .bind(d.title_folded)
            .bind(d.body_folded)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

/// Removes a document if it is indexed.
pub async fn remove(tx: &mut Tx, backend: Backend, kind: &str, ref_id: i64) -> Result<()> {
    if backend == Backend::Sqlite {
        sqlx::query("DELETE FROM search_fts WHERE rowid IN (SELECT id FROM search_documents WHERE kind = $1 AND ref_id = $2)")
            .bind(kind)
            .bind(ref_id)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("DELETE FROM search_documents WHERE kind = $1 AND ref_id = $2")
        .bind(kind)
        .bind(ref_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct Hit {
    pub kind: String,
    pub ref_id: i64,
    pub title: String,
    pub body: String,
    pub created_at: i64,
    pub rank: f64,
}

/// How many of the newest matching documents are ranked. A query matching
/// fewer is ranked exactly; one matching more (a very common word) is ranked
/// among its newest `RANK_WINDOW` matches, so its cost stays bounded.
pub const RANK_WINDOW: i64 = 2_000;

/// Finds documents containing every word in `words` (already folded),
/// optionally of one kind, best first.
pub async fn query(db: &Db, words: &[String], kind: Option<&str>, limit: i64, offset: i64) -> Result<Vec<Hit>> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let kind = kind.unwrap_or("");
    match db.backend() {
        Backend::Sqlite => {
            // Each word is quoted, so FTS5 syntax in the input is inert.
            let expr = words.iter().map(|w| format!("\"{}\"", w.replace('"', ""))).collect::<Vec<_>>().join(" ");
            // FTS5 walks a doclist newest-first cheaply; find where the window starts.
            let cutoff: Option<(i64,)> =
                sqlx::query_as("SELECT rowid FROM search_fts WHERE search_fts MATCH $1 ORDER BY rowid DESC LIMIT 1 OFFSET $2")
                    .bind(&expr)
                    .bind(RANK_WINDOW - 1)
                    .fetch_optional(&db.pool)
                    .await?;
            Ok(sqlx::query_as(
                "SELECT d.kind, d.ref_id, d.title, d.body, d.created_at, bm25(search_fts, 4.0, 1.0) AS rank \
                 FROM search_fts JOIN search_documents d ON d.id = search_fts.rowid \
                 WHERE search_fts MATCH $1 AND search_fts.rowid >= $5 AND ($2 = '' OR d.kind = $2) \
                 ORDER BY rank, d.id DESC LIMIT $3 OFFSET $4",
            )
            .bind(expr)
            .bind(kind)
            .bind(limit)
            .bind(offset)
            .bind(cutoff.map(|(c,)| c).unwrap_or(0))
            .fetch_all(&db.pool)
            .await?)
        }
        Backend::Postgres => Ok(sqlx::query_as(
            "SELECT d.kind, d.ref_id, d.title, d.body, d.created_at, \
                    (-ts_rank(d.tsv, plainto_tsquery('simple', $1)))::float8 AS rank \
             FROM search_documents d \
             WHERE d.tsv @@ plainto_tsquery('simple', $1) AND ($2 = '' OR d.kind = $2) \
               AND d.id >= COALESCE((SELECT w.id FROM search_documents w WHERE w.tsv @@ plainto_tsquery('simple', $1) \
                                     ORDER BY w.id DESC OFFSET $5 LIMIT 1), 0) \
             ORDER BY rank, d.id DESC LIMIT $3 OFFSET $4",
        )
        .bind(words.join(" "))
        .bind(kind)
        .bind(limit)
        .bind(offset)
        .bind(RANK_WINDOW - 1)
        .fetch_all(&db.pool)
        .await?),
    }
}
