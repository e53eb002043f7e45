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
        if let sqlx::Error::Database(db) = &err {
            if db.is_unique_violation() {
                let msg = format!("{} {}", db.message(), db.constraint().unwrap_or(""));
                for (needle, what) in rules {
                    if msg.contains(needle) {
                        return StoreError::Conflict { what };
                    }
                }
                return StoreError::Conflict { what: "value" };
            }
        }
        StoreError::Database(err)
    }
}

pub(crate) type Result<T> = std::result::Result<T, StoreError>;
