//! The store's error type: what went wrong, in terms callers can act on.

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
    Database(#[from] sqlx::Error),
    /// SQLite said no on the bulk import path ([`crate::bulk`]).
    #[error("{0}")]
    Bulk(String),
    /// Applying migrations failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
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
        StoreError::Database(err)
    }

    /// The [`StoreError::Conflict`] for a unique violation, named by the
    /// first rule whose text the database's message contains.
    pub(crate) fn conflict(message: &str, rules: &[(&str, &'static str)]) -> StoreError {
        let what = rules.iter().find(|(needle, _)| message.contains(needle)).map(|(_, what)| *what).unwrap_or("value");
        StoreError::Conflict { what }
    }
}

pub(crate) type Result<T> = std::result::Result<T, StoreError>;

/// An error of a connection of the store's own (SQLite's bulk import path,
/// the writer thread), told as the store's.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Bulk(e.to_string())
    }
}
