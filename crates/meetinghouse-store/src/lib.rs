//! All of Meetinghouse's SQL lives in this crate.
//!
//! One [`Db`] talks to SQLite (the default, embedded) or PostgreSQL (the
//! scale-out store) through sqlx's `Any` driver, so every query is written
//! once, in the subset both databases share: `$N` placeholders, `RETURNING`,
//! `ON CONFLICT`, recursive CTEs. Timestamps are unix seconds and flags are
//! 0/1 integers so rows decode identically on both. Each stored aggregate has
//! its own module; nothing outside this crate writes SQL.

mod db;
mod error;

pub mod conversations;
pub mod groups;
pub mod interactions;
pub mod moderation;
pub mod notifications;
pub mod objects;
pub mod orgs;
pub mod outbox;
pub mod people;
pub mod prompts;
pub mod sessions;
pub mod search;
pub mod settings;
pub mod stories;
pub mod tokens;

pub use db::{Backend, Db, DbOptions, MigrationStatus, Tx};
pub use error::StoreError;

/// The current time as unix seconds: the one clock every store module uses.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
