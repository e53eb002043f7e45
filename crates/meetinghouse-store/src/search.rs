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
/// newest [`RANK_WINDOW`] matches (a narrowed query, [`narrowed`], that
/// matches more documents than that: the older ones cannot be paged to).
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub hits: Vec<Hit>,
    pub capped: bool,
}
/// A word matching more documents than this is "common": BM25 would scan
/// its whole document list for its weight, so broad queries rank differently.
pub const COMMON_WORD: i64 = 300;

/// The condition a document (under the alias `d`) is shown on: any kind
/// but a prompt, and a prompt while its page is public — for everyone, or
/// for a group that is not members-only (core `prompts::is_public`, the
/// same rule). Core keeps only public prompts in the index; this keeps a
/// stale entry out of the results in the query itself, so pages are cut
/// from what is shown and none comes out short or empty.
fn shown(d: &str) -> String {
    format!(
        "({d}.kind <> 'prompt' OR EXISTS (SELECT 1 FROM prompts sp LEFT JOIN community_groups sg ON sg.id = sp.group_id \
                                          WHERE sp.id = {d}.ref_id AND (sp.group_id IS NULL OR sg.visibility <> 'members')))"
    )
}

/// Finds the shown documents ([`shown`]) containing every word in `words`
/// (already folded), optionally of one kind, best first.
///
/// A query that is not narrowed ([`narrowed`]) reaches all its matches,
/// ranked exactly: on SQLite by BM25, titles weighted four times the body;
/// on PostgreSQL by `ts_rank` (title words weighted A, body B). A narrowed
/// query is ranked among its newest `RANK_WINDOW` matches (of the kind
/// asked for, when one is), so its cost stays bounded however large the
/// index: on SQLite those with every word in the title first, then the
/// rest, newest first within each; on PostgreSQL by `ts_rank`.
/// `Found::capped` says when such a query has more matches than the
/// window holds.
pub async fn query(db: &Db, words: &[String], kind: Option<&str>, limit: i64, offset: i64) -> Result<Found> {
    if words.is_empty() {
        return Ok(Found::default());
    }
    let kind = kind.unwrap_or("");
    if db.backend() == Backend::Postgres {
        return postgres_query(db, words, kind, limit, offset).await;
    }
    let narrow = narrowed(db, words).await?;
    let expr = fts_expr(words);
    let (ordered, capped): (Vec<i64>, bool) = if !narrow {
        // Rank inside the index first; fetch only the page's documents after.
        let ids: Vec<i64> = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sqlite_exact_sql()))
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

/// The settings of a search's transaction on PostgreSQL (the review
/// fixC33's H2): no JIT compilation, and a plan made for each query's own
/// words. A narrowed query's plan is estimated far above `jit_above_cost`
/// (it may walk the table backwards), so PostgreSQL, JIT on by default since
/// version 12, spent 300–500 ms compiling a query that runs in under 1 ms.
/// A plan kept for the statement whatever its words (a generic plan, which
/// PostgreSQL may switch to after five runs of a prepared statement) could
/// walk the table for a rare word.
const POSTGRES_SEARCH_SETTINGS: &str =
    "SELECT set_config('jit', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true)";

/// [`query`] on PostgreSQL: the probe, the page and whether it was cut, in
/// one read-only transaction under [`POSTGRES_SEARCH_SETTINGS`].
async fn postgres_query(db: &Db, words: &[String], kind: &str, limit: i64, offset: i64) -> Result<Found> {
    let mut tx = postgres_search_tx(db).await?;
    let narrow = postgres_common(&mut tx, words).await?;
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(postgres_sql(narrow))).bind(words.join(" ")).bind(kind).bind(limit).bind(offset);
    if narrow {
        q = q.bind(RANK_WINDOW - 1);
    }
    let hits = q.fetch_all(&mut *tx).await?;
    // Is there a match older than the window? (The same bounded probe.)
    let capped = narrow && {
        let (beyond,): (bool,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT EXISTS (SELECT 1 FROM search_documents w WHERE w.tsv @@ plainto_tsquery('simple', $1) \
                              AND ($2 = '' OR w.kind = $2) AND {} OFFSET $3 LIMIT 1)",
            shown("w")
        )))
        .bind(words.join(" "))
        .bind(kind)
        .bind(RANK_WINDOW)
        .fetch_one(&mut *tx)
        .await?;
        beyond
    };
    tx.commit().await?;
    Ok(Found { hits, capped })
}

/// A search's read-only transaction on PostgreSQL, under
/// [`POSTGRES_SEARCH_SETTINGS`].
async fn postgres_search_tx(db: &Db) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
    let mut tx = db.pool.begin_with("BEGIN READ ONLY").await?;
    sqlx::query(POSTGRES_SEARCH_SETTINGS).execute(&mut *tx).await?;
    Ok(tx)
}

/// Whether every word is common ([`narrowed`] on PostgreSQL): a bounded
/// probe per word, in one round trip.
async fn postgres_common(conn: &mut sqlx::AnyConnection, words: &[String]) -> Result<bool> {
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
    let mut probe = sqlx::query_as::<_, (bool,)>(sqlx::AssertSqlSafe(format!("SELECT {}", probes.join(" AND ")))).bind(COMMON_WORD);
    for w in words {
        probe = probe.bind(w.as_str());
    }
    Ok(probe.fetch_one(conn).await?.0)
}

/// The words as an FTS5 query: each quoted, so FTS5 syntax in the input is
/// inert.
fn fts_expr(words: &[String]) -> String {
    words.iter().map(|w| format!("\"{}\"", w.replace('"', ""))).collect::<Vec<_>>().join(" ")
}

/// Whether a query is narrowed to its newest [`RANK_WINDOW`] matches. Both
/// backends tell a common word by the same bounded probe (is there a match
/// past the first [`COMMON_WORD`]?), and narrow where ranking every match
/// costs what grows with the index:
///
/// - On SQLite, when **any** word is common: BM25 reads a word's whole
///   document list for its weight, however few documents match the query
///   (about 8 ms for a word in 400,000 documents, against 0.3 ms for the
///   newest matches, which FTS5 walks by skipping through each list).
/// - On PostgreSQL, only when **every** word is common: a query with a
///   specific word matches at most `COMMON_WORD` documents, which the GIN
///   index finds directly and `ts_rank` ranks at little cost, whereas the
///   newest matches of a rare combination are found by walking the whole
///   table backwards (213 ms at 400,000 documents).
///
/// The bound on PostgreSQL is not tight (the review fixC33's M1): the
/// window is found by walking the table backwards from its newest row, so
/// it stays cheap only while the query's matches are among the newest
/// documents. Two common words that are seldom together, or a common word
/// whose matches are all old (an imported historic collection), walk the
/// whole table: measured at 400,001 documents on PostgreSQL 15 with JIT
/// off (as every search runs: `POSTGRES_SEARCH_SETTINGS`), "alpha beta"
/// (200,000 documents each, 1 together) 86–102 ms and "alpha" (matches in
/// the oldest half) 47–65 ms, against 0.7 ms for "harbour" in every
/// document; it grows with the table. Taking the window from the index
/// instead costs as much (intersecting the two words' lists took 93 ms,
/// ranking their one match exactly 74 ms), so no cheaper complete answer
/// was found; searches are rate limited per address (web `routes::search`).
async fn narrowed(db: &Db, words: &[String]) -> Result<bool> {
    match db.backend() {
        Backend::Sqlite => {
            let quoted: Vec<String> = words.iter().map(|w| fts_expr(std::slice::from_ref(w))).collect();
            // One round trip checks up to the first two words (queries are
            // short); further words are checked one by one.
            let probe = "SELECT rowid FROM search_fts WHERE search_fts MATCH $1 ORDER BY rowid DESC LIMIT 1 OFFSET $2";
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
                let beyond: Option<(i64,)> = sqlx::query_as(probe).bind(q).bind(COMMON_WORD).fetch_optional(&db.pool).await?;
                common = beyond.is_some() as i64;
            }
            Ok(common != 0)
        }
        Backend::Postgres => {
            let mut conn = db.pool.acquire().await?;
            postgres_common(&mut conn, words).await
        }
    }
}

/// SQLite's query for one page of a query ranked over all its matches:
/// `$1` the FTS5 expression, `$2` the kind or empty, `$3` and `$4` limit
/// and offset.
fn sqlite_exact_sql() -> String {
    format!(
        "SELECT f.rowid FROM search_fts f WHERE search_fts MATCH $1 \
           AND EXISTS (SELECT 1 FROM search_documents d WHERE d.id = f.rowid AND ($2 = '' OR d.kind = $2) AND {}) \
         ORDER BY bm25(search_fts, 4.0, 1.0), f.rowid DESC LIMIT $3 OFFSET $4",
        shown("d")
    )
}

/// SQLite's newest matches of a narrowed query: `$1` the FTS5
/// expression, `$2` how many, `$3` the kind or empty.
fn sqlite_window_sql() -> String {
    format!(
        "SELECT f.rowid FROM search_fts f WHERE search_fts MATCH $1 \
           AND EXISTS (SELECT 1 FROM search_documents d WHERE d.id = f.rowid AND ($3 = '' OR d.kind = $3) AND {}) \
         ORDER BY f.rowid DESC LIMIT $2",
        shown("d")
    )
}

/// PostgreSQL's query for one page of hits: `$1` the words, `$2` the kind
/// or empty, `$3` and `$4` limit and offset, and when `narrow`, `$5` the
/// window's last position.
fn postgres_sql(narrow: bool) -> String {
    let select = format!(
        "SELECT d.kind, d.ref_id, d.title, d.body, d.created_at, \
                (-ts_rank(d.tsv, plainto_tsquery('simple', $1)))::float8 AS rank \
         FROM search_documents d \
         WHERE d.tsv @@ plainto_tsquery('simple', $1) AND ($2 = '' OR d.kind = $2) AND {}",
        shown("d")
    );
    if narrow {
        format!(
            "{select} AND d.id >= COALESCE((SELECT w.id FROM search_documents w WHERE w.tsv @@ plainto_tsquery('simple', $1) \
                                           AND ($2 = '' OR w.kind = $2) AND {} \
                                         ORDER BY w.id DESC OFFSET $5 LIMIT 1), 0) \
             ORDER BY rank, d.id DESC LIMIT $3 OFFSET $4",
            shown("w")
        )
    } else {
        format!("{select} ORDER BY rank, d.id DESC LIMIT $3 OFFSET $4")
    }
}

/// Orders a broad query's newest `RANK_WINDOW` matches: every word in the
/// title first, then the rest, newest first within each; returns one page
/// of ids, and whether there were more matches than the window.
async fn broad_order(db: &Db, expr: &str, kind: &str, limit: i64, offset: i64) -> Result<(Vec<i64>, bool)> {
    // The kind is part of the window: the newest matches of that kind, not
    // those of the newest matches that happen to be of it (and so is
    // whether a match is shown).
    let candidates: Vec<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(sqlite_window_sql()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DbOptions, test_databases};

    /// A migrated SQLite file, and a migrated PostgreSQL database when
    /// `TEST_DATABASE_URL` is set.
    async fn databases() -> Vec<Db> {
        let dir = test_databases::temp_dir("mh_search");
        let mut out = vec![Db::open_sqlite(&dir.join("test.db"), &DbOptions { max_connections: 2 }).await.unwrap()];
        if let Some(url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            let url = test_databases::create(&url, "mh_search").await.unwrap();
            out.push(Db::connect(&url, &DbOptions { max_connections: 2 }).await.unwrap());
        }
        for db in &out {
            db.migrate().await.unwrap();
        }
        out
    }

    /// `COMMON_WORD + 20` objects all with "harbour" and "photograph", each
    /// with its own number, and one lantern slide.
    async fn index(db: &Db) {
        let texts: Vec<(i64, String)> = (1..=COMMON_WORD + 20).map(|i| (i, format!("harbour photograph {i}"))).collect();
        let mut docs: Vec<Document<'_>> = texts
            .iter()
            .map(|(i, t)| Document { kind: "object", ref_id: *i, title: t, body: "", title_folded: t, body_folded: "", created_at: *i })
            .collect();
        docs.push(Document { kind: "object", ref_id: 0, title: "lantern", body: "", title_folded: "lantern", body_folded: "", created_at: 0 });
        let mut tx = db.begin().await.unwrap();
        upsert_many(&mut tx, db.backend(), "object", &docs, true).await.unwrap();
        tx.commit().await.unwrap();
    }

    fn words(q: &str) -> Vec<String> {
        q.split(' ').map(str::to_string).collect()
    }

    /// On PostgreSQL a query is narrowed to its newest matches only when
    /// every word is common (a specific word bounds the exact ranking); on
    /// SQLite when any word is (BM25 would read a common word's whole list).
    #[tokio::test]
    async fn a_query_is_narrowed_where_ranking_every_match_would_cost_most() {
        for db in databases().await {
            index(&db).await;
            let sqlite = db.backend() == Backend::Sqlite;
            for (q, narrow) in [("harbour", true), ("harbour photograph", true), ("lantern", false), ("harbour 7", sqlite), ("7 harbour", sqlite), ("harbour photograph 7", sqlite)] {
                assert_eq!(narrowed(&db, &words(q)).await.unwrap(), narrow, "{:?}: {q}", db.backend());
            }
            // Either way, every match is found, and not said to be cut.
            let found = query(&db, &words("harbour 7"), None, 10, 0).await.unwrap();
            assert_eq!((found.hits.len(), found.capped), (1, false), "{:?}", db.backend());
            assert!(query(&db, &words("harbour"), None, 10, 0).await.unwrap().capped, "{:?}", db.backend());
        }
    }

    /// The lines of EXPLAIN (ANALYZE) of the narrowed query for "harbour
    /// photograph" in `tx`, with JIT made to start at any cost.
    async fn explain_narrowed(tx: &mut sqlx::Transaction<'static, sqlx::Any>) -> String {
        sqlx::query("SET LOCAL jit_above_cost = 0").execute(&mut **tx).await.unwrap();
        let plan: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN (ANALYZE, FORMAT TEXT) {}", postgres_sql(true))))
            .bind("harbour photograph")
            .bind("")
            .bind(10_i64)
            .bind(0_i64)
            .bind(RANK_WINDOW - 1)
            .fetch_all(&mut **tx)
            .await
            .unwrap();
        plan.into_iter().map(|(l,)| l).collect::<Vec<_>>().join("\n")
    }

    /// The review fixC33's H2: PostgreSQL never JIT-compiles a search's
    /// queries. With JIT made to start at any cost, EXPLAIN (ANALYZE) of
    /// the narrowed query shows JIT work in a plain transaction (so the test
    /// can see it), and none in a search's transaction.
    #[tokio::test]
    async fn postgres_searches_run_without_jit() {
        for db in databases().await {
            if db.backend() != Backend::Postgres {
                continue;
            }
            index(&db).await;
            let (available,): (bool,) = sqlx::query_as("SELECT pg_jit_available()").fetch_one(&db.pool).await.unwrap();
            let mut plain = db.pool.begin().await.unwrap();
            let plan = explain_narrowed(&mut plain).await;
            assert_eq!(plan.contains("JIT:"), available, "{plan}");
            plain.rollback().await.unwrap();
            let mut search = postgres_search_tx(&db).await.unwrap();
            let plan = explain_narrowed(&mut search).await;
            assert!(!plan.contains("JIT"), "a search's query was JIT-compiled: {plan}");
            // And the page it answers is the same.
            assert_eq!(query(&db, &words("harbour photograph"), None, 10, 0).await.unwrap().hits.len(), 10);
        }
    }

    /// The plans of the queries a search runs: SQLite reaches documents,
    /// prompts and groups by their keys from the index's matches; on
    /// PostgreSQL a common word with a rare one is found through the GIN
    /// index, never by walking the table backwards from its newest row.
    #[tokio::test]
    async fn search_plans_use_the_index() {
        for db in databases().await {
            index(&db).await;
            match db.backend() {
                Backend::Sqlite => {
                    for sql in [sqlite_exact_sql(), sqlite_window_sql()] {
                        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                            .bind("\"harbour\" \"7\"")
                            .bind("")
                            .bind(10_i64)
                            .bind(0_i64)
                            .fetch_all(&db.pool)
                            .await
                            .unwrap();
                        let plan: Vec<&str> = plan.iter().map(|r| r.3.as_str()).collect();
                        assert!(plan.iter().any(|l| l.contains("VIRTUAL TABLE")), "{plan:?}");
                        assert!(plan.iter().all(|l| !l.starts_with("SCAN") || l.contains("VIRTUAL TABLE")), "a table scanned whole: {plan:?}");
                    }
                }
                Backend::Postgres => {
                    let q = words("harbour 7");
                    let narrow = narrowed(&db, &q).await.unwrap();
                    let mut tx = db.begin().await.unwrap();
                    // The test's table is small enough to read whole; the
                    // plan for a large one is what is asked for.
                    sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await.unwrap();
                    let mut explain = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(format!("EXPLAIN {}", postgres_sql(narrow))))
                        .bind(q.join(" "))
                        .bind("")
                        .bind(10_i64)
                        .bind(0_i64);
                    if narrow {
                        explain = explain.bind(RANK_WINDOW - 1);
                    }
                    let plan: Vec<String> = explain.fetch_all(&mut *tx).await.unwrap().into_iter().map(|(l,)| l).collect();
                    let plan = plan.join("\n");
                    assert!(plan.contains("search_documents_tsv"), "{plan}");
                    assert!(!plan.contains("Backward"), "{plan}");
                }
            }
        }
    }
}
