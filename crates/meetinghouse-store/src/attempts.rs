//! Attempt counters shared by every app server (core's `attempts`): one row
//! per bucket and window, incremented in one statement (and decremented in
//! one, for a reserved attempt given back).

use crate::{Db, Tx};
use crate::error::Result;

/// Adds one hit to a bucket's window and returns the window's hits.
const HIT: &str = "INSERT INTO attempt_counts (bucket, window_start, hits) VALUES ($1, $2, 1)
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = attempt_counts.hits + 1
         RETURNING hits";
/// A bucket's hits in one window.
const HITS: &str = "SELECT hits FROM attempt_counts WHERE bucket = $1 AND window_start = $2";

/// Counts one attempt in `bucket`'s window starting at `window_start`, and
/// returns the hits in that window (this one included) and in the window
/// starting at `previous_start`.
pub async fn hit(db: &Db, bucket: &str, window_start: i64, previous_start: i64) -> Result<(i64, i64)> {
    let current: i64 = sqlx::query_scalar(HIT).bind(bucket).bind(window_start).fetch_one(&db.pool).await?;
    let previous: Option<i64> = sqlx::query_scalar(HITS).bind(bucket).bind(previous_start).fetch_optional(&db.pool).await?;
    Ok((current, previous.unwrap_or(0)))
}

/// [`hit`] in the caller's transaction: the count stands or falls with
/// what the transaction does.
pub async fn hit_in(tx: &mut Tx, bucket: &str, window_start: i64, previous_start: i64) -> Result<(i64, i64)> {
    let current: i64 = sqlx::query_scalar(HIT).bind(bucket).bind(window_start).fetch_one(&mut **tx).await?;
    let previous: Option<i64> = sqlx::query_scalar(HITS).bind(bucket).bind(previous_start).fetch_optional(&mut **tx).await?;
    Ok((current, previous.unwrap_or(0)))
}

/// Gives back one hit counted in `bucket`'s window starting at
/// `window_start` (a reserved attempt that did not fail); never below
/// zero, and nothing when the window is gone (forgotten or purged).
pub async fn give_back(db: &Db, bucket: &str, window_start: i64) -> Result<()> {
    sqlx::query("UPDATE attempt_counts SET hits = hits - 1 WHERE bucket = $1 AND window_start = $2 AND hits > 0")
        .bind(bucket)
        .bind(window_start)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Removes the windows that started before `before`; returns how many.
pub async fn purge_before(db: &Db, before: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM attempt_counts WHERE window_start < $1").bind(before).execute(&db.pool).await?;
    Ok(done.rows_affected())
}
