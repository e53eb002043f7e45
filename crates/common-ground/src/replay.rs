//! Replaying a vote history in updates ("ticks"), so warm starts, the
//! monotone in-conversation set and the k smoother evolve as they did live.

use crate::{Analysis, Engine, VoteEvent};

#[derive(Debug, Clone, Copy)]
pub struct ReplayOptions {
    /// Upper bound on the number of updates.
    pub max_ticks: usize,
    /// Shortest tick window in milliseconds (Pol.is polls every 1 s).
    pub min_tick_ms: i64,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        Self { max_ticks: 300, min_tick_ms: 1000 }
    }
}

/// Splits votes (sorted by time; untimed votes last) into tick batches:
/// a tick closes when a vote arrives more than `window` after the tick's first
/// vote, where window = max(min_tick_ms, span / max_ticks).
pub fn tick_batches(votes: &[VoteEvent], opts: ReplayOptions) -> Vec<Vec<VoteEvent>> {
    let mut sorted: Vec<&VoteEvent> = votes.iter().collect();
    sorted.sort_by_key(|v| v.time.unwrap_or(i64::MAX));
    let times: Vec<i64> = sorted.iter().filter_map(|v| v.time).collect();
    let span = match (times.first(), times.last()) {
        (Some(a), Some(b)) => b.saturating_sub(*a),
        _ => 0,
    };
    let window = opts.min_tick_ms.max(span / opts.max_ticks.max(1) as i64).max(0);
    let mut out: Vec<Vec<VoteEvent>> = Vec::new();
    let mut start: Option<i64> = None;
    for v in sorted {
        let new_tick = match (v.time, start) {
            (Some(t), Some(s)) => t > s.saturating_add(window),
            (Some(_), None) => true,
            (None, _) => out.is_empty(),
        };
        if new_tick {
            out.push(Vec::new());
            if let Some(t) = v.time {
                start = Some(t);
            }
        }
        if let Some(last) = out.last_mut() {
            last.push(v.clone());
        }
    }
    out
}

/// Replays `votes` through `engine`, one update per tick; `on_tick` sees every
/// intermediate result. Returns the last analysis (None when there are no votes).
pub fn replay(engine: &mut Engine, votes: &[VoteEvent], opts: ReplayOptions, mut on_tick: impl FnMut(&Analysis)) -> Option<Analysis> {
    let mut last = None;
    for batch in tick_batches(votes, opts) {
        engine.add_votes(&batch);
        let a = engine.update();
        on_tick(&a);
        last = Some(a);
    }
    last
}
