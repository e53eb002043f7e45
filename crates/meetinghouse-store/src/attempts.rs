//! Attempt counters shared by every app server (core's `attempts`): one row
//! per bucket and window, incremented in one statement (and decremented in
//! one, for a reserved attempt given back). Each row carries a stamp chosen
//! when it is made (migration 0056), so a give-back reaches only the row
//! its attempt was counted in: not one made again after the bucket was
//! forgotten (a lifted sign-in lock).

use crate::{Db, Tx};
use crate::error::Result;

/// Adds one hit to a bucket's window (a new row takes the stamp given) and
/// returns the window's hits and its row's stamp.
const HIT: &str = "INSERT INTO attempt_counts (bucket, window_start, hits, stamp) VALUES ($1, $2, 1, $3)
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = attempt_counts.hits + 1
         RETURNING hits, stamp";
/// A bucket's hits in one window.
const HITS: &str = "SELECT hits FROM attempt_counts WHERE bucket = $1 AND window_start = $2";

/// What counting one attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hits {
    /// The hits in the window counted in, this one included.
    pub current: i64,
    /// The hits in the window before it.
    pub previous: i64,
    /// The stamp of the row counted in: the one given, when this attempt
    /// made the row.
    pub stamp: i64,
}

/// Counts one attempt in `bucket`'s window starting at `window_start` (a
/// row made for it takes `stamp`, which the caller draws at random), with
/// the hits in the window starting at `previous_start`.
pub async fn hit(db: &Db, bucket: &str, window_start: i64, previous_start: i64, stamp: i64) -> Result<Hits> {
    let (current, stamp): (i64, i64) = sqlx::query_as(HIT).bind(bucket).bind(window_start).bind(stamp).fetch_one(&db.pool).await?;
    let previous: Option<i64> = sqlx::query_scalar(HITS).bind(bucket).bind(previous_start).fetch_optional(&db.pool).await?;
    Ok(Hits { current, previous: previous.unwrap_or(0), stamp })
}

/// [`hit`] in the caller's transaction: the count stands or falls with
/// what the transaction does.
pub async fn hit_in(tx: &mut Tx, bucket: &str, window_start: i64, previous_start: i64, stamp: i64) -> Result<Hits> {
    let (current, stamp): (i64, i64) = sqlx::query_as(HIT).bind(bucket).bind(window_start).bind(stamp).fetch_one(&mut **tx).await?;
    let previous: Option<i64> = sqlx::query_scalar(HITS).bind(bucket).bind(previous_start).fetch_optional(&mut **tx).await?;
    Ok(Hits { current, previous: previous.unwrap_or(0), stamp })
}

/// Gives back one hit counted in `bucket`'s window starting at
/// `window_start`, in the row stamped `stamp` (a reserved attempt that did
/// not fail); never below zero, and nothing when that row is gone
/// (forgotten or purged), even if the window was counted in again since.
pub async fn give_back(db: &Db, bucket: &str, window_start: i64, stamp: i64) -> Result<()> {
    sqlx::query("UPDATE attempt_counts SET hits = hits - 1 WHERE bucket = $1 AND window_start = $2 AND stamp = $3 AND hits > 0")
        .bind(bucket)
        .bind(window_start)
        .bind(stamp)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Removes the windows that started before `before`; returns how many.
pub async fn purge_before(db: &Db, before: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM attempt_counts WHERE window_start < $1").bind(before).execute(&db.pool).await?;
    Ok(done.rows_affected())
}
