//! Replaying a vote history in updates ("ticks"), so warm starts, the
//! monotone in-conversation set and the k smoother evolve as they did live.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::{Analysis, Config, Engine, VoteEvent};

/// A pause in voting this long spans at least one restart of Pol.is's math
/// worker: it was deployed as a Heroku worker process (Pol.is's
/// `math/Procfile`), and Heroku restarts every process at least once a day; a
/// pause of months spans deploys as well. Shorter pauses may also have held a
/// restart; nobody recorded when.
pub const POLIS_RESTART_GAP_MS: i64 = 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, Copy)]
pub struct ReplayOptions {
    /// Upper bound on the number of updates.
    pub max_ticks: usize,
    /// Shortest tick window in milliseconds (Pol.is polls every 1 s).
    pub min_tick_ms: i64,
    /// When > 0, ignore the two fields above and cut ticks on a fixed clock
    /// instead: one tick per `clock_ms` period that has votes, periods
    /// starting at multiples of `clock_ms` shifted by `clock_offset_ms`. This
    /// is how Pol.is's poller batched votes (every 1,000 ms, at a phase
    /// nobody recorded); it costs one update per second of voting.
    pub clock_ms: i64,
    pub clock_offset_ms: i64,
    /// When > 0, a pause in voting longer than this is taken to span a
    /// restart of Pol.is's math worker, which reloads only what it persisted:
    /// the group clusterings for each k and the k smoother start afresh
    /// (spec §3, issue #2358). 0 = the worker never restarts;
    /// [`POLIS_RESTART_GAP_MS`] = a restart in every pause over a day.
    pub restart_gap_ms: i64,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        Self { max_ticks: 300, min_tick_ms: 1000, clock_ms: 0, clock_offset_ms: 0, restart_gap_ms: 0 }
    }
}

/// Splits votes (sorted by time; untimed votes last) into tick batches:
/// a tick closes when a vote arrives more than `window` after the tick's first
/// vote, where window = max(min_tick_ms, span / max_ticks); or, with
/// `clock_ms` set, at every boundary of the fixed clock.
pub fn tick_batches(votes: &[VoteEvent], opts: ReplayOptions) -> Vec<Vec<VoteEvent>> {
    let mut sorted: Vec<&VoteEvent> = votes.iter().collect();
    sorted.sort_by_key(|v| v.time.unwrap_or(i64::MAX));
    let mut rest = sorted.as_slice();
    tick_sizes(rest.iter().map(|v| v.time), opts)
        .into_iter()
        .map(|n| {
            let (batch, after) = rest.split_at(n);
            rest = after;
            batch.iter().map(|&v| v.clone()).collect()
        })
        .collect()
}

/// The sizes of the tick batches of [`tick_batches`], from the votes'
/// times in the order they are applied (by time, untimed votes last): the
/// split on its own, for votes held another way ([`crate::table::VoteTable`]).
pub fn tick_sizes<I>(sorted_times: I, opts: ReplayOptions) -> Vec<usize>
where
    I: Iterator<Item = Option<i64>> + Clone,
{
    let mut sizes: Vec<usize> = Vec::new();
    if opts.clock_ms > 0 {
        let mut current: Option<i64> = None;
        for time in sorted_times {
            let period = time.map(|t| t.saturating_add(opts.clock_offset_ms).div_euclid(opts.clock_ms));
            // Untimed votes (sorted last) join the last tick, as in the windowed split.
            if sizes.is_empty() || (period.is_some() && period != current) {
                sizes.push(0);
                current = period;
            }
            if let Some(last) = sizes.last_mut() {
                *last += 1;
            }
        }
        return sizes;
    }
    let mut times = sorted_times.clone().flatten();
    let first = times.next();
    let span = match (first, times.last().or(first)) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => 0,
    };
    let window = opts.min_tick_ms.max(span / opts.max_ticks.max(1) as i64).max(0);
    let mut start: Option<i64> = None;
    for time in sorted_times {
        let new_tick = match (time, start) {
            (Some(t), Some(s)) => t > s.saturating_add(window),
            (Some(_), None) => true,
            (None, _) => sizes.is_empty(),
        };
        if new_tick {
            sizes.push(0);
            if let Some(t) = time {
                start = Some(t);
            }
        }
        if let Some(last) = sizes.last_mut() {
            *last += 1;
        }
    }
    sizes
}

/// Replays `votes` through `engine`, one update per tick; `on_tick` sees every
/// intermediate result. Returns the last analysis (None when there are no votes).
pub fn replay(engine: &mut Engine, votes: &[VoteEvent], opts: ReplayOptions, mut on_tick: impl FnMut(&Analysis)) -> Option<Analysis> {
    let mut last = None;
    let mut last_time: Option<i64> = None;
    for batch in tick_batches(votes, opts) {
        if opts.restart_gap_ms > 0
            && let (Some(a), Some(b)) = (last_time, batch.iter().filter_map(|v| v.time).min())
            && b.saturating_sub(a) > opts.restart_gap_ms
        {
            engine.forget_unpersisted_polis_state();
        }
        last_time = batch.iter().filter_map(|v| v.time).max().or(last_time);
        engine.add_votes(&batch);
        let a = engine.update();
        on_tick(&a);
        last = Some(a);
    }
    last
}

/// Participants whom the in-conversation rule (spec §4) admits at no update,
/// whatever the update cadence and with or without worker restarts; `None`
/// when a vote has no time. Such a participant:
/// - never has `min(min_votes, #statements voted on so far)` distinct votes
///   at any point of the history, so no update admits them by count; and
/// - first votes after `min_in_conv` others already have `min_votes` votes,
///   so from then on every update has that many in and the top-voter fill
///   never runs again.
///
/// Used to check a Pol.is export against the rule: a participant in this set
/// who nonetheless has a Pol.is group was grouped by other math than the
/// spec's.
pub fn never_in_conv(votes: &[VoteEvent], config: &Config) -> Option<BTreeSet<String>> {
    if votes.iter().any(|v| v.time.is_none()) {
        return None;
    }
    let mut sorted: Vec<&VoteEvent> = votes.iter().collect();
    sorted.sort_by_key(|v| v.time);
    let mut cells: HashSet<(&str, &str)> = HashSet::new();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut columns: HashSet<&str> = HashSet::new();
    let mut settled = 0usize;
    let mut reached: HashSet<&str> = HashSet::new();
    let mut late: Vec<&str> = Vec::new();
    for v in sorted {
        let (p, s) = (v.participant.as_str(), v.statement.as_str());
        if !counts.contains_key(p) && settled >= config.min_in_conv {
            late.push(p);
        }
        let count = counts.entry(p).or_insert(0);
        if cells.insert((p, s)) {
            *count += 1;
            if *count == config.min_votes {
                settled += 1;
            }
        }
        columns.insert(s);
        if *count >= config.min_votes.min(columns.len()).max(1) {
            reached.insert(p);
        }
    }
    Some(late.into_iter().filter(|p| !reached.contains(p)).map(str::to_owned).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Vote;

    fn vote(p: &str, time: Option<i64>) -> VoteEvent {
        VoteEvent { participant: p.to_owned(), statement: "1".to_owned(), vote: Vote::Agree, time }
    }

    fn sizes(batches: &[Vec<VoteEvent>]) -> Vec<usize> {
        batches.iter().map(Vec::len).collect()
    }

    #[test]
    fn never_in_conv_names_only_late_participants_who_never_reach_the_threshold() {
        let config = crate::Config { min_votes: 3, min_in_conv: 2, ..crate::Config::default() };
        let at = |p: &str, s: u32, t: i64| VoteEvent { participant: p.to_owned(), statement: s.to_string(), vote: Vote::Agree, time: Some(t) };
        let mut votes = vec![
            at("a", 0, 0),
            at("a", 1, 1),
            // "early" votes once when two statements exist (threshold 2) and
            // nobody has three votes yet: the top-voter fill could admit them.
            at("early", 1, 2),
            at("a", 2, 3),
            at("b", 0, 4),
            at("b", 1, 5),
            at("b", 2, 6),
            // Two participants now have three votes: everyone who joins from
            // here on must reach the threshold themselves.
            at("late-short", 0, 7),
            at("late-short", 1, 8),
            // A changed vote is still one vote.
            VoteEvent { vote: Vote::Disagree, ..at("late-short", 1, 9) },
            at("late-enough", 0, 10),
            at("late-enough", 1, 11),
            at("late-enough", 2, 12),
        ];
        let never = never_in_conv(&votes, &config).expect("timed");
        assert_eq!(never.into_iter().collect::<Vec<_>>(), vec!["late-short".to_owned()]);
        votes.push(VoteEvent { time: None, ..at("c", 0, 0) });
        assert!(never_in_conv(&votes, &config).is_none());
    }

    #[test]
    fn clock_ticks_cut_at_period_boundaries_shifted_by_the_offset() {
        let votes: Vec<VoteEvent> = [0, 400, 999, 1000, 1999, 2600, 5100].iter().map(|&t| vote("a", Some(t))).chain([vote("b", None)]).collect();
        let clock = |offset| ReplayOptions { clock_ms: 1000, clock_offset_ms: offset, ..ReplayOptions::default() };
        // Periods [0,1000) [1000,2000) [2000,3000) [5000,6000); the untimed
        // vote joins the last tick.
        assert_eq!(sizes(&tick_batches(&votes, clock(0))), vec![3, 2, 1, 2]);
        // Shifted by 500 ms: [-500,500) [500,1500) [1500,2500) [2500,3500) [4500,5500).
        assert_eq!(sizes(&tick_batches(&votes, clock(500))), vec![2, 2, 1, 1, 2]);
        // Without the clock, windows anchored at each tick's first vote (1 s).
        assert_eq!(sizes(&tick_batches(&votes, ReplayOptions::default())), vec![4, 2, 2]);
    }

    /// Two opinion groups voting over 12 ticks of the 1 s clock, then a pause
    /// of two days and two more ticks. Without restarts the smoother has seen
    /// one k for all 14 ticks; with a 24 h restart gap the pause reset it, so
    /// it has counted only the 2 ticks after it.
    #[test]
    fn a_pause_longer_than_the_restart_gap_forgets_what_polis_did_not_persist() {
        let day = 86_400_000;
        let mut votes = Vec::new();
        for tick in 0..14i64 {
            let t0 = if tick < 12 { tick * 2_000 } else { 2 * day + tick * 2_000 };
            for p in 0..3 {
                let participant = format!("p{tick}-{p}");
                for s in 0..8 {
                    let side = (p % 2 == 0) == (s < 4);
                    let vote = if side { Vote::Agree } else { Vote::Disagree };
                    votes.push(VoteEvent { participant: participant.clone(), statement: s.to_string(), vote, time: Some(t0 + s) });
                }
            }
        }
        let run = |restart_gap_ms| {
            let mut e = Engine::new(crate::Config::default());
            for s in 0..8 {
                e.upsert_statement(&s.to_string(), crate::StatementMeta::accepted());
            }
            let mut ticks = 0;
            let last = replay(&mut e, &votes, ReplayOptions { clock_ms: 1000, restart_gap_ms, ..ReplayOptions::default() }, |_| ticks += 1).expect("votes");
            assert_eq!(ticks, 14);
            assert_eq!(last.k, 2);
            e.state().smoother
        };
        let kept = run(0);
        assert_eq!((kept.last_k, kept.last_k_count), (Some(2), 14));
        let restarted = run(day);
        assert_eq!((restarted.last_k, restarted.last_k_count), (Some(2), 2));
    }
}
