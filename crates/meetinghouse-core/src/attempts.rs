//! Attempt budgets that hold across every app server: the web layer's rate
//! limits on signing in, joining, password resets and confirmation links
//! count here as well as in memory, so a load balancer spreading one
//! guesser's tries over several app servers does not multiply their budget.
//!
//! Counting is a sliding window over two fixed ones: the attempts in the
//! current window plus the previous window's, weighted by how much of it
//! still lies within one period of now. Every attempt counts, refused ones
//! too, so a client that keeps hammering stays refused until it slows down.
//! Keys (addresses, email addresses) are stored only as HMACs under the
//! instance's secret key, so the table cannot be read back into addresses.

use meetinghouse_store::Tx;

use crate::Db;
use crate::error::Result;

/// A budget: at most `limit` attempts in any `period_secs`.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Names the budget in the bucket hash, so two budgets never share counts.
    pub name: &'static str,
    pub limit: u32,
    pub period_secs: i64,
}

/// The longest period of any budget; the purge keeps two of them.
pub const LONGEST_PERIOD_SECS: i64 = 24 * 3600;

/// Counts an attempt against `budget` under `key` at `now` (unix seconds);
/// true while the attempts in the last period, this one included, are
/// within the limit. `secret` is the instance's secret key.
pub async fn attempt(db: &Db, secret: &str, budget: &Budget, key: &str, now: i64) -> Result<bool> {
    let (bucket, window, period) = bucket(secret, budget, key, now);
    let hits = meetinghouse_store::attempts::hit(db, &bucket, window, window - period, stamp()).await?;
    Ok(estimate(hits.current, hits.previous, now - window, period) <= f64::from(budget.limit))
}

/// One attempt counted by [`hold`], which can be given back
/// ([`give_back`]) when it turns out not to be one the budget counts (a
/// reserved sign-in whose password was right): in the counter row it was
/// counted in, known by its stamp, so not in one made again after the
/// budget was forgotten ([`forget`]: a lifted lock) — that row counts only
/// attempts made since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    bucket: String,
    window: i64,
    stamp: i64,
}

/// A random stamp for a counter row an attempt may make (store
/// `attempts::hit`).
pub(crate) fn stamp() -> i64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random source is unavailable");
    i64::from_le_bytes(bytes)
}

/// Counts an attempt against `budget` under `key` at `now`, as [`attempt`]
/// does, in one statement (so attempts made at once each see a count of
/// their own, and no more than the limit are ever within it), and returns
/// whether it is within the limit with what to [`give_back`]. Reserving an
/// attempt before the work it guards, not counting it after, is what keeps
/// a burst of requests at once within the budget.
pub async fn hold(db: &Db, secret: &str, budget: &Budget, key: &str, now: i64) -> Result<(bool, Held)> {
    let (bucket, window, period) = bucket(secret, budget, key, now);
    let hits = meetinghouse_store::attempts::hit(db, &bucket, window, window - period, stamp()).await?;
    Ok((estimate(hits.current, hits.previous, now - window, period) <= f64::from(budget.limit), Held { bucket, window, stamp: hits.stamp }))
}

/// Gives back an attempt [`hold`] counted: in the window it was counted in,
/// never below nothing, and not at all once the budget was forgotten (even
/// when attempts made since counted in that window again).
pub async fn give_back(db: &Db, held: &Held) -> Result<()> {
    meetinghouse_store::attempts::give_back(db, &held.bucket, held.window, held.stamp).await?;
    Ok(())
}

/// [`attempt`] in the caller's transaction, so an attempt can be counted
/// after checks that ran in it, without a second transaction.
pub async fn attempt_in(tx: &mut Tx, secret: &str, budget: &Budget, key: &str, now: i64) -> Result<bool> {
    let (bucket, window, period) = bucket(secret, budget, key, now);
    let hits = meetinghouse_store::attempts::hit_in(tx, &bucket, window, window - period, stamp()).await?;
    Ok(estimate(hits.current, hits.previous, now - window, period) <= f64::from(budget.limit))
}

/// Forgets every attempt counted against `budget` under `key`: the budget
/// is whole again at once (a password reset lifting an account's sign-in
/// lock). `secret` is the instance's secret key.
pub async fn forget(db: &Db, secret: &str, budget: &Budget, key: &str) -> Result<()> {
    let (bucket, _, _) = bucket(secret, budget, key, 0);
    meetinghouse_store::attempt_forgetting::forget(db, &bucket).await?;
    Ok(())
}

/// Whether `budget` under `key` is spent at `now` (the attempts within the
/// last period reached the limit), counting nothing.
pub async fn spent(db: &Db, secret: &str, budget: &Budget, key: &str, now: i64) -> Result<bool> {
    let (bucket, window, period) = bucket(secret, budget, key, now);
    let (current, previous) = meetinghouse_store::attempt_forgetting::hits(db, &bucket, window, window - period).await?;
    Ok(estimate(current, previous, now - window, period) >= f64::from(budget.limit))
}

/// A budget's bucket for `key` (an HMAC under the instance's key), and the
/// start and length of the window `now` falls in.
fn bucket(secret: &str, budget: &Budget, key: &str, now: i64) -> (String, i64, i64) {
    let period = budget.period_secs.clamp(1, LONGEST_PERIOD_SECS);
    let window = now.div_euclid(period) * period;
    (crate::secrets::sign(secret.as_bytes(), &format!("{}\n{key}", budget.name)), window, period)
}

/// The sliding-window count: all of this window's attempts and the share of
/// the previous window's that falls within one period of now.
fn estimate(current: i64, previous: i64, into_window: i64, period: i64) -> f64 {
    let weight = (period - into_window.clamp(0, period)) as f64 / period as f64;
    current as f64 + previous as f64 * weight
}

/// Forgets the windows no budget looks at any more (older than two of the
/// longest period); returns how many rows went.
pub async fn purge(db: &Db, now: i64) -> Result<u64> {
    Ok(meetinghouse_store::attempts::purge_before(db, now - 2 * LONGEST_PERIOD_SECS).await?)
}

#[cfg(test)]
mod tests {
    use super::estimate;

    #[test]
    fn the_previous_window_fades_out_over_the_current_one() {
        assert_eq!(estimate(3, 10, 0, 100), 13.0);
        assert_eq!(estimate(3, 10, 50, 100), 8.0);
        assert_eq!(estimate(3, 10, 100, 100), 3.0);
        // Out-of-range offsets (a clock step) never weigh more than a window.
        assert_eq!(estimate(3, 10, -5, 100), 13.0);
        assert_eq!(estimate(3, 10, 500, 100), 3.0);
    }
}
