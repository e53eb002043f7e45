//! All of Meetinghouse's SQL lives in this crate.
//!
//! One [`Db`] talks to SQLite (the default, embedded) or PostgreSQL (the
//! scale-out store) through sqlx's `Any` driver, so every query is written
//! once, in the subset both databases share: `$N` placeholders, `RETURNING`,
//! `ON CONFLICT`, recursive CTEs. Timestamps are unix seconds and flags are
//! 0/1 integers so rows decode identically on both. Each stored aggregate has
//! its own module; nothing outside this crate writes SQL. The one exception to
//! "through sqlx" is [`objects::ObjectWriter`], SQLite's collection-import
//! path, which runs prepared statements on a connection of its own
//! (rusqlite) for speed, and
//! [`writes`], whose batches run on SQLite on a writer thread that also uses
//! rusqlite, with the same `$N` SQL as the sqlx path, and `reads`, which runs
//! the few lookups nearly every request makes on the calling thread.

mod db;
mod error;
mod reads;

pub mod attempts;
pub mod attempt_forgetting;
pub mod closing;
pub mod collection_imports;
pub mod common_ground;
pub mod conversations;
pub mod email_changes;
pub mod groups;
pub mod health;
pub mod interactions;
pub mod media;
pub mod moderation;
pub mod notifications;
pub mod objects;
pub mod orgs;
pub mod outbox;
pub mod people;
pub mod personal_data;
pub mod prompts;
pub mod purge;
pub mod purposes;
pub mod run_lock;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod sitemap;
pub mod stories;
pub mod test_databases;
pub mod tokens;
pub mod writes;

pub use db::{Backend, Db, DbOptions, MigrationStatus, Tx, WriteTurn};
pub use error::StoreError;

/// Placeholders for a generated multi-row statement. SQLite gets anonymous
/// `?` (bound in order): with numbered `$N` it looks every parameter's name up
/// in a linear list when binding, which makes a statement with thousands of
/// parameters quadratic. PostgreSQL gets `$1, $2, …`.
pub(crate) struct Params {
    backend: Backend,
    n: usize,
}

impl Params {
    pub(crate) fn new(backend: Backend) -> Params {
        Params { backend, n: 0 }
    }
    /// The next placeholder.
    pub(crate) fn next(&mut self) -> String {
        self.n += 1;
        match self.backend {
            Backend::Sqlite => "?".to_string(),
            Backend::Postgres => format!("${}", self.n),
        }
    }
    /// `(p, p, …)` with `k` placeholders.
    pub(crate) fn tuple(&mut self, k: usize) -> String {
        format!("({})", self.list(k))
    }
    /// `p, p, …` with `k` placeholders. Built in one string: bulk statements
    /// ask for thousands.
    pub(crate) fn list(&mut self, k: usize) -> String {
        use std::fmt::Write;
        let mut out = String::with_capacity(k * 4);
        for i in 0..k {
            if i > 0 {
                out.push_str(", ");
            }
            self.n += 1;
            match self.backend {
                Backend::Sqlite => out.push('?'),
                Backend::Postgres => {
                    let _ = write!(out, "${}", self.n);
                }
            }
        }
        out
    }
}

/// The current time as unix seconds: the one clock every store module uses.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
