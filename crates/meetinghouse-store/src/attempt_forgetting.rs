//! Forgetting an attempt counter (core's `attempts::forget`): every window
//! of one bucket, as when a password reset lifts an account's sign-in lock;
//! and reading one without counting (core's `attempts::spent`).

use crate::Db;
use crate::error::Result;

/// Removes every window of `bucket`; returns how many rows went.
pub async fn forget(db: &Db, bucket: &str) -> Result<u64> {
    let done = sqlx::query("DELETE FROM attempt_counts WHERE bucket = $1").bind(bucket).execute(&db.pool).await?;
    Ok(done.rows_affected())
}

/// A bucket's hits in the window starting at `window_start` and in the one
/// starting at `previous_start`, counting nothing (so an app server can
/// see that another forgot the bucket).
pub async fn hits(db: &Db, bucket: &str, window_start: i64, previous_start: i64) -> Result<(i64, i64)> {
    let rows: Vec<(i64, i64)> = sqlx::query_as("SELECT window_start, hits FROM attempt_counts WHERE bucket = $1 AND window_start IN ($2, $3)")
        .bind(bucket)
        .bind(window_start)
        .bind(previous_start)
        .fetch_all(&db.pool)
        .await?;
    let of = |start: i64| rows.iter().find(|(w, _)| *w == start).map_or(0, |(_, h)| *h);
    Ok((of(window_start), of(previous_start)))
}
