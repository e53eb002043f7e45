//! SQLite's bulk path for collection imports.
//!
//! sqlx hands every statement to a worker thread and back, and its `Any`
//! driver copies each argument on the way; for a million records that costs
//! more than SQLite's own work. This writer opens its own connection to the
//! same database file and runs prepared statements on the calling (blocking)
//! thread, one transaction per batch, inside this process's write turn
//! ([`crate::Db::write_turn`]), so it never races the pool's writers.
//! PostgreSQL imports use the multi-row statements in [`crate::objects`].

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, ToSql, TransactionBehavior, params};

use crate::error::{Result, StoreError};
use crate::objects::NewObject;

/// What the search index holds for one object, folded by the caller.
#[derive(Debug, Clone)]
pub struct ObjectText {
    /// The body shown in results (makers, date, medium… joined).
    pub body: String,
    pub title_folded: String,
    pub body_folded: String,
}

/// How one batch went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// A connection of its own to a SQLite database, for bulk object writes.
pub struct ObjectWriter {
    conn: Connection,
}

impl std::fmt::Debug for ObjectWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectWriter").finish_non_exhaustive()
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Bulk(e.to_string())
    }
}

const INSERT_OBJECT: &str = "INSERT INTO collection_objects (org_id, accession_number, accession_key, title, makers, \
    display_date, earliest_year, latest_year, medium, dimensions, description, credit_line, rights, image_urls, \
    source_url, classification, extra, content_hash, created_at, updated_at) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?19)";

const UPDATE_OBJECT: &str = "UPDATE collection_objects SET accession_number = ?2, title = ?4, makers = ?5, \
    display_date = ?6, earliest_year = ?7, latest_year = ?8, medium = ?9, dimensions = ?10, description = ?11, \
    credit_line = ?12, rights = ?13, image_urls = ?14, source_url = ?15, classification = ?16, extra = ?17, \
    content_hash = ?18, updated_at = ?19 WHERE id = ?1 AND accession_key = ?3";

/// The 19 parameters of [`INSERT_OBJECT`] (`first` = the organisation) and
/// [`UPDATE_OBJECT`] (`first` = the object's id), in their numbered order.
fn object_params<'a>(first: &'a i64, o: &'a NewObject, now: &'a i64) -> [&'a dyn ToSql; 19] {
    [
        first, &o.accession_number, &o.key, &o.title, &o.makers, &o.display_date, &o.earliest_year,
        &o.latest_year, &o.medium, &o.dimensions, &o.description, &o.credit_line, &o.rights,
        &o.image_urls, &o.source_url, &o.classification, &o.extra, &o.content_hash, now,
    ]
}

impl ObjectWriter {
    /// Opens the database file with the same settings as the pool's
    /// connections, and a larger page cache for the indexes a bulk load walks.
    pub fn open(path: &Path) -> Result<ObjectWriter> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
             PRAGMA cache_size = -128000;",
        )?;
        Ok(ObjectWriter { conn })
    }

    /// Writes one batch of records for an organisation in one transaction:
    /// new accession numbers are inserted, changed records (by content hash)
    /// updated, unchanged ones left alone; each written record's search
    /// entry is replaced. Keys must be distinct within the batch. Nothing of
    /// the batch is stored if any statement fails.
    pub fn write(&mut self, org: i64, rows: &[(NewObject, ObjectText)], now: i64) -> Result<BatchCounts> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut counts = BatchCounts::default();
        {
            let mut find = tx.prepare("SELECT id, content_hash FROM collection_objects WHERE org_id = ?1 AND accession_key = ?2")?;
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
            for (o, text) in rows {
                let found: Option<(i64, String)> =
                    find.query_row(params![org, o.key], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
                let created = found.is_none();
                let id = match found {
                    Some((_, hash)) if hash == o.content_hash => {
                        counts.unchanged += 1;
                        continue;
                    }
                    Some((id, _)) => {
                        update.execute(object_params(&id, o, &now))?;
                        counts.updated += 1;
                        id
                    }
                    None => {
                        insert.execute(object_params(&org, o, &now))?;
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
                    match find_doc.query_row([id], |r| r.get::<_, i64>(0)).optional()? {
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
