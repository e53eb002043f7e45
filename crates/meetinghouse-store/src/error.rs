//! The store's error type: what went wrong, in terms callers can act on.
//! Every database failure is also counted by kind ([`error_counts`]) for
//! the operator's `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

/// An error from the database layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken; `what` names the rule (for example `"handle"`).
    #[error("{what} is already taken")]
    Conflict { what: &'static str },
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// The schema on a PostgreSQL server is older than this binary.
    #[error("{0}")]
    Outdated(String),
    /// Anything else the database said.
    #[error(transparent)]
    Database(sqlx::Error),
    /// SQLite said no on the bulk import path ([`crate::bulk`]).
    #[error("{0}")]
    Bulk(String),
    /// Applying migrations failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// What kind of failure a database error is, by name: the label of
/// `meetinghouse_db_errors_total`, so a fixed, short list.
pub const ERROR_KINDS: [&str; 9] =
    ["disk_full", "read_only", "busy", "constraint", "corrupt", "io", "connection", "pool_timeout", "other"];

/// How many database errors of each of [`ERROR_KINDS`] this process has
/// met since it started (a row not found and a uniqueness rule the
/// caller names, [`StoreError::Conflict`], are answers, not errors, and
/// are not counted). Process-wide, as a Prometheus client's counters are:
/// an error is counted where it is made, with no database at hand.
pub fn error_counts() -> [(&'static str, u64); ERROR_KINDS.len()] {
    std::array::from_fn(|i| (ERROR_KINDS[i], COUNTS[i].load(Ordering::Relaxed)))
}

static COUNTS: [AtomicU64; ERROR_KINDS.len()] = [const { AtomicU64::new(0) }; ERROR_KINDS.len()];

fn count(kind: &'static str) {
    if let Some(i) = ERROR_KINDS.iter().position(|k| *k == kind) {
        COUNTS[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// SQLite's words for `SQLITE_FULL`, as its own message and rusqlite's say.
const SQLITE_FULL_WORDS: &str = "database or disk is full";

/// The kind of a database error sqlx reported (None for a row not found).
fn sqlx_kind(err: &sqlx::Error) -> Option<&'static str> {
    Some(match err {
        sqlx::Error::RowNotFound => return None,
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            // PostgreSQL's codes are five-character SQLSTATEs; SQLite's are
            // its (extended) result codes, at most four digits.
            if code.len() == 5 {
                pg_kind(&code)
            } else {
                match code.parse::<i64>() {
                    Ok(n) => sqlite_kind(n),
                    Err(_) if db.message().contains(SQLITE_FULL_WORDS) => "disk_full",
                    Err(_) => "other",
                }
            }
        }
        sqlx::Error::Io(e) if is_out_of_space(e) => "disk_full",
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
            "connection"
        }
        sqlx::Error::PoolTimedOut => "pool_timeout",
        _ => "other",
    })
}

/// A SQLite result code (primary or extended) by kind.
fn sqlite_kind(code: i64) -> &'static str {
    match code & 0xff {
        13 => "disk_full",
        8 => "read_only",
        5 | 6 => "busy",
        19 => "constraint",
        11 | 26 => "corrupt",
        10 | 14 => "io",
        _ => "other",
    }
}

/// A PostgreSQL SQLSTATE by kind.
fn pg_kind(code: &str) -> &'static str {
    match code {
        "53100" => "disk_full",
        "25006" => "read_only",
        "40001" | "40P01" | "55P03" => "busy",
        "XX001" | "XX002" => "corrupt",
        "58030" => "io",
        "57P01" | "57P02" | "57P03" => "connection",
        _ if code.starts_with("23") => "constraint",
        _ if code.starts_with("08") => "connection",
        _ => "other",
    }
}

fn is_out_of_space(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(28)
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> StoreError {
        if let Some(kind) = sqlx_kind(&err) {
            count(kind);
        }
        StoreError::Database(err)
    }
}

impl StoreError {
    /// Maps a unique-constraint violation to [`StoreError::Conflict`] by the
    /// name of the column it mentions; other errors pass through.
    pub(crate) fn from_unique(err: sqlx::Error, rules: &[(&str, &'static str)]) -> StoreError {
        if let sqlx::Error::Database(db) = &err
            && db.is_unique_violation()
        {
            return StoreError::conflict(&format!("{} {}", db.message(), db.constraint().unwrap_or("")), rules);
        }
        StoreError::from(err)
    }

    /// The [`StoreError::Conflict`] for a unique violation, named by the
    /// first rule whose text the database's message contains.
    pub(crate) fn conflict(message: &str, rules: &[(&str, &'static str)]) -> StoreError {
        let what = rules.iter().find(|(needle, _)| message.contains(needle)).map(|(_, what)| *what).unwrap_or("value");
        StoreError::Conflict { what }
    }

    /// Whether this failed because the disk holding the database is full
    /// (SQLite's `SQLITE_FULL`, PostgreSQL's `53100 disk_full`, or the
    /// system's "no space left on device"), so nothing could be written
    /// until the operator frees space.
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::Database(e) => sqlx_kind(e) == Some("disk_full"),
            // The SQLite writer thread and the bulk import report rusqlite's words.
            StoreError::Bulk(message) => message.contains(SQLITE_FULL_WORDS),
            StoreError::Migrate(sqlx::migrate::MigrateError::Execute(e)) => sqlx_kind(e) == Some("disk_full"),
            _ => false,
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, StoreError>;

/// An error of a connection of the store's own (SQLite's bulk import path,
/// the writer thread), told as the store's.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        let kind = match &e {
            rusqlite::Error::SqliteFailure(f, _) => Some(sqlite_kind(i64::from(f.extended_code))),
            rusqlite::Error::QueryReturnedNoRows => None,
            _ => Some("other"),
        };
        if let Some(kind) = kind {
            count(kind);
        }
        StoreError::Bulk(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_by_kind() {
        assert_eq!(sqlite_kind(13), "disk_full");
        assert_eq!(sqlite_kind(8 | (3 << 8)), "read_only");
        assert_eq!(sqlite_kind(5 | (1 << 8)), "busy");
        assert_eq!(sqlite_kind(19 | (8 << 8)), "constraint");
        assert_eq!(pg_kind("53100"), "disk_full");
        assert_eq!(pg_kind("23503"), "constraint");
        assert_eq!(pg_kind("08006"), "connection");
        assert_eq!(pg_kind("42P01"), "other");
        assert!(StoreError::Bulk("database or disk is full".into()).is_disk_full());
        assert!(StoreError::Database(sqlx::Error::Io(std::io::Error::from_raw_os_error(28))).is_disk_full());
        assert!(!StoreError::NotFound.is_disk_full());
        for k in ["disk_full", "read_only", "busy", "constraint", "corrupt", "io", "connection", "pool_timeout", "other"] {
            assert!(ERROR_KINDS.contains(&k));
        }
    }
}
