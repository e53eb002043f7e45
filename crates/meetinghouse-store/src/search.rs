//! The full-text index: SQLite FTS5 or PostgreSQL `tsvector` + GIN, behind
//! one interface. Callers pass text already folded for matching.

use sqlx::FromRow;

use crate::error::Result;
use crate::{Backend, Db, Params, Tx};

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

/// Documents with an id above `after`, in id order, up to `limit`: (id,
/// title, body), for making their index text again.
pub async fn documents_after(db: &Db, after: i64, limit: i64) -> Result<Vec<(i64, String, String)>> {
    Ok(sqlx::query_as("SELECT id, title, body FROM search_documents WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?)
}

/// Replaces one document's index text (what `Document`'s `*_folded` hold).
pub async fn set_index_text(tx: &mut Tx, backend: Backend, id: i64, title: &str, body: &str) -> Result<()> {
    let sql = match backend {
        Backend::Sqlite => "UPDATE search_fts SET title = $2, body = $3 WHERE rowid = $1",
        Backend::Postgres => "UPDATE search_documents SET title_folded = $2, body_folded = $3 WHERE id = $1",
    };
    sqlx::query(sql).bind(id).bind(title).bind(body).execute(&mut **tx).await?;
    Ok(())
}

/// Rows per generated multi-row statement in `upsert_many`.
const MANY_CHUNK: usize = 250;

/// Adds or replaces many documents of one kind with a few multi-row
/// statements per chunk: the bulk path for imports.
/// `fresh`: none of the documents is indexed yet, so nothing is deleted first.
pub async fn upsert_many(tx: &mut Tx, backend: Backend, kind: &str, docs: &[Document<'_>], fresh: bool) -> Result<()> {
    for chunk in docs.chunks(MANY_CHUNK) {
        if !fresh {
            remove_many(tx, backend, kind, chunk).await?;
        }
        insert_many(tx, backend, kind, chunk).await?;
    }
    Ok(())
}

async fn remove_many(tx: &mut Tx, backend: Backend, kind: &str, chunk: &[Document<'_>]) -> Result<()> {
    {
        if backend == Backend::Sqlite {
            let mut p = Params::new(backend);
            let k = p.next();
            let sql = format!("DELETE FROM search_fts WHERE rowid IN (SELECT id FROM search_documents WHERE kind = {k} AND ref_id IN ({}))", p.list(chunk.len()));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(kind);
            for d in chunk {
                q = q.bind(d.ref_id);
            }
            q.execute(&mut **tx).await?;
        }
        let mut p = Params::new(backend);
        let k = p.next();
        let sql = format!("DELETE FROM search_documents WHERE kind = {k} AND ref_id IN ({})", p.list(chunk.len()));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(kind);
        for d in chunk {
            q = q.bind(d.ref_id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Inserts a chunk of documents, or replaces an entry already there for the
/// same (kind, ref_id): an upsert, so two transactions indexing the same
/// records at once (two imports of one file, each finding them new) both
/// succeed, the later one's text kept.
async fn insert_many(tx: &mut Tx, backend: Backend, kind: &str, chunk: &[Document<'_>]) -> Result<()> {
    {
        match backend {
            Backend::Sqlite => {
                let mut p = Params::new(backend);
                let values: Vec<String> = (0..chunk.len()).map(|_| p.tuple(5)).collect();
                let sql = format!(
                    "INSERT INTO search_documents (kind, ref_id, title, body, created_at) VALUES {} \
                     ON CONFLICT (kind, ref_id) DO UPDATE SET title = excluded.title, body = excluded.body, created_at = excluded.created_at \
                     RETURNING id, ref_id",
                    values.join(", ")
                );
                let mut q = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql));
                for d in chunk {
                    q = q.bind(kind).bind(d.ref_id).bind(d.title).bind(d.body).bind(d.created_at);
                }
                let rows = q.fetch_all(&mut **tx).await?;
                if rows.is_empty() {
                    return Ok(());
                }
                // An entry replaced in place keeps its id: its old index
                // text goes first (a no-op for the new ones).
                let mut p = Params::new(backend);
                let sql = format!("DELETE FROM search_fts WHERE rowid IN ({})", p.list(rows.len()));
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, _) in &rows {
                    q = q.bind(*id);
                }
                q.execute(&mut **tx).await?;
                let by_ref: std::collections::HashMap<i64, &Document<'_>> = chunk.iter().map(|d| (d.ref_id, d)).collect();
                let mut p = Params::new(backend);
                let values: Vec<String> = (0..rows.len()).map(|_| p.tuple(3)).collect();
                let sql = format!("INSERT INTO search_fts (rowid, title, body) VALUES {}", values.join(", "));
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, ref_id) in &rows {
                    let d = by_ref[ref_id];
                    q = q.bind(*id).bind(d.title_folded).bind(d.body_folded);
                }
                q.execute(&mut **tx).await?;
            }
            Backend::Postgres => {
                let mut p = Params::new(backend);
                let values: Vec<String> = (0..chunk.len()).map(|_| p.tuple(7)).collect();
                let sql = format!(
                    "INSERT INTO search_documents (kind, ref_id, title, body, created_at, title_folded, body_folded) VALUES {} \
                     ON CONFLICT (kind, ref_id) DO UPDATE SET title = excluded.title, body = excluded.body, created_at = excluded.created_at, \
                     title_folded = excluded.title_folded, body_folded = excluded.body_folded",
                    values.join(", ")
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for d in chunk {
                    q = q.bind(kind).bind(d.ref_id).bind(d.title).bind(d.body).bind(d.created_at).bind(d.title_folded).bind(d.body_folded);
                }
                q.execute(&mut **tx).await?;
            }
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

/// Removes from the index every object of an organisation that is withdrawn
/// from its collection, in the caller's transaction (the one that withdrew
/// them).
pub async fn remove_withdrawn_objects(tx: &mut Tx, backend: Backend, org: i64) -> Result<()> {
    let withdrawn = "SELECT c.id FROM collection_objects c WHERE c.org_id = $1 AND c.withdrawn_at IS NOT NULL";
    if backend == Backend::Sqlite {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM search_fts WHERE rowid IN (SELECT d.id FROM search_documents d WHERE d.kind = 'object' AND d.ref_id IN ({withdrawn}))"
        )))
        .bind(org)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM search_documents WHERE kind = 'object' AND ref_id IN ({withdrawn})")))
        .bind(org)
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

/// How many of the newest matching documents a broad query ranks.
pub const RANK_WINDOW: i64 = 200;

/// What a query found: one page of hits, and whether it was cut to the
/// newest [`RANK_WINDOW`] matches (a query with a common word that matches
/// more documents than that: the older ones cannot be paged to).
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub hits: Vec<Hit>,
    pub capped: bool,
}
/// A word matching more documents than this is "common": BM25 would scan
/// its whole document list for its weight, so broad queries rank differently.
pub const COMMON_WORD: i64 = 300;

/// Finds documents containing every word in `words` (already folded),
/// optionally of one kind, best first.
///
/// A query whose every word is specific (at most `COMMON_WORD` matches
/// each, of any kind) reaches all its matches, ranked exactly: on SQLite by
/// BM25, titles weighted four times the body; on PostgreSQL by `ts_rank`
/// (title words weighted A, body B). A query with a common word is ranked
/// among its newest `RANK_WINDOW` matches (of the kind asked for, when one
/// is), so its cost stays bounded however large the index: on SQLite those
/// with every word in the title first, then the rest, newest first within
/// each; on PostgreSQL by `ts_rank`. Both backends tell a common word by
/// the same bounded probe (is there a match past the first `COMMON_WORD`?).
/// `Found::capped` says when such a query has more matches than the
/// window holds.
pub async fn query(db: &Db, words: &[String], kind: Option<&str>, limit: i64, offset: i64) -> Result<Found> {
    if words.is_empty() {
        return Ok(Found::default());
    }
    let kind = kind.unwrap_or("");
    match db.backend() {
        Backend::Sqlite => {
            // Each word is quoted, so FTS5 syntax in the input is inert.
            let quoted: Vec<String> = words.iter().map(|w| format!("\"{}\"", w.replace('"', ""))).collect();
            let expr = quoted.join(" ");
            // Is any word common? One round trip checks up to the first two
            // words (queries are short); further words are checked one by one.
            let probe = "SELECT rowid FROM search_fts WHERE search_fts MATCH $1 ORDER BY rowid DESC LIMIT 1 OFFSET $3";
            let (first, second) = (&quoted[0], quoted.get(1).unwrap_or(&quoted[0]));
            let (mut common,): (i64,) = sqlx::query_as(
                "SELECT ((SELECT rowid FROM search_fts WHERE search_fts MATCH $1 ORDER BY rowid DESC LIMIT 1 OFFSET $3) IS NOT NULL) \
                     OR ((SELECT rowid FROM search_fts WHERE search_fts MATCH $2 ORDER BY rowid DESC LIMIT 1 OFFSET $3) IS NOT NULL)",
            )
            .bind(first)
            .bind(second)
            .bind(COMMON_WORD)
            .fetch_one(&db.pool)
            .await?;
            for q in quoted.iter().skip(2) {
                if common != 0 {
                    break;
                }
                let beyond: Option<(i64,)> = sqlx::query_as(probe).bind(q).bind(0_i64).bind(COMMON_WORD).fetch_optional(&db.pool).await?;
                common = beyond.is_some() as i64;
            }
            let common = common != 0;
            let (ordered, capped): (Vec<i64>, bool) = if !common {
                // Rank inside the index first; fetch only the page's documents after.
                let ids: Vec<i64> = sqlx::query_as::<_, (i64,)>(
                    "SELECT f.rowid FROM search_fts f WHERE search_fts MATCH $1 \
                       AND ($2 = '' OR (SELECT d.kind FROM search_documents d WHERE d.id = f.rowid) = $2) \
                     ORDER BY bm25(search_fts, 4.0, 1.0), f.rowid DESC LIMIT $3 OFFSET $4",
                )
                .bind(&expr)
                .bind(kind)
                .bind(limit)
                .bind(offset)
                .fetch_all(&db.pool)
                .await?
                .into_iter()
                .map(|(id,)| id)
                .collect();
                (ids, false)
            } else {
                broad_order(db, &expr, kind, limit, offset).await?
            };
            Ok(Found { hits: fetch_in_order(db, &ordered).await?, capped })
        }
        Backend::Postgres => {
            // As on SQLite, only a query with a common word is narrowed to
            // its newest matches: a bounded probe per word (does it match
            // more than `COMMON_WORD` documents?), in one round trip.
            let mut p = Params::new(Backend::Postgres);
            let beyond = p.next();
            let probes: Vec<String> = words
                .iter()
                .map(|_| {
                    format!(
                        "EXISTS (SELECT 1 FROM search_documents WHERE tsv @@ plainto_tsquery('simple', {}) OFFSET {beyond} LIMIT 1)",
                        p.next()
                    )
                })
                .collect();
            let mut probe = sqlx::query_as::<_, (bool,)>(sqlx::AssertSqlSafe(format!("SELECT {}", probes.join(" OR ")))).bind(COMMON_WORD);
            for w in words {
                probe = probe.bind(w.as_str());
            }
            let (common,) = probe.fetch_one(&db.pool).await?;
            let select = "SELECT d.kind, d.ref_id, d.title, d.body, d.created_at, \
                                 (-ts_rank(d.tsv, plainto_tsquery('simple', $1)))::float8 AS rank \
                          FROM search_documents d \
                          WHERE d.tsv @@ plainto_tsquery('simple', $1) AND ($2 = '' OR d.kind = $2)";
            let sql = if common {
                format!(
                    "{select} AND d.id >= COALESCE((SELECT w.id FROM search_documents w WHERE w.tsv @@ plainto_tsquery('simple', $1) \
                                                   AND ($2 = '' OR w.kind = $2) \
                                                 ORDER BY w.id DESC OFFSET $5 LIMIT 1), 0) \
                     ORDER BY rank, d.id DESC LIMIT $3 OFFSET $4"
                )
            } else {
                format!("{select} ORDER BY rank, d.id DESC LIMIT $3 OFFSET $4")
            };
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(words.join(" ")).bind(kind).bind(limit).bind(offset);
            if common {
                q = q.bind(RANK_WINDOW - 1);
            }
            let hits = q.fetch_all(&db.pool).await?;
            // Is there a match older than the window? (The same bounded probe.)
            let capped = common && {
                let (beyond,): (bool,) = sqlx::query_as(
                    "SELECT EXISTS (SELECT 1 FROM search_documents w WHERE w.tsv @@ plainto_tsquery('simple', $1) \
                                      AND ($2 = '' OR w.kind = $2) OFFSET $3 LIMIT 1)",
                )
                .bind(words.join(" "))
                .bind(kind)
                .bind(RANK_WINDOW)
                .fetch_one(&db.pool)
                .await?;
                beyond
            };
            Ok(Found { hits, capped })
        }
    }
}

/// Orders a broad query's newest `RANK_WINDOW` matches: every word in the
/// title first, then the rest, newest first within each; returns one page
/// of ids, and whether there were more matches than the window.
async fn broad_order(db: &Db, expr: &str, kind: &str, limit: i64, offset: i64) -> Result<(Vec<i64>, bool)> {
    // The kind is part of the window: the newest matches of that kind, not
    // those of the newest matches that happen to be of it.
    let candidates: Vec<(i64,)> = sqlx::query_as(
        "SELECT f.rowid FROM search_fts f WHERE search_fts MATCH $1 \
           AND ($3 = '' OR (SELECT d.kind FROM search_documents d WHERE d.id = f.rowid) = $3) \
         ORDER BY f.rowid DESC LIMIT $2",
    )
    .bind(expr)
    .bind(RANK_WINDOW + 1)
    .bind(kind)
    .fetch_all(&db.pool)
    .await?;
    // One past the window says whether it holds every match.
    let capped = candidates.len() as i64 > RANK_WINDOW;
    let candidates = &candidates[..candidates.len().min(RANK_WINDOW as usize)];
    let Some(&(oldest,)) = candidates.last() else { return Ok((Vec::new(), false)) };
    let in_title: std::collections::HashSet<i64> =
        sqlx::query_as::<_, (i64,)>("SELECT rowid FROM search_fts WHERE search_fts MATCH $1 AND rowid >= $2")
            .bind(format!("title : ({expr})"))
            .bind(oldest)
            .fetch_all(&db.pool)
            .await?
            .into_iter()
            .map(|(id,)| id)
            .collect();
    let mut ordered: Vec<i64> = candidates.iter().map(|(id,)| *id).filter(|id| in_title.contains(id)).collect();
    ordered.extend(candidates.iter().map(|(id,)| *id).filter(|id| !in_title.contains(id)));
    Ok((ordered.into_iter().skip(offset.max(0) as usize).take(limit.max(0) as usize).collect(), capped))
}

/// Integers joined for an `IN (…)` list; the ids come from the database, so
/// the text is safe SQL.
fn id_list(ids: &[i64]) -> String {
    ids.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(",")
}

/// Loads documents by id, keeping the given order; the rank is the position.
async fn fetch_in_order(db: &Db, ids: &[i64]) -> Result<Vec<Hit>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, String, i64, String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, kind, ref_id, title, body, created_at FROM search_documents WHERE id IN ({})",
        id_list(ids)
    )))
    .fetch_all(&db.pool)
    .await?;
    let mut by_id: std::collections::HashMap<i64, Hit> = rows
        .into_iter()
        .map(|(id, kind, ref_id, title, body, created_at)| (id, Hit { kind, ref_id, title, body, created_at, rank: 0.0 }))
        .collect();
    Ok(ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| by_id.remove(id).map(|mut h| {
            h.rank = i as f64;
            h
        }))
        .collect())
}
