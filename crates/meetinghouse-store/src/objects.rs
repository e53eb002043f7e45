//! Collection objects and their links to stories. Imports on PostgreSQL write
//! in batches, one statement per chunk of rows ([`existing`], [`upsert_rows`]);
//! SQLite's imports go through [`ObjectWriter`], prepared statements on a
//! connection of its own (see its doc comment). A withdrawn object
//! (`withdrawn_at`) keeps its row but leaves lists, search and the sitemap,
//! and no import writes it.

use std::collections::HashMap;

use sqlx::FromRow;

use crate::error::Result;
use crate::{Backend, Db, Params, Tx, now};

#[derive(Debug, Clone, FromRow)]
pub struct ObjectRow {
    pub id: i64,
    pub org_id: i64,
    pub accession_number: String,
    pub title: String,
    pub makers: String,
    pub display_date: String,
    pub earliest_year: Option<i64>,
    pub latest_year: Option<i64>,
    pub medium: String,
    pub dimensions: String,
    pub description: String,
    pub credit_line: String,
    pub rights: String,
    pub image_urls: String,
    pub source_url: String,
    pub classification: String,
    /// The extra fields (columns no field of ours took) an import's mapping
    /// published: a JSON object, shown to everyone.
    pub extra: String,
    /// The other extra fields, private: shown only to the organisation's
    /// staff and admins and the instance's admins (migration 0050).
    pub extra_private: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// When it was withdrawn from the collection, by whom, how (`org`: its
    /// staff, admins or an import; `moderation`: the meeting house's
    /// moderators) and why; `None` while it is in the collection.
    pub withdrawn_at: Option<i64>,
    pub withdrawn_by: Option<i64>,
    pub withdrawn_how: String,
    pub withdrawn_note: String,
}

impl ObjectRow {
    /// Whether it was withdrawn from the collection.
    pub fn withdrawn(&self) -> bool {
        self.withdrawn_at.is_some()
    }
}

const COLUMNS: &str = "id, org_id, accession_number, title, makers, display_date, earliest_year, latest_year, medium, \
    dimensions, description, credit_line, rights, image_urls, source_url, classification, extra, extra_private, created_at, updated_at, \
    withdrawn_at, withdrawn_by, withdrawn_how, withdrawn_note";

/// How an object was withdrawn: by its organisation (its staff or admins,
/// or an import that withdrew the objects missing from its file).
pub const BY_ORG: &str = "org";
/// How an object was withdrawn: by the meeting house's moderators, who alone
/// put it back.
pub const BY_MODERATION: &str = "moderation";

/// The order of an organisation's list: the accession number lower-cased,
/// each run of digits written as its length (three digits) and the number
/// without leading zeros, so runs of digits compare as numbers ("b/10005"
/// before "b/100049", "tiv.2" before "tiv.10"); compared byte by byte, ties
/// (numbers written with leading zeros) broken by the accession key.
pub fn sort_key(accession: &str) -> String {
    let lower = accession.to_lowercase();
    let mut out = String::with_capacity(lower.len() + 8);
    let mut chars = lower.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_ascii_digit() {
            out.push(c);
            continue;
        }
        let mut run = String::from(c);
        while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
            run.push(d);
            chars.next();
        }
        let number = run.trim_start_matches('0');
        let number = if number.is_empty() { "0" } else { number };
        out.push_str(&format!("{:03}{number}", number.len().min(999)));
    }
    out
}

/// One record to write; `key` is the accession number lower-cased.
#[derive(Debug, Clone)]
pub struct NewObject {
    pub accession_number: String,
    pub key: String,
    pub title: String,
    pub makers: String,
    pub display_date: String,
    pub earliest_year: Option<i64>,
    pub latest_year: Option<i64>,
    pub medium: String,
    pub dimensions: String,
    pub description: String,
    pub credit_line: String,
    pub rights: String,
    pub image_urls: String,
    pub source_url: String,
    pub classification: String,
    pub extra: String,
    pub content_hash: String,
}

/// One record an import writes: the object, its private extra fields (a
/// JSON object) and what the search index holds for it.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub object: NewObject,
    pub private: String,
    pub text: ObjectText,
}

/// What the search index holds for one object, folded by the caller.
#[derive(Debug, Clone)]
pub struct ObjectText {
    /// The body shown in results (makers, date, medium… joined).
    pub body: String,
    pub title_folded: String,
    pub body_folded: String,
}

/// How one batch went. A record of a withdrawn object is not written
/// (`withdrawn`, with the first [`WITHDRAWN_LISTED`] accession numbers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub withdrawn: u64,
    pub withdrawn_listed: Vec<String>,
    /// The moderators hold the organisation's collection: nothing of the
    /// batch was written (the import stops).
    pub held: bool,
}

/// How many accession numbers of withdrawn objects a batch names.
pub const WITHDRAWN_LISTED: usize = 20;

impl BatchCounts {
    fn withdrawn_one(&mut self, accession: &str) {
        self.withdrawn += 1;
        if self.withdrawn_listed.len() < WITHDRAWN_LISTED {
            self.withdrawn_listed.push(accession.to_string());
        }
    }
}

/// Rows per generated multi-row statement (22 parameters each stays under
/// both databases' limits).
const CHUNK: usize = 200;

/// What is stored for one key: its id, content hash, and whether it was withdrawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub id: i64,
    pub content_hash: String,
    pub withdrawn: bool,
}

/// What is already stored for these keys, read in the transaction that
/// writes them: on PostgreSQL the rows are locked (`FOR UPDATE`), so one
/// withdrawn meanwhile waits for this batch or is seen withdrawn by it.
pub async fn existing(tx: &mut Tx, backend: Backend, org: i64, keys: &[&str]) -> Result<HashMap<String, Existing>> {
    let mut out = HashMap::new();
    let lock = if backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    for chunk in keys.chunks(CHUNK * 4) {
        let mut p = Params::new(backend);
        let org_param = p.next();
        let sql = format!(
            "SELECT accession_key, id, content_hash, CASE WHEN withdrawn_at IS NULL THEN 0 ELSE 1 END \
             FROM collection_objects WHERE org_id = {org_param} AND accession_key IN ({}){lock}",
            p.list(chunk.len())
        );
        let mut q = sqlx::query_as::<_, (String, i64, String, i64)>(sqlx::AssertSqlSafe(sql)).bind(org);
        for k in chunk {
            q = q.bind(*k);
        }
        for (k, id, content_hash, withdrawn) in q.fetch_all(&mut **tx).await? {
            out.insert(k, Existing { id, content_hash, withdrawn: withdrawn == 1 });
        }
    }
    Ok(out)
}

/// How many of these keys an organisation's collection already holds
/// (withdrawn objects included), for the cap on its size.
pub async fn count_existing(db: &Db, org: i64, keys: &[&str]) -> Result<i64> {
    let mut n = 0;
    for chunk in keys.chunks(CHUNK * 4) {
        let mut p = Params::new(db.backend());
        let org_param = p.next();
        let sql = format!(
            "SELECT COUNT(*) FROM collection_objects WHERE org_id = {org_param} AND accession_key IN ({})",
            p.list(chunk.len())
        );
        let mut q = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql)).bind(org);
        for k in chunk {
            q = q.bind(*k);
        }
        n += q.fetch_one(&db.pool).await?.0;
    }
    Ok(n)
}

/// Whether an organisation has any collection object.
pub async fn any_in_org(db: &Db, org: i64) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM collection_objects WHERE org_id = $1 LIMIT 1").bind(org).fetch_optional(&db.pool).await?;
    Ok(row.is_some())
}

/// The content hashes stored for these keys (lower-cased accession numbers).
/// A dry run counts what an import would do from them.
pub async fn stored_hashes(db: &Db, org: i64, keys: &[&str]) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(CHUNK * 4) {
        let mut p = Params::new(db.backend());
        let org_param = p.next();
        let sql = format!(
            "SELECT accession_key, content_hash FROM collection_objects WHERE org_id = {org_param} AND accession_key IN ({})",
            p.list(chunk.len())
        );
        let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql)).bind(org);
        for k in chunk {
            q = q.bind(*k);
        }
        out.extend(q.fetch_all(&db.pool).await?);
    }
    Ok(out)
}

/// The content hash stored for each of these keys, and whether its object
/// is withdrawn: what a dry run counts from.
pub async fn stored_states(db: &Db, org: i64, keys: &[&str]) -> Result<HashMap<String, (String, bool)>> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(CHUNK * 4) {
        let mut p = Params::new(db.backend());
        let org_param = p.next();
        let sql = format!(
            "SELECT accession_key, content_hash, CASE WHEN withdrawn_at IS NULL THEN 0 ELSE 1 END \
             FROM collection_objects WHERE org_id = {org_param} AND accession_key IN ({})",
            p.list(chunk.len())
        );
        let mut q = sqlx::query_as::<_, (String, String, i64)>(sqlx::AssertSqlSafe(sql)).bind(org);
        for k in chunk {
            q = q.bind(*k);
        }
        for (k, hash, withdrawn) in q.fetch_all(&db.pool).await? {
            out.insert(k, (hash, withdrawn == 1));
        }
    }
    Ok(out)
}

/// The stored fields an import leaves as they are when its file lacks them.
#[derive(Debug, Clone, FromRow)]
pub struct StoredFields {
    pub accession_key: String,
    pub title: String,
    pub makers: String,
    pub display_date: String,
    pub earliest_year: Option<i64>,
    pub latest_year: Option<i64>,
    pub medium: String,
    pub dimensions: String,
    pub description: String,
    pub credit_line: String,
    pub rights: String,
    pub image_urls: String,
    pub source_url: String,
    pub classification: String,
    pub extra: String,
    pub extra_private: String,
    /// Withdrawn (1) or not (0).
    pub withdrawn: i64,
}

/// What is stored for these keys (lower-cased accession numbers): key → fields.
pub async fn stored_fields(db: &Db, org: i64, keys: &[&str]) -> Result<HashMap<String, StoredFields>> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(CHUNK * 4) {
        let mut p = Params::new(db.backend());
        let org_param = p.next();
        let sql = format!(
            "SELECT accession_key, title, makers, display_date, earliest_year, latest_year, medium, dimensions, description, \
             credit_line, rights, image_urls, source_url, classification, extra, extra_private, \
             CASE WHEN withdrawn_at IS NULL THEN 0 ELSE 1 END AS withdrawn \
             FROM collection_objects WHERE org_id = {org_param} AND accession_key IN ({})",
            p.list(chunk.len())
        );
        let mut q = sqlx::query_as::<_, StoredFields>(sqlx::AssertSqlSafe(sql)).bind(org);
        for k in chunk {
            q = q.bind(*k);
        }
        for row in q.fetch_all(&db.pool).await? {
            out.insert(row.accession_key.clone(), row);
        }
    }
    Ok(out)
}

/// Inserts or updates records (by organisation and key) with no private
/// fields; returns key → id. For set-ups and tests: imports write
/// [`ImportRow`]s with [`upsert_rows`].
pub async fn upsert_many(tx: &mut Tx, backend: Backend, org: i64, rows: &[NewObject]) -> Result<HashMap<String, i64>> {
    let rows: Vec<(&NewObject, &str)> = rows.iter().map(|o| (o, "{}")).collect();
    upsert(tx, backend, org, &rows).await
}

/// Inserts or updates an import's records (by organisation and key), their
/// private fields and sort keys with them; returns key → id. The caller
/// leaves out withdrawn objects ([`existing`]).
pub async fn upsert_rows(tx: &mut Tx, backend: Backend, org: i64, rows: &[&ImportRow]) -> Result<HashMap<String, i64>> {
    let rows: Vec<(&NewObject, &str)> = rows.iter().map(|r| (&r.object, r.private.as_str())).collect();
    upsert(tx, backend, org, &rows).await
}

async fn upsert(tx: &mut Tx, backend: Backend, org: i64, rows: &[(&NewObject, &str)]) -> Result<HashMap<String, i64>> {
    let t = now();
    let mut ids = HashMap::new();
    for chunk in rows.chunks(CHUNK) {
        let mut p = Params::new(backend);
        let values: Vec<String> = (0..chunk.len()).map(|_| p.tuple(22)).collect();
        let sql = format!(
            "INSERT INTO collection_objects (org_id, accession_number, accession_key, title, makers, display_date, \
                 earliest_year, latest_year, medium, dimensions, description, credit_line, rights, image_urls, \
                 source_url, classification, extra, content_hash, created_at, updated_at, extra_private, accession_sort) VALUES {} \
             ON CONFLICT (org_id, accession_key) DO UPDATE SET accession_number = excluded.accession_number, \
                 title = excluded.title, makers = excluded.makers, display_date = excluded.display_date, \
                 earliest_year = excluded.earliest_year, latest_year = excluded.latest_year, medium = excluded.medium, \
                 dimensions = excluded.dimensions, description = excluded.description, credit_line = excluded.credit_line, \
                 rights = excluded.rights, image_urls = excluded.image_urls, source_url = excluded.source_url, \
                 classification = excluded.classification, extra = excluded.extra, content_hash = excluded.content_hash, \
                 updated_at = excluded.updated_at, extra_private = excluded.extra_private, accession_sort = excluded.accession_sort \
             RETURNING id, accession_key",
            values.join(", ")
        );
        let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql));
        for (r, private) in chunk {
            q = q
                .bind(org)
                .bind(r.accession_number.as_str())
                .bind(r.key.as_str())
                .bind(r.title.as_str())
                .bind(r.makers.as_str())
                .bind(r.display_date.as_str())
                .bind(r.earliest_year)
                .bind(r.latest_year)
                .bind(r.medium.as_str())
                .bind(r.dimensions.as_str())
                .bind(r.description.as_str())
                .bind(r.credit_line.as_str())
                .bind(r.rights.as_str())
                .bind(r.image_urls.as_str())
                .bind(r.source_url.as_str())
                .bind(r.classification.as_str())
                .bind(r.extra.as_str())
                .bind(r.content_hash.as_str())
                .bind(t)
                .bind(t)
                .bind(*private)
                .bind(sort_key(&r.accession_number));
        }
        for (id, key) in q.fetch_all(&mut **tx).await? {
            ids.insert(key, id);
        }
    }
    Ok(ids)
}

/// Refreshes the planner's statistics after a bulk import has grown the
/// tables. PostgreSQL plans the key lookups from them: without it, a table
/// that was empty when the import began is scanned whole for every batch.
/// SQLite picks the unique index without statistics, so there it does nothing.
pub async fn refresh_statistics(db: &Db) -> Result<()> {
    if db.backend() == Backend::Postgres {
        sqlx::query("ANALYZE collection_objects, search_documents").execute(&db.pool).await?;
    }
    Ok(())
}

pub async fn by_accession(db: &Db, org: i64, accession: &str) -> Result<Option<ObjectRow>> {
    let sql = format!("SELECT {COLUMNS} FROM collection_objects WHERE org_id = $1 AND accession_key = $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org).bind(accession.to_lowercase()).fetch_optional(&db.pool).await?)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<ObjectRow>> {
    let sql = format!("SELECT {COLUMNS} FROM collection_objects WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&db.pool).await?)
}

/// Text compared byte by byte, on PostgreSQL under the "C" collation
/// whatever the database's own, so a list comes in the same order on both
/// databases (as `groups::name_key` does for names).
fn bytewise(backend: Backend, expr: &str) -> String {
    match backend {
        Backend::Postgres => format!("{expr} COLLATE \"C\""),
        Backend::Sqlite => expr.to_string(),
    }
}

/// An organisation's objects in the collection (not withdrawn), by
/// [`sort_key`] then accession number, compared byte by byte on both
/// databases; migration 0050's partial index holds that order.
pub async fn list(db: &Db, org: i64, limit: i64, offset: i64) -> Result<Vec<ObjectRow>> {
    list_filtered(db, org, &Filter::default(), limit, offset).await
}

/// Which of an organisation's objects a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Words every one of which the title, the makers or the accession
    /// number holds (compared lower-cased; `%` and `_` are plain text).
    pub words: Vec<String>,
    /// The withdrawn objects instead of those in the collection.
    pub withdrawn: bool,
}

impl Filter {
    /// The condition, its placeholders numbered from `$from`, and the
    /// values to bind in order.
    fn condition(&self, from: usize) -> (String, Vec<String>) {
        let mut sql = String::from(if self.withdrawn { "withdrawn_at IS NOT NULL" } else { "withdrawn_at IS NULL" });
        let mut values = Vec::new();
        for (i, w) in self.words.iter().enumerate() {
            let n = from + i;
            sql.push_str(&format!(
                " AND (LOWER(title) LIKE ${n} ESCAPE '\\' OR LOWER(makers) LIKE ${n} ESCAPE '\\' OR accession_key LIKE ${n} ESCAPE '\\')"
            ));
            let escaped = w.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            values.push(format!("%{escaped}%"));
        }
        (sql, values)
    }
}

/// A page of an organisation's objects that `filter` picks, in the list's
/// order ([`list`]).
pub async fn list_filtered(db: &Db, org: i64, filter: &Filter, limit: i64, offset: i64) -> Result<Vec<ObjectRow>> {
    let (condition, values) = filter.condition(4);
    let sql = format!(
        "SELECT {COLUMNS} FROM collection_objects WHERE org_id = $1 AND {condition} ORDER BY {}, {} LIMIT $2 OFFSET $3",
        bytewise(db.backend(), "accession_sort"),
        bytewise(db.backend(), "accession_key")
    );
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org).bind(limit).bind(offset);
    for v in values {
        q = q.bind(v);
    }
    Ok(q.fetch_all(&db.pool).await?)
}

/// How many of an organisation's objects `filter` picks.
pub async fn count_filtered(db: &Db, org: i64, filter: &Filter) -> Result<i64> {
    let (condition, values) = filter.condition(2);
    let sql = format!("SELECT COUNT(*) FROM collection_objects WHERE org_id = $1 AND {condition}");
    let mut q = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql)).bind(org);
    for v in values {
        q = q.bind(v);
    }
    Ok(q.fetch_one(&db.pool).await?.0)
}

/// How many objects an organisation has stored, withdrawn ones included (the
/// cap on a collection's size counts them all).
pub async fn count(db: &Db, org: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM collection_objects WHERE org_id = $1").bind(org).fetch_one(&db.pool).await?;
    Ok(n)
}

/// Up to `limit` objects whose [`sort_key`] was never written (stored before
/// migration 0050): (id, accession number).
pub async fn unsorted(db: &Db, limit: i64) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as("SELECT id, accession_number FROM collection_objects WHERE accession_sort = '' ORDER BY id LIMIT $1")
        .bind(limit)
        .fetch_all(&db.pool)
        .await?)
}

/// Writes the sort key of each object (id, key).
pub async fn set_sort_keys(tx: &mut Tx, keys: &[(i64, String)]) -> Result<()> {
    for (id, key) in keys {
        sqlx::query("UPDATE collection_objects SET accession_sort = $1 WHERE id = $2").bind(key).bind(id).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Withdraws an object from the collection, in the caller's transaction;
/// false when it was withdrawn already (nothing changes). A withdrawal by the
/// moderators ([`BY_MODERATION`]) also takes over one by the organisation
/// ([`BY_ORG`]), so only the moderators can put it back.
pub async fn withdraw(tx: &mut Tx, id: i64, by: Option<i64>, how: &str, note: &str, at: i64) -> Result<bool> {
    let sql = if how == BY_MODERATION {
        "UPDATE collection_objects SET withdrawn_at = $1, withdrawn_by = $2, withdrawn_how = $3, withdrawn_note = $4, withdrawn_import = NULL \
         WHERE id = $5 AND (withdrawn_at IS NULL OR withdrawn_how <> 'moderation')"
    } else {
        "UPDATE collection_objects SET withdrawn_at = $1, withdrawn_by = $2, withdrawn_how = $3, withdrawn_note = $4 \
         WHERE id = $5 AND withdrawn_at IS NULL"
    };
    let done = sqlx::query(sql)
    .bind(at)
    .bind(by)
    .bind(how)
    .bind(note)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts a withdrawn object back, in the caller's transaction, only while it
/// is withdrawn `how` (the moderators' withdrawals are theirs to undo);
/// false when it is not.
pub async fn restore(tx: &mut Tx, id: i64, how: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE collection_objects SET withdrawn_at = NULL, withdrawn_by = NULL, withdrawn_how = '', withdrawn_note = '', withdrawn_import = NULL \
         WHERE id = $1 AND withdrawn_at IS NOT NULL AND withdrawn_how = $2",
    )
    .bind(id)
    .bind(how)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One object in an organisation's collection (not withdrawn), with its
/// place in the list's order: a page of them is what an import that
/// withdraws the objects its file lacks looks through ([`live_keys_page`]).
#[derive(Debug, Clone, FromRow)]
pub struct LiveKey {
    pub id: i64,
    pub accession_sort: String,
    pub accession_key: String,
}

/// How many of an organisation's objects are in its collection (not withdrawn).
pub async fn count_live(db: &Db, org: i64) -> Result<i64> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM collection_objects WHERE org_id = $1 AND withdrawn_at IS NULL").bind(org).fetch_one(&db.pool).await?;
    Ok(n)
}

/// A page of an organisation's objects in the collection, in the list's
/// order ([`list`]), after `after` (from the start when `None`). Read along
/// migration 0050's partial index, so each page costs only its own rows on
/// both databases, whatever the planner's statistics say (paging by id let
/// SQLite sort the whole collection for every page).
pub async fn live_keys_page(db: &Db, org: i64, after: Option<&LiveKey>, limit: i64) -> Result<Vec<LiveKey>> {
    let (sort, key) = (bytewise(db.backend(), "accession_sort"), bytewise(db.backend(), "accession_key"));
    let Some(after) = after else {
        let sql = format!(
            "SELECT id, accession_sort, accession_key FROM collection_objects WHERE org_id = $1 AND withdrawn_at IS NULL \
             ORDER BY {sort}, {key} LIMIT $2"
        );
        return Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org).bind(limit).fetch_all(&db.pool).await?);
    };
    let sql = format!(
        "SELECT id, accession_sort, accession_key FROM collection_objects WHERE org_id = $1 AND withdrawn_at IS NULL \
         AND ({sort}, {key}) > ($2, $3) ORDER BY {sort}, {key} LIMIT $4"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(org)
        .bind(&after.accession_sort)
        .bind(&after.accession_key)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?)
}

/// The most ids one statement of [`withdraw_by_import`] or
/// [`put_back_by_import`] names.
pub const IDS_PER_STATEMENT: usize = 1_000;

/// Withdraws, in the caller's transaction, those of `ids` that are
/// organisation `org`'s objects still in its collection, as an import that
/// withdrew the objects its file did not have ([`BY_ORG`], by `by`, noting
/// `import`, the import's id, for [`put_back_by_import`]), and takes them
/// out of search. How many were withdrawn.
#[allow(clippy::too_many_arguments)]
pub async fn withdraw_by_import(
    tx: &mut Tx,
    backend: Backend,
    org: i64,
    ids: &[i64],
    by: Option<i64>,
    note: &str,
    at: i64,
    import: Option<i64>,
) -> Result<u64> {
    let mut withdrawn = 0;
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut p = Params::new(backend);
        let sql = format!(
            "UPDATE collection_objects SET withdrawn_at = {}, withdrawn_by = {}, withdrawn_how = {}, withdrawn_note = {}, withdrawn_import = {} \
             WHERE org_id = {} AND withdrawn_at IS NULL AND id IN ({}) RETURNING id",
            p.next(),
            p.next(),
            p.next(),
            p.next(),
            p.next(),
            p.next(),
            p.list(chunk.len())
        );
        let mut q = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql)).bind(at).bind(by).bind(BY_ORG).bind(note).bind(import).bind(org);
        for id in chunk {
            q = q.bind(id);
        }
        let done: Vec<i64> = q.fetch_all(&mut **tx).await?.into_iter().map(|(id,)| id).collect();
        unindex(tx, backend, &done).await?;
        withdrawn += done.len() as u64;
    }
    Ok(withdrawn)
}

/// Takes the objects `ids` out of the search index, in the caller's
/// transaction (one statement per table for up to [`IDS_PER_STATEMENT`]).
async fn unindex(tx: &mut Tx, backend: Backend, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    if backend == Backend::Sqlite {
        let mut p = Params::new(backend);
        let sql = format!("DELETE FROM search_fts WHERE rowid IN (SELECT id FROM search_documents WHERE kind = 'object' AND ref_id IN ({}))", p.list(ids.len()));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(id);
        }
        q.execute(&mut **tx).await?;
    }
    let mut p = Params::new(backend);
    let sql = format!("DELETE FROM search_documents WHERE kind = 'object' AND ref_id IN ({})", p.list(ids.len()));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(id);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// How many of organisation `org`'s objects import `import` withdrew and
/// are still withdrawn by it ([`withdraw_by_import`]).
pub async fn count_withdrawn_by_import(db: &Db, org: i64, import: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM collection_objects WHERE withdrawn_import = $1 AND org_id = $2 AND withdrawn_at IS NOT NULL AND withdrawn_how = $3",
    )
    .bind(import)
    .bind(org)
    .bind(BY_ORG)
    .fetch_one(&db.pool)
    .await?;
    Ok(n)
}

/// A page of organisation `org`'s objects that import `import` withdrew and
/// are still withdrawn by it, in id order after `after`, to put back.
pub async fn withdrawn_by_import_after(db: &Db, org: i64, import: i64, after: i64, limit: i64) -> Result<Vec<ObjectRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM collection_objects WHERE withdrawn_import = $1 AND id > $2 AND org_id = $3 \
         AND withdrawn_at IS NOT NULL AND withdrawn_how = $4 ORDER BY id LIMIT $5"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(import).bind(after).bind(org).bind(BY_ORG).bind(limit).fetch_all(&db.pool).await?)
}

/// Puts back, in the caller's transaction, those of `ids` that import
/// `import` withdrew and are still withdrawn by it (not those put back or
/// taken over by the moderators since); their ids. The caller indexes them
/// again.
pub async fn put_back_by_import(tx: &mut Tx, backend: Backend, org: i64, import: i64, ids: &[i64]) -> Result<Vec<i64>> {
    let mut back = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut p = Params::new(backend);
        let sql = format!(
            "UPDATE collection_objects SET withdrawn_at = NULL, withdrawn_by = NULL, withdrawn_how = '', withdrawn_note = '', withdrawn_import = NULL \
             WHERE withdrawn_import = {} AND org_id = {} AND withdrawn_at IS NOT NULL AND withdrawn_how = {} AND id IN ({}) RETURNING id",
            p.next(),
            p.next(),
            p.next(),
            p.list(chunk.len())
        );
        let mut q = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql)).bind(import).bind(org).bind(BY_ORG);
        for id in chunk {
            q = q.bind(id);
        }
        back.extend(q.fetch_all(&mut **tx).await?.into_iter().map(|(id,)| id));
    }
    Ok(back)
}

/// Withdraws every object of an organisation still in its collection (the
/// moderators), in the caller's transaction; how many.
pub async fn withdraw_all(tx: &mut Tx, org: i64, by: Option<i64>, note: &str, at: i64) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE collection_objects SET withdrawn_at = $1, withdrawn_by = $2, withdrawn_how = $3, withdrawn_note = $4 \
         WHERE org_id = $5 AND withdrawn_at IS NULL",
    )
    .bind(at)
    .bind(by)
    .bind(BY_MODERATION)
    .bind(note)
    .bind(org)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// A page of an organisation's objects withdrawn `how`, in id order after
/// `after`, to put back.
pub async fn withdrawn_after(db: &Db, org: i64, how: &str, after: i64, limit: i64) -> Result<Vec<ObjectRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM collection_objects WHERE org_id = $1 AND withdrawn_at IS NOT NULL AND withdrawn_how = $2 AND id > $3 ORDER BY id LIMIT $4"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org).bind(how).bind(after).bind(limit).fetch_all(&db.pool).await?)
}

pub async fn link_story(tx: &mut Tx, story: i64, object: i64) -> Result<()> {
    sqlx::query("INSERT INTO story_objects (story_id, object_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(story)
        .bind(object)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Replaces the objects a story is about.
pub async fn set_story_objects(tx: &mut Tx, story: i64, objects: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM story_objects WHERE story_id = $1").bind(story).execute(&mut **tx).await?;
    for o in objects {
        link_story(tx, story, *o).await?;
    }
    Ok(())
}

/// Object ids a story is about.
pub async fn ids_of_story(db: &Db, story: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT object_id FROM story_objects WHERE story_id = $1 ORDER BY object_id").bind(story).fetch_all(&db.pool).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Objects a story is about: (organisation slug, accession number, title),
/// by title compared byte by byte on both databases, then id.
pub async fn of_story(db: &Db, story: i64) -> Result<Vec<(String, String, String)>> {
    Ok(of_story_marked(db, story).await?.into_iter().map(|(slug, accession, title, _)| (slug, accession, title)).collect())
}

/// [`of_story`], with whether each object was withdrawn from its collection.
pub async fn of_story_marked(db: &Db, story: i64) -> Result<Vec<(String, String, String, bool)>> {
    let sql = format!(
        "SELECT o.slug, c.accession_number, c.title, CASE WHEN c.withdrawn_at IS NULL THEN 0 ELSE 1 END FROM story_objects so \
         JOIN collection_objects c ON c.id = so.object_id JOIN organisations o ON o.id = c.org_id \
         WHERE so.story_id = $1 ORDER BY {}, c.id",
        bytewise(db.backend(), "c.title")
    );
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(story).fetch_all(&db.pool).await?;
    Ok(rows.into_iter().map(|(slug, accession, title, withdrawn)| (slug, accession, title, withdrawn == 1)).collect())
}

/// Who is asking for a list of stories: the live stories they may see are
/// the public ones, and the group ones of a group they belong to (every
/// group for an instance admin) or wrote themselves; the same rule as a
/// story's own page, in SQL, so a list is cut into pages after it is
/// filtered.
#[derive(Debug, Clone, Default)]
pub struct Audience {
    /// The viewer's person id (0 when signed out).
    pub person: i64,
    /// An instance admin: every group's stories.
    pub all_groups: bool,
    /// The groups the viewer belongs to, at any depth.
    pub groups: Vec<i64>,
}

impl Audience {
    /// The condition on stories `s` for this audience, its placeholders
    /// numbered from `$from`: bind [`Audience::bind`] there.
    pub(crate) fn stories_where(&self, from: usize) -> String {
        format!(
            "s.deleted_at IS NULL AND (s.visibility = 'public' OR (s.visibility = 'group' AND (s.author_person = ${from} OR {})))",
            self.groups_where("s.group_id", from + 1)
        )
    }

    /// The condition that a group `column` is one this audience sees the
    /// members-only content of, its placeholders numbered from `$from`
    /// (after the person's, for [`Audience::stories_where`]).
    pub(crate) fn groups_where(&self, column: &str, from: usize) -> String {
        let mut out = format!("${from} = 1");
        if !self.groups.is_empty() {
            let marks: Vec<String> = (0..self.groups.len()).map(|i| format!("${}", from + 1 + i)).collect();
            out.push_str(&format!(" OR {column} IN ({})", marks.join(", ")));
        }
        out
    }

    /// Binds the values of [`Audience::stories_where`] in order.
    pub(crate) fn bind<'q, O>(
        &self,
        mut q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments> {
        q = q.bind(self.person);
        self.bind_groups(q)
    }

    /// Binds the values of [`Audience::groups_where`] in order.
    pub(crate) fn bind_groups<'q, O>(
        &self,
        mut q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments> {
        q = q.bind(i64::from(self.all_groups));
        for g in &self.groups {
            q = q.bind(*g);
        }
        q
    }
}

/// Live stories about an object that `audience` may see, newest first:
/// (id, title).
pub async fn stories_about(db: &Db, object: i64, audience: &Audience, limit: i64, offset: i64) -> Result<Vec<(i64, String)>> {
    let sql = format!(
        "SELECT s.id, s.title FROM story_objects so JOIN stories s ON s.id = so.story_id \
         WHERE so.object_id = $1 AND {} ORDER BY s.created_at DESC, s.id DESC LIMIT $2 OFFSET $3",
        audience.stories_where(4)
    );
    // Only placeholders are formatted in; every value is bound.
    let q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(object).bind(limit).bind(offset);
    Ok(audience.bind(q).fetch_all(&db.pool).await?)
}

/// Objects with the newest public stories, newest first: (organisation
/// slug, accession number, title), at most `limit`. The newest live public
/// stories are walked in time order (by `stories_public` on SQLite, whose
/// `CROSS JOIN` keeps the stories the outer loop; by migration 0027's
/// partial index on PostgreSQL), a page of links at a time, until `limit`
/// objects are found, so the home page reads a few stories, not all of
/// them. An object comes where its newest such story does, as when every
/// story was grouped; ties within one second come in no set order. Objects
/// withdrawn from their collection are left out.
pub async fn with_recent_stories(db: &Db, limit: i64) -> Result<Vec<(String, String, String)>> {
    let want = usize::try_from(limit).unwrap_or(0);
    let mut order: Vec<i64> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // Stories at or before this time are still to read.
    let mut before = i64::MAX;
    let mut page: i64 = 64;
    while order.len() < want {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT so.object_id, s.created_at FROM stories s CROSS JOIN story_objects so \
             WHERE so.story_id = s.id AND s.visibility = 'public' AND s.deleted_at IS NULL AND s.created_at <= $1 \
             ORDER BY s.created_at DESC LIMIT $2",
        )
        .bind(before)
        .bind(page)
        .fetch_all(&db.pool)
        .await?;
        let full = rows.len() as i64 == page;
        let (Some(&(_, newest)), Some(&(_, oldest))) = (rows.first(), rows.last()) else { break };
        for (object, _) in &rows {
            if seen.insert(*object) {
                order.push(*object);
            }
        }
        if !full {
            break;
        }
        if newest == oldest {
            // A whole page in one second: read the rest of that second, then go on before it.
            let rest: Vec<(i64,)> = sqlx::query_as(
                "SELECT so.object_id FROM stories s CROSS JOIN story_objects so \
                 WHERE so.story_id = s.id AND s.visibility = 'public' AND s.deleted_at IS NULL AND s.created_at = $1",
            )
            .bind(oldest)
            .fetch_all(&db.pool)
            .await?;
            for (object,) in rest {
                if seen.insert(object) {
                    order.push(object);
                }
            }
            before = oldest - 1;
        } else {
            // The last second may go on past the page: read it again next time.
            before = oldest;
        }
        page = (page * 2).min(4096);
    }
    order.truncate(want);
    if order.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = Params::new(db.backend());
    let sql = format!(
        "SELECT c.id, o.slug, c.accession_number, c.title FROM collection_objects c JOIN organisations o ON o.id = c.org_id \
         WHERE c.withdrawn_at IS NULL AND c.id IN ({})",
        p.list(order.len())
    );
    let mut q = sqlx::query_as::<_, (i64, String, String, String)>(sqlx::AssertSqlSafe(sql));
    for id in &order {
        q = q.bind(*id);
    }
    let mut found: HashMap<i64, (String, String, String)> = q.fetch_all(&db.pool).await?.into_iter().map(|(id, a, b, c)| (id, (a, b, c))).collect();
    Ok(order.iter().filter_map(|id| found.remove(id)).collect())
}

/// SQLite's bulk path for collection imports.
///
/// sqlx hands every statement to a worker thread and back, and its `Any`
/// driver copies each argument on the way; for a million records that costs
/// more than SQLite's own work. This writer opens its own connection to the
/// same database file and runs prepared statements on the calling (blocking)
/// thread, one transaction per batch, inside this process's write turn
/// ([`crate::Db::write_turn`]), so it never races the pool's writers (a
/// withdrawal included: an object withdrawn before the batch's turn is seen
/// withdrawn, and not written). PostgreSQL imports use [`upsert_rows`].
pub struct ObjectWriter {
    conn: rusqlite::Connection,
}

impl std::fmt::Debug for ObjectWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectWriter").finish_non_exhaustive()
    }
}

/// A rusqlite error as the store's.
fn bulk_error(e: rusqlite::Error) -> crate::StoreError {
    crate::StoreError::Bulk(e.to_string())
}

const INSERT_OBJECT: &str = "INSERT INTO collection_objects (org_id, accession_number, accession_key, title, makers, \
    display_date, earliest_year, latest_year, medium, dimensions, description, credit_line, rights, image_urls, \
    source_url, classification, extra, content_hash, created_at, updated_at, extra_private, accession_sort) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?19, ?20, ?21)";

const UPDATE_OBJECT: &str = "UPDATE collection_objects SET accession_number = ?2, title = ?4, makers = ?5, \
    display_date = ?6, earliest_year = ?7, latest_year = ?8, medium = ?9, dimensions = ?10, description = ?11, \
    credit_line = ?12, rights = ?13, image_urls = ?14, source_url = ?15, classification = ?16, extra = ?17, \
    content_hash = ?18, updated_at = ?19, extra_private = ?20, accession_sort = ?21 WHERE id = ?1 AND accession_key = ?3";

/// The 21 parameters of [`INSERT_OBJECT`] (`first` = the organisation) and
/// [`UPDATE_OBJECT`] (`first` = the object's id), in their numbered order.
// A `String` is a `ToSql`; a `str` cannot be one behind `dyn`.
#[allow(clippy::ptr_arg)]
fn object_params<'a>(first: &'a i64, r: &'a ImportRow, now: &'a i64, sort: &'a String) -> [&'a dyn rusqlite::ToSql; 21] {
    let o = &r.object;
    [
        first, &o.accession_number, &o.key, &o.title, &o.makers, &o.display_date, &o.earliest_year,
        &o.latest_year, &o.medium, &o.dimensions, &o.description, &o.credit_line, &o.rights,
        &o.image_urls, &o.source_url, &o.classification, &o.extra, &o.content_hash, now, &r.private, sort,
    ]
}

impl ObjectWriter {
    /// Opens the database file with the same settings as the pool's
    /// connections, and a larger page cache for the indexes a bulk load walks.
    pub fn open(path: &std::path::Path) -> Result<ObjectWriter> {
        use rusqlite::OpenFlags;
        let conn = rusqlite::Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(bulk_error)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(bulk_error)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
             PRAGMA cache_size = -128000;",
        )
        .map_err(bulk_error)?;
        Ok(ObjectWriter { conn })
    }

    /// Writes one batch of records for an organisation in one transaction:
    /// new accession numbers are inserted, changed records (by content hash)
    /// updated, unchanged ones left alone, those of withdrawn objects left
    /// alone and counted; each written record's search entry is replaced.
    /// Keys must be distinct within the batch. Nothing of the batch is
    /// stored if any statement fails, or when the moderators hold the
    /// organisation's collection (read in the batch's transaction:
    /// `BatchCounts::held`).
    pub fn write(&mut self, org: i64, rows: &[ImportRow], now: i64) -> Result<BatchCounts> {
        self.write_inner(org, rows, now).map_err(bulk_error)
    }

    fn write_inner(&mut self, org: i64, rows: &[ImportRow], now: i64) -> rusqlite::Result<BatchCounts> {
        use rusqlite::{OptionalExtension, TransactionBehavior, params};
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut counts = BatchCounts::default();
        // Read inside the write lock, which a withdrawal of the whole
        // collection also takes: a hold that came first stops the batch.
        let held: bool = tx
            .query_row("SELECT collection_held_at IS NOT NULL FROM organisations WHERE id = ?1", [org], |row| row.get(0))
            .optional()?
            .unwrap_or(false);
        if held {
            counts.held = true;
            return Ok(counts);
        }
        {
            let mut find = tx.prepare(
                "SELECT id, content_hash, withdrawn_at IS NOT NULL FROM collection_objects WHERE org_id = ?1 AND accession_key = ?2",
            )?;
            let mut insert = tx.prepare(INSERT_OBJECT)?;
            let mut update = tx.prepare(UPDATE_OBJECT)?;
            let mut find_doc = tx.prepare("SELECT id FROM search_documents WHERE kind = 'object' AND ref_id = ?1")?;
            let mut insert_doc = tx.prepare(
                "INSERT INTO search_documents (kind, ref_id, title, body, created_at) VALUES ('object', ?1, ?2, ?3, ?4) \
                 ON CONFLICT (kind, ref_id) DO NOTHING",
            )?;
            let mut update_doc = tx.prepare("UPDATE search_documents SET title = ?2, body = ?3, created_at = ?4 WHERE id = ?1")?;
            let mut unindex = tx.prepare("DELETE FROM search_fts WHERE rowid = ?1")?;
            let mut index = tx.prepare("INSERT INTO search_fts (rowid, title, body) VALUES (?1, ?2, ?3)")?;
            for r in rows {
                let (o, text) = (&r.object, &r.text);
                let found: Option<(i64, String, bool)> =
                    find.query_row(params![org, o.key], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?))).optional()?;
                let created = found.is_none();
                let sort = sort_key(&o.accession_number);
                let id = match found {
                    Some((_, _, true)) => {
                        counts.withdrawn_one(&o.accession_number);
                        continue;
                    }
                    Some((_, hash, false)) if hash == o.content_hash => {
                        counts.unchanged += 1;
                        continue;
                    }
                    Some((id, _, false)) => {
                        update.execute(object_params(&id, r, &now, &sort))?;
                        counts.updated += 1;
                        id
                    }
                    None => {
                        insert.execute(object_params(&org, r, &now, &sort))?;
                        counts.created += 1;
                        tx.last_insert_rowid()
                    }
                };
                // A new object has no search entry, so the lookup is skipped
                // unless the insert finds one left behind under the same id.
                let inserted = created && insert_doc.execute(params![id, o.title, text.body, now])? == 1;
                let doc = if inserted {
                    tx.last_insert_rowid()
                } else {
                    match find_doc.query_row([id], |row| row.get::<_, i64>(0)).optional()? {
                        Some(doc) => {
                            unindex.execute([doc])?;
                            update_doc.execute(params![doc, o.title, text.body, now])?;
                            doc
                        }
                        None => {
                            insert_doc.execute(params![id, o.title, text.body, now])?;
                            tx.last_insert_rowid()
                        }
                    }
                };
                index.execute(params![doc, text.title_folded, text.body_folded])?;
            }
        }
        tx.commit()?;
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::sort_key;

    /// Runs of digits compare as numbers; everything else byte by byte.
    #[test]
    fn accession_numbers_sort_with_their_numbers_as_numbers() {
        let mut numbers = vec!["B/100049", "B/10005", "TIV.10", "tiv.2", "TIV.2.1", "A", "1990.12.3", "1990.3", "B/007", "B/7a", "Ä.1"];
        numbers.sort_by_key(|a| (sort_key(a), a.to_lowercase()));
        assert_eq!(numbers, vec!["1990.3", "1990.12.3", "A", "B/007", "B/7a", "B/10005", "B/100049", "tiv.2", "TIV.2.1", "TIV.10", "Ä.1"]);
        assert_eq!(sort_key("B/10005"), "b/00510005");
        assert_eq!(sort_key("0"), "0010");
    }
}
