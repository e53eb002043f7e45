//! The saved state: a restored engine continues exactly as the engine that
//! saved it; a state that does not fit (corrupt, from another version, naming
//! participants who are gone) is repaired and reported, never trusted into a
//! panic. Also: results do not depend on the thread count.

use common_ground::prng::SplitMix64;
use common_ground::{Analysis, Config, DiagnosticCode, Engine, PersistedCluster, PersistedState, STATE_VERSION, StatementMeta, Vote, VoteEvent};

fn engine(config: Config, n_statements: usize) -> Engine {
    let mut e = Engine::new(config);
    for s in 0..n_statements {
        e.upsert_statement(&s.to_string(), StatementMeta::accepted());
    }
    e
}

/// Three camps over `m` statements; every fifth cell skipped.
fn planted(e: &mut Engine, n: usize, m: usize) {
    for p in 0..n {
        for s in 0..m {
            if (p * 7 + s * 3) % 5 == 0 {
                continue;
            }
            let v = if (p % 3 == 0) ^ (s % 2 == 0) { Vote::Agree } else if p % 3 == 1 { Vote::Disagree } else { Vote::Pass };
            e.vote(&format!("p{p}"), &s.to_string(), v);
        }
    }
}

fn planted_engine() -> Engine {
    let mut e = engine(Config { threads: 1, ..Config::default() }, 12);
    planted(&mut e, 30, 12);
    e
}

/// The state of a planted 30 × 12 conversation after one update.
fn saved() -> PersistedState {
    let mut e = planted_engine();
    e.update();
    e.state()
}

fn mismatches(diags: &[common_ground::Diagnostic]) -> Vec<&str> {
    diags.iter().filter(|d| d.code == DiagnosticCode::StateMismatch).map(|d| d.message.as_str()).collect()
}

/// Group ids unique, every member in one group, and each group's tallies no
/// larger than the conversation's.
fn sane(a: &Analysis) {
    let mut ids: Vec<u32> = a.groups.iter().map(|g| g.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), a.groups.len(), "duplicate group ids");
    let mut members: Vec<usize> = a.groups.iter().flat_map(|g| g.members.clone()).collect();
    let n = members.len();
    members.sort_unstable();
    members.dedup();
    assert_eq!(members.len(), n, "a participant in two groups");
    for (c, _) in a.statements.iter().enumerate() {
        let seen: u32 = a.groups.iter().map(|g| g.votes[c].seen).sum();
        assert!(seen as usize <= a.participants.len(), "statement {c}: {seen} votes counted");
    }
}

/// The JSON round trip of a saved state gives back exactly the same state
/// (serde_json's float_roundtrip: without it PCA floats moved by one ulp).
#[test]
fn state_survives_its_json_round_trip_exactly() {
    let mut e = engine(Config { threads: 1, ..Config::default() }, 12);
    planted(&mut e, 60, 12);
    e.update();
    let st = e.state();
    assert_eq!(st.version, STATE_VERSION);
    assert!(st.rng.is_some() && !st.pca_block.is_empty());
    let back: PersistedState = serde_json::from_str(&serde_json::to_string(&st).unwrap()).unwrap();
    for (x, y) in st.pca_block.iter().zip(&back.pca_block) {
        for (a, b) in x.1.iter().zip(&y.1) {
            assert_eq!(a.to_bits(), b.to_bits(), "statement {}", x.0);
        }
    }
    assert_eq!(st, back);
}

/// The production path (a fresh engine with every vote so far, restored from
/// the JSON the last update saved) gives exactly what one engine running
/// through every update gives, on random small conversations with
/// statements added along the way.
#[test]
fn restoring_from_json_every_update_equals_a_continuous_engine() {
    for seed in 0..30u64 {
        let mut rng = SplitMix64::new(seed);
        let n_s = 4 + rng.below(10) as usize;
        let n_p = 8 + rng.below(50);
        let per_tick = 10 + rng.below(40) as usize;
        let ticks = 15;
        let events: Vec<VoteEvent> = (0..ticks * per_tick)
            .map(|t| {
                let p = rng.below(n_p) as usize;
                // Statements open one by one: by the last tick all are.
                let open = (n_s * (t / per_tick + 1)).div_ceil(ticks).max(1);
                let s = rng.below(open as u64) as usize;
                let r = rng.next_f64();
                let v = if r < 0.2 { Vote::Pass } else if (s + p % 3).is_multiple_of(3) ^ (r < 0.45) { Vote::Agree } else { Vote::Disagree };
                VoteEvent { participant: format!("p{p}"), statement: s.to_string(), vote: v, time: Some(t as i64) }
            })
            .collect();
        let config = Config { threads: 1, seed, ..Config::default() };
        let mut continuous = Engine::new(config.clone());
        let mut saved: Option<String> = None;
        for tick in 0..ticks {
            let open = (n_s * (tick + 1)).div_ceil(ticks).max(1);
            for s in 0..open {
                continuous.upsert_statement(&s.to_string(), StatementMeta::accepted());
            }
            let upto = (tick + 1) * per_tick;
            continuous.add_votes(&events[tick * per_tick..upto]);
            let a = continuous.update();

            let mut fresh = engine(config.clone(), open);
            fresh.add_votes(&events[..upto]);
            if let Some(json) = &saved {
                let diags = fresh.restore_state(&serde_json::from_str(json).unwrap());
                assert!(diags.is_empty(), "seed {seed} tick {tick}: {diags:?}");
            }
            let b = fresh.update();
            saved = Some(serde_json::to_string(&fresh.state()).unwrap());
            assert_eq!(a, b, "seed {seed} tick {tick}: the restored engine diverged");
            assert_eq!(continuous.state(), fresh.state(), "seed {seed} tick {tick}");
        }
    }
}

/// When the variation moves to a direction orthogonal to the previous first
/// component, a restored engine still continues exactly (the random
/// generator is in the state, and the sign no longer follows a dot product
/// that is rounding noise).
#[test]
fn a_restored_engine_continues_exactly_when_the_component_turns() {
    for seed in 0..20u64 {
        let fresh = || {
            let mut e = Engine::new(Config { threads: 1, seed, ..Config::default() });
            for s in ["a", "b"] {
                e.upsert_statement(s, StatementMeta::accepted());
            }
            e.vote("p1", "a", Vote::Agree);
            e.vote("p2", "a", Vote::Disagree);
            e
        };
        let mut e = fresh();
        e.update();
        let mut r = fresh();
        assert!(r.restore_state(&e.state()).is_empty());
        for x in [&mut e, &mut r] {
            x.vote("p1", "a", Vote::Disagree);
            x.vote("p1", "b", Vote::Agree);
            x.vote("p2", "b", Vote::Disagree);
        }
        assert_eq!(e.update(), r.update(), "seed {seed}");
    }
}

/// A version-1 state (no random generator saved) still restores: the engine
/// keeps its own generator, as before.
#[test]
fn a_version_1_state_without_the_generator_is_read() {
    let mut st = serde_json::to_value(saved()).unwrap();
    st["version"] = 1.into();
    st.as_object_mut().unwrap().remove("rng");
    let st: PersistedState = serde_json::from_value(st).unwrap();
    assert_eq!(st.rng, None);
    let mut e = planted_engine();
    assert!(e.restore_state(&st).is_empty());
    assert_eq!(e.update().tick, 2);
}

/// A version this engine does not know is not trusted: the engine starts
/// fresh and says so.
#[test]
fn an_unknown_state_version_starts_fresh() {
    let mut st = saved();
    st.version = 99;
    let mut e = planted_engine();
    let diags = e.restore_state(&st);
    assert!(mismatches(&diags).iter().any(|m| m.contains("version 99")), "{diags:?}");
    let mut cold = planted_engine();
    assert_eq!(e.update(), cold.update());
}

/// Duplicate group-cluster ids used to merge two groups' tallies (then an
/// overflow panic in a debug build, 4294967295 disagrees in release).
#[test]
fn duplicate_group_ids_in_a_saved_state_are_dropped() {
    let mut st = saved();
    for (_, cs) in st.group_clusterings.iter_mut() {
        for c in cs.iter_mut() {
            c.id = 7;
        }
    }
    let mut e = planted_engine();
    let diags = e.restore_state(&st);
    assert!(mismatches(&diags).iter().any(|m| m.contains("duplicate or reserved id")), "{diags:?}");
    let a = e.update();
    sane(&a);
    e.vote("p1", "3", Vote::Agree);
    sane(&e.update());
}

/// Base-cluster ids that repeat or are u32::MAX (which overflowed when a new
/// cluster was split off), and a participant listed in two base clusters.
#[test]
fn bad_base_clusters_in_a_saved_state_are_repaired() {
    for case in ["max", "dup", "twice"] {
        let mut st = saved();
        match case {
            "max" => st.base_clusters[0].id = u32::MAX,
            "dup" => st.base_clusters.iter_mut().for_each(|c| c.id = 3),
            _ => {
                let m = st.base_clusters[0].members[0].clone();
                st.base_clusters[1].members.push(m.clone());
                st.base_clusters[1].members.push(m);
            }
        }
        let mut e = planted_engine();
        // New participants far from the others, so new base clusters split off.
        for p in 100..140 {
            for s in 0..12 {
                e.vote(&format!("q{p}"), &s.to_string(), if (p + s) % 2 == 0 { Vote::Agree } else { Vote::Disagree });
            }
        }
        let diags = e.restore_state(&st);
        assert!(!mismatches(&diags).is_empty(), "{case}: not reported");
        let a = e.update();
        sane(&a);
        let mut ids: Vec<u32> = a.base_clusters.iter().map(|b| b.id).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "{case}: duplicate base ids");
        assert!(!ids.contains(&u32::MAX), "{case}");
    }
}

/// Group clusterings for k outside 2..=max_k, a k listed twice, more
/// clusters than k, members naming no base cluster; a smoother with
/// impossible values and a count at u32::MAX; a tick at u64::MAX.
#[test]
fn out_of_range_group_clusterings_and_smoother_are_repaired() {
    let base = saved();
    let mut st = base.clone();
    let some = st.group_clusterings[0].1.clone();
    st.group_clusterings.push((0, vec![PersistedCluster { id: 1, members: vec![999] }]));
    st.group_clusterings.push((1, some.clone()));
    st.group_clusterings.push((100, vec![]));
    st.group_clusterings.push((st.group_clusterings[0].0, some));
    let (k, cs) = &mut st.group_clusterings[0];
    let k = *k;
    cs[0].members.push(999);
    for i in 0..k as u32 + 2 {
        cs.push(PersistedCluster { id: 1000 + i, members: vec![] });
    }
    st.smoother.last_k = Some(1000);
    st.smoother.smoothed_k = Some(1000);
    st.smoother.last_k_count = u32::MAX;
    st.tick = u64::MAX;
    let mut e = planted_engine();
    let diags = e.restore_state(&st);
    let m = mismatches(&diags);
    for what in ["outside 2..=5", "exceed their clustering's k", "name no base cluster", "last k is out of range", "shown k is out of range"] {
        assert!(m.iter().any(|x| x.contains(what)), "{what} not reported: {m:?}");
    }
    let a = e.update();
    sane(&a);
    assert!((2..=5).contains(&a.k));
    assert_eq!(a.tick, u64::MAX);

    // A smoother count at its maximum for whichever k wins: saturates.
    for k in 2..=5 {
        let mut st = base.clone();
        st.smoother = common_ground::Smoother { last_k: Some(k), last_k_count: u32::MAX, smoothed_k: Some(k) };
        let mut e = planted_engine();
        assert!(e.restore_state(&st).is_empty());
        sane(&e.update());
        sane(&e.update());
    }
}

/// Participants named in the saved state who have no votes any more (their
/// votes were deleted) are left out and counted, not registered as members
/// at [0, 0].
#[test]
fn participants_who_are_gone_are_left_out_of_a_restored_state() {
    let mut st = saved();
    st.in_conv.push("ghost".into());
    st.in_conv.push("ghost2".into());
    st.base_clusters[0].members.push("ghost".into());
    let mut e = planted_engine();
    let diags = e.restore_state(&st);
    let m = mismatches(&diags);
    assert!(m.iter().any(|x| x.contains("2 participants have no votes here (e.g. ghost, ghost2)")), "{m:?}");
    let a = e.update();
    assert!(!a.participants.iter().any(|p| p.starts_with("ghost")), "{:?}", a.participants);
    assert_eq!(a.in_conv.len(), 30);
    assert_eq!(e.n_participants(), 30);
}

/// Votes on unknown statements are reported by the update after them, once.
#[test]
fn the_unknown_statement_diagnostic_is_reported_once() {
    let mut e = engine(Config::default(), 3);
    planted(&mut e, 10, 3);
    assert!(!e.vote("x", "nope", Vote::Agree));
    let unknown = |a: &Analysis| a.diagnostics.iter().filter(|d| d.code == DiagnosticCode::UnknownStatement).count();
    assert_eq!(unknown(&e.update()), 1);
    assert_eq!(unknown(&e.update()), 0);
    e.vote("x", "nope2", Vote::Agree);
    let a = e.update();
    assert_eq!(unknown(&a), 1);
    assert!(a.diagnostics.iter().any(|d| d.message.starts_with("1 vote on unknown statements was ignored") && d.message.contains("nope2") && !d.message.contains("nope,")));
}

/// max_k below 2 and base_k below 2 are said, not silently changed (base_k 0
/// used to give a "1 distinct positions" message about the participants).
#[test]
fn out_of_range_config_values_are_reported() {
    let invalid = |a: &Analysis| a.diagnostics.iter().filter(|d| d.code == DiagnosticCode::InvalidConfig).map(|d| d.message.clone()).collect::<Vec<_>>();
    for max_k in [0, 1] {
        let mut e = engine(Config { max_k, ..Config::default() }, 12);
        planted(&mut e, 30, 12);
        let a = e.update();
        assert!(invalid(&a).iter().any(|m| m.contains(&format!("max_k = {max_k}"))), "{:?}", a.diagnostics);
        assert_eq!(a.k, 2);
    }
    let mut e = engine(Config { base_k: 0, ..Config::default() }, 12);
    planted(&mut e, 30, 12);
    let a = e.update();
    assert!(invalid(&a).iter().any(|m| m.contains("base_k = 0")), "{:?}", a.diagnostics);
    assert!(!a.diagnostics.iter().any(|d| d.code == DiagnosticCode::TooFewParticipants), "{:?}", a.diagnostics);
    assert_eq!(a.groups.len(), 1);
    let mut e = planted_engine();
    assert!(invalid(&e.update()).is_empty());
}

/// Above 20,000 participants in the conversation the base k-means sums in
/// fixed ranges: one thread and two give the same JSON.
#[test]
fn results_do_not_depend_on_the_thread_count_above_20000_participants() {
    let run = |threads: usize| {
        let mut e = engine(Config { threads, ..Config::default() }, 8);
        let mut rng = SplitMix64::new(42);
        let mut votes = Vec::with_capacity(25_000 * 8);
        for p in 0..25_000 {
            let camp = p % 3;
            for s in 0..8 {
                let r = rng.next_f64();
                let v = if r < 0.15 { Vote::Pass } else if ((s * 7 + camp * 13) % 3 == 0) ^ (r < 0.35) { Vote::Agree } else { Vote::Disagree };
                votes.push(VoteEvent { participant: format!("p{p}"), statement: s.to_string(), vote: v, time: None });
            }
        }
        e.add_votes(&votes);
        let a = e.update();
        assert!(a.in_conv.len() > 20_000);
        serde_json::to_string(&a).unwrap()
    };
    assert!(run(1) == run(2), "one thread and two differ");
}
