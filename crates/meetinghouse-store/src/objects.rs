//! Collection objects and their links to stories. Imports on PostgreSQL write
//! in batches, one statement per chunk of rows ([`existing`], [`upsert_many`]);
//! SQLite's imports go through [`crate::bulk`].

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
    pub extra: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, org_id, accession_number, title, makers, display_date, earliest_year, latest_year, medium, \
    dimensions, description, credit_line, rights, image_urls, source_url, classification, extra, created_at, updated_at";

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

/// Rows per INSERT statement (18 parameters each stays under both databases' limits).
/// Rows per generated multi-row statement.
const CHUNK: usize = 200;

/// The (id, content hash) already stored for these keys.
pub async fn existing(tx: &mut Tx, backend: Backend, org: i64, keys: &[&str]) -> Result<HashMap<String, (i64, String)>> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(CHUNK * 4) {
        let mut p = Params::new(backend);
        let org_param = p.next();
        let sql = format!(
            "SELECT accession_key, id, content_hash FROM collection_objects WHERE org_id = {org_param} AND accession_key IN ({})",
            p.list(chunk.len())
        );
        let mut q = sqlx::query_as::<_, (String, i64, String)>(sqlx::AssertSqlSafe(sql)).bind(org);
        for k in chunk {
            q = q.bind(*k);
        }
        for (k, id, h) in q.fetch_all(&mut **tx).await? {
            out.insert(k, (id, h));
        }
    }
    Ok(out)
}

/// Whether an organisation has any collection object.
pub async fn any_in_org(db: &Db, org: i64) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM collection_objects WHERE org_id = $1 LIMIT 1").bind(org).fetch_optional(&db.pool).await?;
    Ok(row.is_some())
}

/// The content hashes stored for these keys (lower-cased accession numbers).
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
}

/// What is stored for these keys (lower-cased accession numbers): key → fields.
pub async fn stored_fields(db: &Db, org: i64, keys: &[&str]) -> Result<HashMap<String, StoredFields>> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(CHUNK * 4) {
        let mut p = Params::new(db.backend());
        let org_param = p.next();
        let sql = format!(
            "SELECT accession_key, title, makers, display_date, earliest_year, latest_year, medium, dimensions, description, \
             credit_line, rights, image_urls, source_url, classification, extra \
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

/// Inserts or updates records (by organisation and key); returns key → id.
pub async fn upsert_many(tx: &mut Tx, backend: Backend, org: i64, rows: &[NewObject]) -> Result<HashMap<String, i64>> {
    let t = now();
    let mut ids = HashMap::new();
    for chunk in rows.chunks(CHUNK) {
        let mut p = Params::new(backend);
        let values: Vec<String> = (0..chunk.len()).map(|_| p.tuple(20)).collect();
        let sql = format!(
            "INSERT INTO collection_objects (org_id, accession_number, accession_key, title, makers, display_date, \
                 earliest_year, latest_year, medium, dimensions, description, credit_line, rights, image_urls, \
                 source_url, classification, extra, content_hash, created_at, updated_at) VALUES {} \
             ON CONFLICT (org_id, accession_key) DO UPDATE SET accession_number = excluded.accession_number, \
                 title = excluded.title, makers = excluded.makers, display_date = excluded.display_date, \
                 earliest_year = excluded.earliest_year, latest_year = excluded.latest_year, medium = excluded.medium, \
                 dimensions = excluded.dimensions, description = excluded.description, credit_line = excluded.credit_line, \
                 rights = excluded.rights, image_urls = excluded.image_urls, source_url = excluded.source_url, \
                 classification = excluded.classification, extra = excluded.extra, content_hash = excluded.content_hash, \
                 updated_at = excluded.updated_at \
             RETURNING id, accession_key",
            values.join(", ")
        );
        let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql));
        for r in chunk {
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
                .bind(t);
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

/// An organisation's objects by accession number (ignoring case), compared
/// byte by byte on both databases; migration 0027's index holds that order
/// on PostgreSQL, the unique index on SQLite.
pub async fn list(db: &Db, org: i64, limit: i64, offset: i64) -> Result<Vec<ObjectRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM collection_objects WHERE org_id = $1 ORDER BY {} LIMIT $2 OFFSET $3",
        bytewise(db.backend(), "accession_key")
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org).bind(limit).bind(offset).fetch_all(&db.pool).await?)
}

pub async fn count(db: &Db, org: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM collection_objects WHERE org_id = $1").bind(org).fetch_one(&db.pool).await?;
    Ok(n)
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
    let sql = format!(
        "SELECT o.slug, c.accession_number, c.title FROM story_objects so \
         JOIN collection_objects c ON c.id = so.object_id JOIN organisations o ON o.id = c.org_id \
         WHERE so.story_id = $1 ORDER BY {}, c.id",
        bytewise(db.backend(), "c.title")
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(story).fetch_all(&db.pool).await?)
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
/// story was grouped; ties within one second come in no set order.
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
        "SELECT c.id, o.slug, c.accession_number, c.title FROM collection_objects c JOIN organisations o ON o.id = c.org_id WHERE c.id IN ({})",
        p.list(order.len())
    );
    let mut q = sqlx::query_as::<_, (i64, String, String, String)>(sqlx::AssertSqlSafe(sql));
    for id in &order {
        q = q.bind(*id);
    }
    let mut found: HashMap<i64, (String, String, String)> = q.fetch_all(&db.pool).await?.into_iter().map(|(id, a, b, c)| (id, (a, b, c))).collect();
    Ok(order.iter().filter_map(|id| found.remove(id)).collect())
}
